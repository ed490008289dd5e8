import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { it } from "vitest";
import { ScanAccumulator } from "~/domain/scan";
import { DEFAULT_BANDS, DEFAULT_SMOOTHING_ROWS, decodeImage, type DecodeOptions } from "~/scanner/decode.client";
import { distortedBills } from "../tests/support/distorted-bills";

/**
 * The scanner's decoder on the distorted bill set (tests/support/distorted-bills.ts:
 * two encoders, blur, noise, angles, dim light, JPEG), in Node: for each band
 * count, how many bills a camera held still reads (two identical reads of each
 * barcode, from the same picture frame after frame) and the decode time per
 * frame. The baseline, measured in the same run, is the camera's decoder before
 * the photo's and the camera's were made one: six bands, no column smoothing.
 */
const REPEATS = Number(process.env.BENCH_SCAN_DECODE_REPEATS ?? 5);
const TODAY = "2026-11-21";

const CONFIGURATIONS: { name: string; options: DecodeOptions }[] = [
  { name: "baseline: 6 bands, no smoothing (the old camera)", options: { bands: 6, smoothingRows: 1 } },
  { name: "12 bands, no smoothing (the old photo)", options: { bands: 12, smoothingRows: 1 } },
  { name: "6 bands, smoothed", options: { bands: 6 } },
  { name: "8 bands, smoothed", options: { bands: 8 } },
  { name: `${DEFAULT_BANDS} bands, smoothed (camera and photo now)`, options: { bands: DEFAULT_BANDS } },
  { name: "16 bands, smoothed", options: { bands: 16 } },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (n: number) => Math.round(n * 10) / 10;

it("scan decoding: distorted bills read and decode time per frame, by band count", async () => {
  const bills = await distortedBills();
  // Warm the JIT on every configuration before measuring any.
  for (const { options } of CONFIGURATIONS) decodeImage(bills[0]!.frame, options);
  const results = CONFIGURATIONS.map(({ name, options }) => {
    const failed: string[] = [];
    const times: number[] = [];
    for (const [i, bill] of bills.entries()) {
      const accumulator = new ScanAccumulator(TODAY, 2);
      for (let frame = 0; frame < 2; frame++) accumulator.add(decodeImage(bill.frame, { ...options, qrEffort: frame }));
      if (accumulator.state().bill?.bill?.barcodes.join() !== bill.barcodes.join()) failed.push(bill.name);
      for (let r = 0; r < REPEATS; r++) {
        const begin = performance.now();
        decodeImage(bill.frame, { ...options, qrEffort: i + r });
        times.push(performance.now() - begin);
      }
    }
    return {
      name,
      options,
      read: bills.length - failed.length,
      of: bills.length,
      failed,
      decodeMsMedian: median(times),
      decodeMsMax: Math.max(...times),
    };
  });
  const baseline = results[0]!;
  const report = results.map((result) => ({
    ...result,
    decodeMsMedian: round(result.decodeMsMedian),
    decodeMsMax: round(result.decodeMsMax),
    decodeTimeVsBaseline: Math.round((result.decodeMsMedian / baseline.decodeMsMedian) * 100) / 100,
  }));
  for (const result of report) {
    console.log(
      `SCANBENCH ${result.name}: ${result.read}/${result.of} bills read, ${result.decodeMsMedian} ms a frame (max ${result.decodeMsMax}), ×${result.decodeTimeVsBaseline} the baseline's time`,
    );
  }
  const file = path.resolve("bench/results/scan-decode.json");
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        repeats: REPEATS,
        smoothingRows: DEFAULT_SMOOTHING_ROWS,
        bills: bills.map((b) => b.name),
        results: report,
      },
      null,
      2,
    ),
  );
}, 600_000);
