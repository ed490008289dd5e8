import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, test } from "@playwright/test";

/**
 * Scanning, measured in Chromium with a fake camera:
 * - from pressing "Start the camera" to the bill page, for the stacked-barcode video;
 * - decode time per frame and frames decoded per second, while scanning goes on.
 */
const RESULTS = path.resolve("bench/results/scan-camera.json");
const RUNS = Number(process.env.BENCH_SCAN_RUNS ?? 10);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const round = (n: number) => Math.round(n * 10) / 10;

async function record(key: string, value: unknown) {
  await mkdir(path.dirname(RESULTS), { recursive: true });
  const current = JSON.parse(await readFile(RESULTS, "utf8").catch(() => "{}")) as Record<string, unknown>;
  await writeFile(RESULTS, JSON.stringify({ ...current, [key]: value, date: new Date().toISOString() }, null, 2));
}

test("stacked: camera start to the bill page", async ({ page }) => {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto("/scan");
    const start = page.getByRole("button", { name: "開啟相機" });
    await start.waitFor();
    const began = performance.now();
    await start.click();
    await page.waitForURL(/\/bills$/);
    await page.locator("article.bill-card").first().waitFor();
    times.push(performance.now() - began);
  }
  const result = {
    runs: RUNS,
    medianMs: round(percentile(times, 50)),
    p90Ms: round(percentile(times, 90)),
    minMs: round(Math.min(...times)),
  };
  console.log(`camera start → bill page: median ${result.medianMs} ms, p90 ${result.p90Ms} ms over ${RUNS} runs`);
  await record("cameraStartToBill", result);
});

test("partial: decode time per frame and frames decoded per second", async ({ page }) => {
  await page.goto("/scan");
  await page.getByRole("button", { name: "開啟相機" }).click();
  await expect(page.getByRole("list", { name: "條碼讀取進度" }).getByRole("listitem").first()).toHaveText(/已讀取/);
  await page.waitForTimeout(5_000);
  const entries = await page.evaluate(() =>
    performance.getEntriesByName("scan:decode-frame").map((entry) => ({ start: entry.startTime, duration: entry.duration })),
  );
  const durations = entries.map((entry) => entry.duration);
  const span = (entries.at(-1)!.start - entries[0]!.start) / 1000;
  const result = {
    frames: entries.length,
    decodeMsMedian: round(percentile(durations, 50)),
    decodeMsP90: round(percentile(durations, 90)),
    framesDecodedPerSecond: round((entries.length - 1) / span),
    // Share of the main thread spent decoding while the camera runs.
    mainThreadShare: round((durations.reduce((a, b) => a + b, 0) / (span * 1000)) * 100) / 100,
  };
  console.log(
    `decoding 1280×720 frames: median ${result.decodeMsMedian} ms (p90 ${result.decodeMsP90} ms), ` +
      `${result.framesDecodedPerSecond} frames/s, ${Math.round(result.mainThreadShare * 100)}% of the main thread`,
  );
  await record("decodePerFrame", result);
});
