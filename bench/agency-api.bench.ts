import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { it } from "vitest";
import { rocPeriod } from "~/domain/dates";
import { withCheckDigit } from "~/domain/write-off-number";
import { agencyApiRoute } from "~/agency-api/routes.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { installConfiguration } from "~/base/env.server";
import { schema, setAppDatabase } from "~/base/db.server";
import { insertApiKey, signedRequest } from "../tests/support/agency-api";
import { TEST_DATABASES } from "../tests/support/databases";
import { demoEnv } from "../tests/support/env";

/**
 * Bills pushed through the agency API (POST /api/agency/v1/bills) in
 * batches of 1,000, the whole call each time: the signature checked, the
 * nonce and rate limit recorded, every row validated against its bill type's
 * rule, one insert for the batch and its audit entries. Against the baseline
 * of a plain multi-row insert of the same number of rows into `bills` in the
 * same run. Memory: the heap's growth per batch (after a collection) and its
 * peak while a batch is answered, and the RSS over the run. Figures go to
 * bench/results/agency-api-<database>.json.
 */
const BATCHES = Number(process.env.BENCH_AGENCY_BATCHES ?? 10);
const BATCH = 1000;
const env = demoEnv({ AGENCY_API_RATE_LIMIT: "100000/60" });
const RULE = { prefix: "GF", length: 10, charset: "digits", check: "mod10-137" } as const;

/** Traffic fines numbered from `start` (GF + 7 digits + check digit), never the seed's. */
function bills(start: number) {
  return Array.from({ length: BATCH }, (_, i) => ({
    billType: "traffic-fine",
    writeOffNumber: withCheckDigit(`GF${String(start + i).padStart(7, "0")}`, RULE),
    payerName: "王小明",
    subject: `ABC-${String((start + i) % 10_000).padStart(4, "0")}`,
    amount: 100 + ((start + i) % 5000),
    issuedOn: "2026-12-01",
    dueDate: "2026-12-31",
  }));
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

for (const kind of TEST_DATABASES)
  it(`agency API pushes on ${kind.name}`, async () => {
    const created = await kind.create();
    const db = created.handle.db;
    setAppDatabase(created.handle);
    installConfiguration(env);
    try {
      await seedDemoDataIfEmpty(db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 1, residents: 1 });
      const key = await insertApiKey(db, env, "police");
      const push = async (start: number) => {
        const response = await agencyApiRoute(
          { request: signedRequest("http://portal.bench", key, "POST", "/bills", { bills: bills(start) }), params: {} },
          { POST: "pushBills" },
        );
        return (await response.json()) as { created: number; unchanged: number };
      };
      // Warm-up, not measured: one batch each way.
      await push(9_000_000);
      await db
        .insert(schema.bills)
        .values(bills(8_000_000).map(({ billType, ...bill }) => ({ ...bill, billTypeCode: billType, period: rocPeriod(bill.issuedOn) })));

      globalThis.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const heapDeltas: number[] = [];
      let heapPeakAbove = 0;
      let pushMs = 0;
      for (let batch = 0; batch < BATCHES; batch++) {
        globalThis.gc?.();
        const heapBefore = process.memoryUsage().heapUsed;
        let peak = heapBefore;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
        const started = performance.now();
        const answer = await push(1_000_000 + batch * BATCH);
        pushMs += performance.now() - started;
        clearInterval(sampler);
        peak = Math.max(peak, process.memoryUsage().heapUsed);
        if (answer.created !== BATCH) throw new Error(`batch ${batch}: ${answer.created} created`);
        heapPeakAbove = Math.max(heapPeakAbove, peak - heapBefore);
        globalThis.gc?.();
        heapDeltas.push(process.memoryUsage().heapUsed - heapBefore);
      }
      const rssAfter = process.memoryUsage().rss;

      let baselineMs = 0;
      for (let batch = 0; batch < BATCHES; batch++) {
        const rows = bills(3_000_000 + batch * BATCH).map(({ billType, ...bill }) => ({
          ...bill,
          billTypeCode: billType,
          period: rocPeriod(bill.issuedOn),
        }));
        const started = performance.now();
        await db.insert(schema.bills).values(rows);
        baselineMs += performance.now() - started;
      }

      // A retry of every batch: each row found unchanged.
      const repeatStarted = performance.now();
      for (let batch = 0; batch < BATCHES; batch++) {
        const answer = await push(1_000_000 + batch * BATCH);
        if (answer.unchanged !== BATCH) throw new Error(`repeat ${batch}: ${answer.unchanged} unchanged`);
      }
      const repeatMs = performance.now() - repeatStarted;

      const perSecond = (ms: number) => Math.round((BATCHES * BATCH) / (ms / 1000));
      const result = {
        database: kind.name,
        batches: BATCHES,
        billsPerBatch: BATCH,
        pushBillsPerSecond: perSecond(pushMs),
        msPerBatch: Math.round(pushMs / BATCHES),
        baselineInsertBillsPerSecond: perSecond(baselineMs),
        baselineMsPerBatch: Math.round(baselineMs / BATCHES),
        pushVsBaseline: Math.round((pushMs / Math.max(1, baselineMs)) * 10) / 10,
        repeatBillsPerSecond: perSecond(repeatMs),
        heapRetainedPerBatchMb: mb(heapDeltas.reduce((sum, delta) => sum + delta, 0) / heapDeltas.length),
        heapPeakPerBatchMb: mb(heapPeakAbove),
        rssGrowthMb: mb(rssAfter - rssBefore),
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/agency-api-${kind.name}.json`), JSON.stringify(result, null, 2));
      console.log(
        `AGENCYAPIBENCH ${kind.name}: ${BATCHES} × ${BATCH} bills pushed at ${result.pushBillsPerSecond} bills/s (${result.msPerBatch} ms a batch, ` +
          `×${result.pushVsBaseline} a plain insert: ${result.baselineInsertBillsPerSecond} bills/s, ${result.baselineMsPerBatch} ms); ` +
          `repeats answered unchanged at ${result.repeatBillsPerSecond} bills/s; heap +${result.heapPeakPerBatchMb} MB peak, ` +
          `${result.heapRetainedPerBatchMb} MB kept per batch; RSS ${result.rssGrowthMb >= 0 ? "+" : ""}${result.rssGrowthMb} MB over the run (the whole process's, PGlite's memory included)`,
      );
    } finally {
      setAppDatabase(undefined);
      await created.dispose();
    }
  });
