import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { it } from "vitest";
import { pino } from "pino";
import { buildAgencyStatements, statementsAfterReconciliation } from "~/money/statements.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type Database } from "~/base/db.server";
import { demoEnv } from "../tests/support/env";
import { TEST_DATABASES } from "../tests/support/databases";

/**
 * The statements of a 10,000-payment day (docs/decisions/021): orders of one
 * to three bills across the catalogue's agencies, by LINE Pay and card, 2%
 * of them refunded that day, and both providers' settlement files with a
 * line for every payment and refund. Measured: computing the day's
 * statements, building and storing them with their notices (the first run),
 * and the idempotent rebuild that finds nothing changed, and the heap's peak
 * while storing; against the baseline of the database alone summing the same day's items by agency in
 * one query, in the same run. Figures go to bench/results/statements-<database>.json.
 */
const PAYMENTS = Number(process.env.BENCH_STATEMENT_PAYMENTS ?? 10_000);
const DAY = "2026-11-20";
const env = demoEnv();

/** The day's orders, items, refunds and settlement lines, inserted in bulk. */
async function insertDay(db: Database): Promise<{ items: number; lines: number }> {
  const bills = await db
    .select({ id: schema.bills.id, amount: schema.bills.amount, agency: schema.billTypes.agencyCode })
    .from(schema.bills)
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .orderBy(schema.bills.id);
  const dayStart = new Date(`${DAY}T00:00:00+08:00`).getTime();
  const files = await db
    .insert(schema.settlementFiles)
    .values(
      (["line_pay", "ecpay"] as const).map((provider) => ({
        provider,
        businessDate: DAY,
        origin: "fetched" as const,
        fileName: `${provider}-${DAY}.csv`,
        sha256: "0".repeat(64),
        content: "",
        lineCount: 0,
      })),
    )
    .returning();
  const fileOf = { line_pay: files[0]!.id, ecpay: files[1]!.id };
  let used = 0;
  let items = 0;
  let lines = 0;
  const lineNumbers = { line_pay: 0, ecpay: 0 };
  for (let from = 0; from < PAYMENTS; from += 500) {
    const batch = Array.from({ length: Math.min(500, PAYMENTS - from) }, (_, j) => {
      const i = from + j;
      const count = 1 + (i % 3);
      const own = bills.slice(used, used + count);
      used += count;
      if (own.length < count) throw new Error(`only ${bills.length} bills for ${PAYMENTS} payments`);
      const card = i % 4 === 0;
      const at = new Date(dayStart + Math.floor((i / PAYMENTS) * 86_399_000));
      // Every 50th order: its first bill refunded in part that day.
      const refund =
        i % 50 === 0
          ? {
              number: `RF${DAY.replaceAll("-", "")}${String(i).padStart(6, "0")}`,
              billId: own[0]!.id,
              agencyCode: own[0]!.agency,
              amount: Math.max(1, Math.floor(own[0]!.amount / 2)),
              refundableAsSeen: own[0]!.amount,
              reason: "duplicate_payment" as const,
              steps: [],
              state: "refunded" as const,
              operator: "bench",
              providerRefundId: `R${i}`,
              refundedAt: new Date(at.getTime() + 1000),
            }
          : null;
      return {
        i,
        own,
        refund,
        order: {
          reference: `PS${String(i).padStart(10, "0")}`,
          idempotencyKey: `bench-statement-${i}`,
          paymentTool: card ? ("credit_card" as const) : ("line_pay" as const),
          provider: card ? ("ecpay" as const) : ("line_pay" as const),
          providerTransactionId: `T${i}`,
          state: "paid" as const,
          totalAmount: own.reduce((sum, bill) => sum + bill.amount, 0),
          paidAt: at,
          createdAt: at,
          expiresAt: at,
        },
      };
    });
    const orders = await db
      .insert(schema.paymentOrders)
      .values(batch.map((entry) => entry.order))
      .returning({ id: schema.paymentOrders.id });
    const rows = batch.flatMap((entry, j) =>
      entry.own.map((bill) => ({ orderId: orders[j]!.id, billId: bill.id, amount: bill.amount, releasedAt: new Date() })),
    );
    await db.insert(schema.paymentOrderItems).values(rows);
    items += rows.length;
    const refunded = batch.flatMap((entry, j) => (entry.refund ? [{ entry, refund: { ...entry.refund, orderId: orders[j]!.id } }] : []));
    if (refunded.length) await db.insert(schema.refunds).values(refunded.map(({ refund }) => refund));
    const settled = [
      ...batch.map((entry) => ({
        provider: entry.order.provider,
        kind: "payment" as const,
        merchantOrderNumber: entry.order.reference,
        amount: entry.order.totalAmount,
        fee: Math.ceil(entry.order.totalAmount * 0.022),
        providerRefundId: null,
      })),
      ...refunded.map(({ entry, refund }) => ({
        provider: entry.order.provider,
        kind: "refund" as const,
        merchantOrderNumber: entry.order.reference,
        amount: refund.amount,
        fee: -Math.floor(refund.amount * 0.022),
        providerRefundId: refund.providerRefundId,
      })),
    ];
    await db.insert(schema.settlementLines).values(
      settled.map(({ provider, ...line }) => ({
        ...line,
        fileId: fileOf[provider],
        lineNumber: ++lineNumbers[provider],
        providerTransactionId: `T${line.merchantOrderNumber}`,
        occurredAt: new Date(dayStart),
        raw: {},
      })),
    );
    lines += settled.length;
  }
  return { items, lines };
}

const time = async <T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> => {
  const started = performance.now();
  const result = await work();
  return { ms: Math.round(performance.now() - started), result };
};

for (const kind of TEST_DATABASES)
  it(`agency statements on ${kind.name}`, async () => {
    const created = await kind.create();
    const db = created.handle.db;
    try {
      await seedDemoDataIfEmpty(db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: Math.ceil((PAYMENTS * 2) / 13) + 10 });
      const { items, lines } = await insertDay(db);
      const ctx = { db, env, logger: pino({ level: "silent" }) };
      const from = new Date(`${DAY}T00:00:00+08:00`).toISOString();
      const to = new Date(`${DAY}T00:00:00+08:00`).getTime() + 86_400_000;
      const baselineQuery = () =>
        db.execute(sql`select bt.agency_code, sum(i.amount) from payment_order_items i
          join payment_orders o on o.id = i.order_id join bills b on b.id = i.bill_id join bill_types bt on bt.code = b.bill_type_code
          where o.state in ('paid', 'refunded') and o.paid_at >= ${from} and o.paid_at < ${new Date(to).toISOString()}
          group by bt.agency_code`);
      // Warm-up, not measured.
      await baselineQuery();
      await buildAgencyStatements(db, DAY);
      const baseline = await time(baselineQuery);
      const computed = await time(() => buildAgencyStatements(db, DAY));
      // The heap's peak above where it starts while the day is built and stored: sampled every 5 ms (PGlite
      // computes on this thread, so its queries block the sampler) and at the end, before any collection.
      globalThis.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 5);
      const stored = await time(() => statementsAfterReconciliation(ctx, DAY));
      clearInterval(sampler);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      const rebuilt = await time(() => statementsAfterReconciliation(ctx, DAY));
      if (rebuilt.result.announced.length !== 0) throw new Error("the rebuild changed statements");
      const statements = stored.result.announced;
      const ratio = (ms: number) => Math.round((ms / Math.max(1, baseline.ms)) * 10) / 10;
      const result = {
        database: kind.name,
        payments: PAYMENTS,
        items,
        settlementLines: lines,
        agencies: statements.length,
        baselineSumMs: baseline.ms,
        computeMs: computed.ms,
        computeVsBaseline: ratio(computed.ms),
        storeAndAnnounceMs: stored.ms,
        storeVsBaseline: ratio(stored.ms),
        unchangedRebuildMs: rebuilt.ms,
        peakHeapMb: Math.round(((heapPeak - heapBefore) / 1024 / 1024) * 10) / 10,
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/statements-${kind.name}.json`), JSON.stringify(result, null, 2));
      console.log(
        `STATEMENTSBENCH ${kind.name}: ${PAYMENTS} payments (${items} bills, ${lines} settlement lines) → ${statements.length} statements; ` +
          `computed in ${computed.ms} ms (×${result.computeVsBaseline} the database's own sum, ${baseline.ms} ms), ` +
          `stored and announced in ${stored.ms} ms (×${result.storeVsBaseline}, heap peak +${result.peakHeapMb} MB), unchanged rebuild ${rebuilt.ms} ms`,
      );
    } finally {
      await created.dispose();
    }
  });
