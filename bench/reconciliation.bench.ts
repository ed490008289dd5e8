import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { it } from "vitest";
import { feeFor } from "~/domain/reconciliation";
import { importSettlementFile } from "~/money/reconciliation.server";
import { LINE_PAY_REPORT_COLUMNS, parseSettlementFile } from "~/money/settlement-files";
import { TEST_DATABASES } from "../tests/support/databases";

/**
 * Reconciling a 10,000-payment day (docs/decisions/020): LINE Pay's report
 * for the day read, kept (file and lines) and matched against the day's
 * 10,000 orders, items and fees written, on PGlite and PostgreSQL. The
 * baseline, in the same run: the same lines inserted into a plain table with
 * no constraint or index, in the same batches. Time and the growth of the
 * process's resident memory (sampled every 5 ms) for each. Figures go to
 * bench/results/reconciliation-<database>.json.
 */
const PAYMENTS = Number(process.env.BENCH_RECONCILIATION_PAYMENTS ?? 10_000);
const DAY = "2026-12-01";
const RULE = { provider: "line_pay" as const, tool: "line_pay" as const, basisPoints: 220, fixed: 0 };

const amountOf = (i: number) => 100 + (i % 5000);
const referenceOf = (i: number) => `BR${String(i).padStart(14, "0")}`;
const transactionOf = (i: number) => `2026${String(i).padStart(15, "0")}`;
const paidAtOf = (i: number) => new Date(new Date(`${DAY}T00:00:00+08:00`).getTime() + i * 8_000);
const taipei = (moment: Date) => new Date(moment.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ");

/** The provider's report of the day: every payment, one in a hundred missing or with another amount. */
function report(): string {
  const c = LINE_PAY_REPORT_COLUMNS;
  const rows = [
    [c.date, c.type, c.transactionId, c.originalTransactionId, c.orderId, c.method, c.currency, c.amount, c.fee, c.settlement].join(","),
  ];
  for (let i = 1; i <= PAYMENTS; i++) {
    if (i % 200 === 0) continue;
    const amount = amountOf(i) + (i % 200 === 100 ? 1 : 0);
    const fee = feeFor(amount, RULE);
    rows.push(
      [taipei(paidAtOf(i)), "PAYMENT", transactionOf(i), "", referenceOf(i), "BALANCE", "TWD", amount, fee, amount - fee].join(","),
    );
  }
  return `\uFEFF${rows.join("\r\n")}\r\n`;
}

/** Time and the peak growth of resident memory while `work` runs. */
async function measured<T>(work: () => Promise<T>): Promise<{ seconds: number; rssGrowthMb: number; result: T }> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { seconds: Math.round(seconds * 1000) / 1000, rssGrowthMb: Math.round(((peak - before) / 1024 / 1024) * 10) / 10, result };
}

for (const kind of TEST_DATABASES)
  it(`reconciliation of a ${PAYMENTS}-payment day on ${kind.name}`, async () => {
    const created = await kind.create();
    const db = created.handle.db;
    try {
      await db.execute(sql`insert into payment_orders (reference, idempotency_key, payment_tool, provider, provider_transaction_id, state, total_amount, expires_at, paid_at)
        select 'BR' || lpad(g::text, 14, '0'), 'bench-' || g, 'line_pay', 'line_pay', '2026' || lpad(g::text, 15, '0'), 'paid', 100 + (g % 5000), now(),
          ${`${DAY}T00:00:00+08:00`}::timestamptz + g * interval '8 seconds'
        from generate_series(1, ${PAYMENTS}) g`);
      await db.execute(sql`create table bench_plain_lines (id bigserial primary key, file_id uuid not null, line_number integer not null, kind text not null,
        merchant_order_number text not null, provider_transaction_id text not null, provider_refund_id text, amount integer not null,
        fee integer not null, occurred_at timestamptz not null, raw jsonb not null)`);
      const content = report();

      const parse = await measured(async () => parseSettlementFile("line_pay", content, DAY));
      if (!parse.result.ok) throw new Error(`the bench's report does not parse: ${JSON.stringify(parse.result.problem)}`);
      const lines = parse.result.lines;
      const baseline = await measured(async () => {
        for (let at = 0; at < lines.length; at += 1000) {
          const values = lines.slice(at, at + 1000).map(
            (line) =>
              sql`(gen_random_uuid(), ${line.lineNumber}, ${line.kind}, ${line.merchantOrderNumber}, ${line.providerTransactionId}, ${line.providerRefundId},
                ${line.amount}, ${line.fee}, ${line.occurredAt.toISOString()}, ${JSON.stringify(line.raw)}::jsonb)`,
          );
          await db.execute(
            sql`insert into bench_plain_lines (file_id, line_number, kind, merchant_order_number, provider_transaction_id, provider_refund_id, amount, fee, occurred_at, raw)
                values ${sql.join(values, sql`, `)}`,
          );
        }
      });
      const ctx = { db, env: { providerFees: [RULE] }, logger: pino({ level: "silent" }) };
      const file = {
        provider: "line_pay" as const,
        businessDate: DAY,
        origin: "fetched" as const,
        fileName: "bench.csv",
        content,
        uploadedBy: null,
      };
      const imported = await measured(() => importSettlementFile(ctx, file));
      if (imported.result.kind !== "imported") throw new Error(`not imported: ${JSON.stringify(imported.result)}`);
      const again = await measured(() => importSettlementFile(ctx, file));
      if (again.result.kind !== "same_file") throw new Error(`not the same file: ${again.result.kind}`);

      const ratio = (seconds: number) => Math.round((seconds / baseline.seconds) * 100) / 100;
      const result = {
        database: kind.name,
        payments: PAYMENTS,
        lines: lines.length,
        fileBytes: Buffer.byteLength(content),
        counts: imported.result.counts,
        parse: { seconds: parse.seconds, rssGrowthMb: parse.rssGrowthMb },
        baselinePlainInsert: { seconds: baseline.seconds, rssGrowthMb: baseline.rssGrowthMb },
        importAndMatch: { seconds: imported.seconds, rssGrowthMb: imported.rssGrowthMb, vsBaseline: ratio(imported.seconds) },
        reconcileAgainSameFile: { seconds: again.seconds, rssGrowthMb: again.rssGrowthMb, vsBaseline: ratio(again.seconds) },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/reconciliation-${kind.name}.json`), JSON.stringify(result, null, 2));
      console.log(
        `RECONBENCH ${kind.name}: ${PAYMENTS} payments, ${lines.length} lines (${Math.round(result.fileBytes / 1024)} KiB): parse ${parse.seconds} s; ` +
          `plain insert ${baseline.seconds} s (+${baseline.rssGrowthMb} MB RSS); import and match ${imported.seconds} s ×${ratio(imported.seconds)} (+${imported.rssGrowthMb} MB RSS); ` +
          `again, same file ${again.seconds} s ×${ratio(again.seconds)} (+${again.rssGrowthMb} MB RSS)`,
      );
    } finally {
      await created.dispose();
    }
  });
