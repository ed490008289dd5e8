import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "csv-stringify/sync";
import { eq } from "drizzle-orm";
import { it } from "vitest";
import { upsertMember } from "~/members/sessions.server";
import { historyCsvColumns, historyCsvRow, historyCsvStream } from "~/payments/history-csv.server";
import { receiptPdf, receiptsPdfStream } from "~/payments/receipt-pdf.server";
import { receiptByNumber, receiptVerificationUrl } from "~/payments/receipts.server";
import { NO_FILTERS, memberHistoryBatches, type HistoryRecord } from "~/payments/records.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type Database } from "~/base/db.server";
import { demoEnv } from "../tests/support/env";
import { getFixedT } from "~/base/i18n.server";
import { TEST_DATABASES } from "../tests/support/databases";

/**
 * Payment records: the CSV of a 10,000-record history, streamed (as the
 * portal serves it) against the same CSV built whole in memory, in time and in
 * peak heap; and receipts rendered as PDF per second, against reading the
 * same receipts from the database.
 */
const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const RECEIPTS = Number(process.env.BENCH_RECEIPTS ?? 60);
const env = demoEnv();

/** `count` paid orders of one bill each, using the bills from `offset` on. */
async function insertHistory(db: Database, memberId: string, count: number, offset: number): Promise<string[]> {
  const bills = await db
    .select({ id: schema.bills.id, amount: schema.bills.amount })
    .from(schema.bills)
    .orderBy(schema.bills.id)
    .limit(count)
    .offset(offset);
  if (bills.length < count) throw new Error(`only ${bills.length} bills for ${count} records`);
  const numbers: string[] = [];
  const start = new Date("2025-01-01T08:00:00+08:00").getTime();
  for (let from = 0; from < count; from += 1000) {
    const slice = bills.slice(from, from + 1000);
    const orders = await db
      .insert(schema.paymentOrders)
      .values(
        slice.map((bill, j) => {
          const i = offset + from + j;
          const at = new Date(start + i * 45 * 60_000);
          return {
            reference: `PB${String(i).padStart(10, "0")}`,
            idempotencyKey: `bench-history-${i}`,
            memberId,
            paymentTool: i % 3 === 0 ? ("credit_card" as const) : ("line_pay" as const),
            provider: i % 3 === 0 ? ("ecpay" as const) : ("line_pay" as const),
            state: "paid" as const,
            totalAmount: bill.amount,
            paidAt: at,
            createdAt: at,
            expiresAt: at,
          };
        }),
      )
      .returning({ id: schema.paymentOrders.id });
    // Released: the bench's orders must not hold the demo bills as "in an active order".
    await db
      .insert(schema.paymentOrderItems)
      .values(orders.map((order, j) => ({ orderId: order.id, billId: slice[j]!.id, amount: slice[j]!.amount, releasedAt: new Date() })));
    const receipts = orders.map((order, j) => ({ orderId: order.id, number: `R20250101-${String(offset + from + j).padStart(6, "0")}` }));
    await db.insert(schema.receipts).values(receipts);
    numbers.push(...receipts.map((receipt) => receipt.number));
  }
  return numbers;
}

/** JavaScript heap and buffers (where CSV chunks live); PGlite's own WebAssembly memory is left out. */
const used = () => {
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
};

/**
 * Runs `work` twice: once timed; once with probes, where each probe forces
 * the garbage collector and reads memory, so the peak is what the export
 * keeps alive (its live set), not garbage waiting to be collected. Both ways
 * are probed at the same points: as each batch of rows arrives from the
 * database and after it has been written, and at the end.
 */
async function withPeakHeap(work: (probe: () => void) => Promise<void>): Promise<{ ms: number; peakHeapMb: number }> {
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with --expose-gc (bench/vitest.config.ts does)");
  gc();
  const started = performance.now();
  await work(() => {});
  const ms = performance.now() - started;
  gc();
  const base = used();
  let peak = base;
  await work(() => {
    gc();
    peak = Math.max(peak, used());
  });
  return { ms: Math.round(ms), peakHeapMb: Math.round(((peak - base) / 1024 / 1024) * 10) / 10 };
}

async function* probed<T>(source: AsyncIterable<T>, probe: () => void): AsyncGenerator<T> {
  for await (const item of source) {
    probe();
    yield item;
    probe();
  }
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

for (const kind of TEST_DATABASES)
  it(`payment records on ${kind.name}`, async () => {
    const created = await kind.create();
    const db = created.handle.db;
    try {
      const small = Math.round(RECORDS / 4);
      await seedDemoDataIfEmpty(db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: Math.ceil((RECORDS + small) / 13) + 10 });
      const member = await upsertMember(db, env, {
        issuer: "bench",
        subject: "history",
        name: "林美芯",
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/",
      });
      const smaller = await upsertMember(db, env, {
        issuer: "bench",
        subject: "shorter",
        name: "王小明",
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/",
      });
      const receiptNumbers = await insertHistory(db, member.id, RECORDS, 0);
      await insertHistory(db, smaller.id, small, RECORDS);
      const t = await getFixedT("zh-TW");

      const streamCsv = async (memberId: string) => {
        let bytes = 0;
        const measured = await withPeakHeap(async (probe) => {
          bytes = await drain(historyCsvStream(probed(memberHistoryBatches(db, memberId, NO_FILTERS), probe), t, "zh-TW"));
          probe();
        });
        return { ...measured, bytes };
      };
      const buildCsv = async (memberId: string) => {
        let bytes = 0;
        const measured = await withPeakHeap(async (probe) => {
          const records: HistoryRecord[] = [];
          for await (const batch of probed(memberHistoryBatches(db, memberId, NO_FILTERS, 100_000), probe)) records.push(...batch);
          const text = stringify([historyCsvColumns(t), ...records.map((record) => historyCsvRow(record, t, "zh-TW"))], {
            bom: true,
            record_delimiter: "windows",
          });
          bytes = Buffer.byteLength(text);
          probe();
        });
        return { ...measured, bytes };
      };
      // Warm-up: one pass of each, not measured.
      await streamCsv(member.id);
      await buildCsv(member.id);
      const streamedSmall = await streamCsv(smaller.id);
      const builtSmall = await buildCsv(smaller.id);
      const streamed = await streamCsv(member.id);
      const whole = await buildCsv(member.id);
      const streamedBytes = streamed.bytes;
      if (streamed.bytes !== whole.bytes || streamedSmall.bytes !== builtSmall.bytes) throw new Error("the streamed and built CSVs differ");

      // Receipts: read from the database (reference), one PDF each, and many in one streamed PDF.
      const sample = receiptNumbers.slice(0, RECEIPTS);
      const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000 * 10) / 10;
      let started = performance.now();
      for (const number of sample) await receiptByNumber(db, number);
      const readMs = performance.now() - started;
      started = performance.now();
      for (const number of sample) {
        const receipt = (await receiptByNumber(db, number))!;
        await receiptPdf(receipt, receiptVerificationUrl(env.PUBLIC_URL, env.RECEIPT_SECRET, number), "zh-TW");
      }
      const singleMs = performance.now() - started;
      started = performance.now();
      await drain(
        receiptsPdfStream(
          (async function* () {
            for (const number of sample)
              yield {
                receipt: (await receiptByNumber(db, number))!,
                verifyUrl: receiptVerificationUrl(env.PUBLIC_URL, env.RECEIPT_SECRET, number),
              };
          })(),
          sample.length,
          "zh-TW",
        ),
      );
      const batchMs = performance.now() - started;

      const [check] = await db.select({ id: schema.members.id }).from(schema.members).where(eq(schema.members.id, member.id));
      if (!check) throw new Error("member vanished");
      const result = {
        date: new Date().toISOString(),
        database: created.handle.kind,
        records: RECORDS,
        csvBytes: streamedBytes,
        csvStreamed: { ...streamed, rowsPerSecond: perSecond(RECORDS, streamed.ms) },
        csvBuiltInMemory: { ...whole, rowsPerSecond: perSecond(RECORDS, whole.ms) },
        // A quarter of the records: streaming's peak should stay where it was, building's should not.
        quarter: { records: small, streamed: streamedSmall, builtInMemory: builtSmall },
        streamedVsInMemory: {
          time: Math.round((streamed.ms / whole.ms) * 100) / 100,
          peakHeap: Math.round((streamed.peakHeapMb / Math.max(whole.peakHeapMb, 0.1)) * 100) / 100,
        },
        receipts: {
          count: RECEIPTS,
          readPerSecond: perSecond(RECEIPTS, readMs),
          pdfEachPerSecond: perSecond(RECEIPTS, singleMs),
          pdfOneFilePerSecond: perSecond(RECEIPTS, batchMs),
          pdfEachVsRead: Math.round((readMs / singleMs) * 1000) / 1000,
        },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/records-${created.handle.kind}.json`), JSON.stringify(result, null, 2));
      console.log(
        `RECORDSBENCH ${result.database} CSV of ${RECORDS} records (${(streamedBytes / 1024 / 1024).toFixed(1)} MB): streamed ${streamed.ms} ms, peak +${streamed.peakHeapMb} MB; built in memory ${whole.ms} ms, +${whole.peakHeapMb} MB; streamed/in-memory time ×${result.streamedVsInMemory.time}, peak ×${result.streamedVsInMemory.peakHeap}; at ${small} records: streamed +${streamedSmall.peakHeapMb} MB, built +${builtSmall.peakHeapMb} MB`,
      );
      console.log(
        `RECORDSBENCH ${result.database} receipts: read ${result.receipts.readPerSecond}/s (reference), PDF each ${result.receipts.pdfEachPerSecond}/s (×${result.receipts.pdfEachVsRead} of reads), ${RECEIPTS} in one PDF ${result.receipts.pdfOneFilePerSecond}/s`,
      );
    } finally {
      await created.dispose();
    }
  });
