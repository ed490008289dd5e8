import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "~/base/db.server";
import { createPostgresDatabase } from "../support/portal-process.mjs";

/**
 * Every instance migrates its database at boot (docs/deployment.md): several
 * instances started at once on a fresh PostgreSQL database must all come up,
 * the schema made once, each migration recorded once.
 */
describe.runIf(process.env.TEST_DATABASE_URL)("migrations run by several instances at once [postgres]", () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  const handles: DatabaseHandle[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase(process.env.TEST_DATABASE_URL!);
  });
  afterAll(async () => {
    for (const handle of handles) await handle.close();
    await database?.drop();
  });

  it("lets three instances migrate one fresh database at the same time, each migration applied once", async () => {
    for (let i = 0; i < 3; i++) handles.push(await openDatabase({ url: database.url, poolSize: 2 }));
    await Promise.all(handles.map((handle) => handle.migrate()));

    const journal = JSON.parse(await readFile("db/migrations/meta/_journal.json", "utf8")) as { entries: unknown[] };
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const [counts] = await sql<{ applied: number; distinct: number }[]>`
        select count(*)::int as applied, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations`;
      expect(counts?.applied).toBe(journal.entries.length);
      expect(counts?.distinct).toBe(counts?.applied);
    } finally {
      await sql.end();
    }
  });
});
