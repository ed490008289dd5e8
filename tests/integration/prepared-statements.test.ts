import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENCY_KINDS } from "~/domain/catalogue";
import { openDatabase, schema, type Database, type DatabaseHandle } from "~/base/db.server";
import { createPostgresDatabase } from "../support/portal-process.mjs";

/**
 * On PostgreSQL every query is a statement prepared once per connection (docs/decisions/033):
 * one round trip each, and a transaction's independent statements sent together. Without it
 * (drizzle-orm's unnamed statements) each query with parameters takes two round trips and
 * holds the connection's queue meanwhile: the paid transition ran at two thirds of its speed.
 */
describe.runIf(process.env.TEST_DATABASE_URL)("statements on PostgreSQL [postgres]", () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createPostgresDatabase(process.env.TEST_DATABASE_URL!);
    handle = await openDatabase({ url: database.url, poolSize: 2 });
    await handle.migrate();
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  /** The statements this connection has prepared that read bill types by code. */
  async function preparedBillTypeReads(db: Database): Promise<string[]> {
    const rows = (await db.execute(
      sql`select statement from pg_prepared_statements where statement like '%from "bill_types"%' and statement like '%"code" = $1%'`,
    )) as unknown as { statement: string }[];
    return rows.map((row) => row.statement);
  }

  const readBillType = (db: Database, code: string) => db.select().from(schema.billTypes).where(eq(schema.billTypes.code, code));

  it("prepares a query with parameters once per connection, in a transaction and in a savepoint, and reuses it", async () => {
    await handle.db.transaction(async (tx) => {
      await readBillType(tx, "traffic-fine");
      await readBillType(tx, "parking-fee");
      expect(await preparedBillTypeReads(tx)).toHaveLength(1);
      await tx.transaction(async (savepoint) => {
        await readBillType(savepoint, "water-bill");
        expect(await preparedBillTypeReads(savepoint)).toHaveLength(1);
      });
    });
  });

  it("runs statements sent together in a transaction in the order they were sent", async () => {
    const code = "prepared-order-test";
    const readAgency = (db: Database) => db.select().from(schema.agencies).where(eq(schema.agencies.code, code));
    const results = await handle.db.transaction(async (tx) =>
      Promise.all([
        tx.insert(schema.agencies).values({ code, nameZh: "測試機關", nameEn: "Test agency", kind: AGENCY_KINDS[0] }),
        readAgency(tx),
        tx.delete(schema.agencies).where(eq(schema.agencies.code, code)),
        readAgency(tx),
      ]),
    );
    expect(results[1]).toMatchObject([{ code, nameEn: "Test agency" }]);
    expect(results[3]).toEqual([]);
  });
});
