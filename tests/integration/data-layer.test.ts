import type { BillStatus } from "~/domain/catalogue";
import type { PaymentOrderState } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { readFileSync } from "node:fs";
import { and, count, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { completeNationalId } from "~/domain/national-id";
import { validateWriteOffNumber, type WriteOffRule } from "~/domain/write-off-number";
import { DEMO_BILL_TYPES } from "~/demo/data/catalogue";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type Database } from "~/base/db.server";
import { hashNationalId } from "~/base/pii.server";
import { describeEachDatabase } from "../support/databases";

const PII_KEY = "test-pii-key-test-pii-key-test-pii-key";
const TODAY = "2026-11-21";

/** Postgres error code of a failed statement (drizzle wraps driver errors in `cause`). */
async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code;
  }
  return undefined;
}

const UNIQUE_VIOLATION = "23505";
const CHECK_VIOLATION = "23514";

async function aBill(db: Database, status: BillStatus = "unpaid") {
  const [bill] = await db
    .select()
    .from(schema.bills)
    .where(and(eq(schema.bills.billTypeCode, "traffic-fine"), eq(schema.bills.status, status)))
    .limit(1);
  return bill!;
}

async function newOrder(db: Database, amount: number, key: string) {
  const [order] = await db
    .insert(schema.paymentOrders)
    .values({
      reference: `PO${key.toUpperCase()}`,
      idempotencyKey: key,
      paymentTool: "line_pay",
      provider: "line_pay",
      totalAmount: amount,
      expiresAt: new Date(Date.now() + 20 * 60_000),
    })
    .returning();
  return order!;
}

/** Rows of the README's "Demo bills to try" table: [bill type code, number, status]. */
function readmeDemoBills(): Array<[string, string, string]> {
  const readme = readFileSync("README.md", "utf8");
  const table = readme.split("<!-- demo-bills:start -->")[1]!.split("<!-- demo-bills:end -->")[0]!;
  return table
    .split("\n")
    .filter((line) => /^\| [a-z]/.test(line))
    .map((line) => {
      const [type, number, status] = line
        .split("|")
        .slice(1, 4)
        .map((cell) => cell.trim());
      return [type!.split(" ")[0]!, number!, status!];
    });
}

describeEachDatabase(
  "data layer",
  (database) => {
    it("has every bill the README offers to try, in the status it says", async () => {
      const { db } = database();
      const rows = readmeDemoBills();
      expect(rows.length).toBeGreaterThanOrEqual(5);
      for (const [billTypeCode, writeOffNumber, status] of rows) {
        const [bill] = await db
          .select()
          .from(schema.bills)
          .where(and(eq(schema.bills.billTypeCode, billTypeCode), eq(schema.bills.writeOffNumber, writeOffNumber)));
        expect(bill, `${billTypeCode} ${writeOffNumber}`).toBeDefined();
        const overdue = bill!.status === "unpaid" && bill!.dueDate < TODAY;
        expect(`${bill!.status}${overdue ? " (overdue)" : ""}`, `${billTypeCode} ${writeOffNumber}`).toBe(status);
      }
    });

    it("seeds a catalogue of at least 10 bill types from several agencies and thousands of bills", async () => {
      const { db } = database();
      const [types] = await db.select({ n: count() }).from(schema.billTypes);
      const [agencies] = await db.select({ n: count() }).from(schema.agencies);
      const [bills] = await db.select({ n: count() }).from(schema.bills);
      expect(types!.n).toBeGreaterThanOrEqual(10);
      expect(agencies!.n).toBeGreaterThanOrEqual(5);
      expect(bills!.n).toBeGreaterThanOrEqual(2000);
    });

    it("does not seed a database that already has data", async () => {
      const result = await seedDemoDataIfEmpty(database().db, { piiHmacKey: PII_KEY, today: TODAY });
      expect(result.seeded).toBe(false);
    });

    it("re-applying migrations changes nothing", async () => {
      await database().migrate();
      const [bills] = await database().db.select({ n: count() }).from(schema.bills);
      expect(bills!.n).toBeGreaterThan(0);
    });

    it("gives every seeded bill a write-off number its bill type's rule accepts", async () => {
      const { db } = database();
      const rows = await db
        .select({
          number: schema.bills.writeOffNumber,
          prefix: schema.billTypes.writeOffPrefix,
          length: schema.billTypes.writeOffLength,
          charset: schema.billTypes.writeOffCharset,
          check: schema.billTypes.writeOffCheck,
        })
        .from(schema.bills)
        .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code));
      const rejected = rows.filter((row) => !validateWriteOffNumber(row.number, row as WriteOffRule).ok);
      expect(rejected).toEqual([]);
    });

    it("stores a keyed hash of the payer's national ID, never the ID", async () => {
      const { db } = database();
      const [bill] = await db.select().from(schema.bills).where(eq(schema.bills.payerName, "林美芯")).limit(1);
      expect(bill!.payerNationalIdHash).toBe(hashNationalId(completeNationalId("B22345678"), PII_KEY));
      const columns = await db.execute<{ column_name: string }>(
        sql`select column_name from information_schema.columns where table_name = 'bills'`,
      );
      const names = (Array.isArray(columns) ? columns : (columns as { rows: { column_name: string }[] }).rows).map((c) => c.column_name);
      expect(names).not.toContain("payer_national_id");
    });

    it("rejects a second bill with the same write-off number and bill type", async () => {
      const { db } = database();
      const bill = await aBill(db);
      const { id: _id, createdAt: _c, updatedAt: _u, ...copy } = bill;
      expect(await errorCode(db.insert(schema.bills).values(copy))).toBe(UNIQUE_VIOLATION);
      // The same number under another bill type is a different bill.
      const other = DEMO_BILL_TYPES.find((t) => t.code !== bill.billTypeCode)!;
      await db.insert(schema.bills).values({ ...copy, billTypeCode: other.code });
    });

    it("rejects amounts that are not positive whole NT dollars", async () => {
      const { db } = database();
      const bill = await aBill(db);
      expect(await errorCode(db.update(schema.bills).set({ amount: 0 }).where(eq(schema.bills.id, bill.id)))).toBe(CHECK_VIOLATION);
      expect(await errorCode(db.update(schema.bills).set({ amount: -300 }).where(eq(schema.bills.id, bill.id)))).toBe(CHECK_VIOLATION);
    });

    it("rejects unknown statuses and a paid bill without payment time", async () => {
      const { db } = database();
      const bill = await aBill(db);
      expect(
        await errorCode(
          db
            .update(schema.bills)
            .set({ status: "overdue" as BillStatus })
            .where(eq(schema.bills.id, bill.id)),
        ),
      ).toBe(CHECK_VIOLATION);
      expect(await errorCode(db.update(schema.bills).set({ status: "paid" }).where(eq(schema.bills.id, bill.id)))).toBe(CHECK_VIOLATION);
    });

    it("rejects payment tools outside the known list", async () => {
      const { db } = database();
      expect(
        await errorCode(
          db
            .update(schema.billTypes)
            .set({ paymentTools: ["line_pay", "cash" as PaymentTool] })
            .where(eq(schema.billTypes.code, "traffic-fine")),
        ),
      ).toBe(CHECK_VIOLATION);
      expect(await errorCode(db.update(schema.billTypes).set({ paymentTools: [] }).where(eq(schema.billTypes.code, "traffic-fine")))).toBe(
        CHECK_VIOLATION,
      );
    });

    it("keeps a bill in at most one active payment order", async () => {
      const { db } = database();
      const bill = await aBill(db);
      const first = await newOrder(db, bill.amount, "k1a2b3c4");
      const second = await newOrder(db, bill.amount, "k5d6e7f8");
      await db.insert(schema.paymentOrderItems).values({ orderId: first.id, billId: bill.id, amount: bill.amount });
      expect(
        await errorCode(db.insert(schema.paymentOrderItems).values({ orderId: second.id, billId: bill.id, amount: bill.amount })),
      ).toBe(UNIQUE_VIOLATION);
      // Once the first order ends without payment, the bill can be paid again.
      await db.update(schema.paymentOrderItems).set({ releasedAt: new Date() }).where(eq(schema.paymentOrderItems.orderId, first.id));
      await db.insert(schema.paymentOrderItems).values({ orderId: second.id, billId: bill.id, amount: bill.amount });
    });

    it("records each payment state at most once per order", async () => {
      const { db } = database();
      const order = await newOrder(db, 900, "k9g8h7i6");
      const paid = {
        orderId: order.id,
        kind: "transition",
        fromState: "pending",
        toState: "paid",
        source: "provider_notification",
      } as const;
      await db.insert(schema.paymentEvents).values(paid);
      expect(await errorCode(db.insert(schema.paymentEvents).values({ ...paid, source: "provider_return" }))).toBe(UNIQUE_VIOLATION);
      // Non-transition events (a repeated notification, say) are all kept.
      await db.insert(schema.paymentEvents).values({ orderId: order.id, kind: "provider_answer", source: "provider_notification" });
      await db.insert(schema.paymentEvents).values({ orderId: order.id, kind: "provider_answer", source: "provider_notification" });
    });

    it("rejects payment orders in unknown states or currencies", async () => {
      const { db } = database();
      const order = await newOrder(db, 600, "k1j2k3l4");
      expect(
        await errorCode(
          db
            .update(schema.paymentOrders)
            .set({ state: "done" as PaymentOrderState })
            .where(eq(schema.paymentOrders.id, order.id)),
        ),
      ).toBe(CHECK_VIOLATION);
      expect(await errorCode(db.update(schema.paymentOrders).set({ currency: "USD" }).where(eq(schema.paymentOrders.id, order.id)))).toBe(
        CHECK_VIOLATION,
      );
      expect(await errorCode(db.update(schema.paymentOrders).set({ state: "paid" }).where(eq(schema.paymentOrders.id, order.id)))).toBe(
        CHECK_VIOLATION,
      );
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: PII_KEY, today: TODAY });
  },
);
