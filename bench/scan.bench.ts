import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";

/**
 * Scanning, measured in Chromium with a fake camera:
 * - from pressing "Start the camera" to the bill page, for the stacked-barcode video;
 * - decode time per frame and frames decoded per second, while scanning goes on;
 * - for each bill of the distorted set, from pressing "Start the camera" to all
 *   three barcodes read, and the decode time of those frames.
 */
const RESULTS = path.resolve("bench/results/scan-camera.json");
const RUNS = Number(process.env.BENCH_SCAN_RUNS ?? 10);
const DISTORTED_RUNS = Number(process.env.BENCH_SCAN_DISTORTED_RUNS ?? 3);
/** A camera that has not read a bill by then counts as not reading it. */
const GIVE_UP_MS = 15_000;

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

/** Opens the scan page, presses "Start the camera", and gives the time of the press. */
async function startCamera(page: Page): Promise<number> {
  await page.goto("/scan");
  const start = page.getByRole("button", { name: "開啟相機" });
  await start.waitFor();
  const began = performance.now();
  await start.click();
  return began;
}

test("stacked: camera start to the bill page", async ({ page }) => {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const began = await startCamera(page);
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

test("distorted: camera start to all three barcodes read", async ({ page }, testInfo) => {
  const times: number[] = [];
  const decodeMs: number[] = [];
  let unread = 0;
  for (let run = 0; run < DISTORTED_RUNS; run++) {
    const began = await startCamera(page);
    // These are other billers' bills: the page stays, and the camera panel says all three were read.
    const read = await page
      .locator(".camera-panel .status-message")
      .waitFor({ timeout: GIVE_UP_MS })
      .then(() => true)
      .catch(() => false);
    if (read) times.push(performance.now() - began);
    else unread++;
    decodeMs.push(...(await page.evaluate(() => performance.getEntriesByName("scan:decode-frame").map((entry) => entry.duration))));
  }
  const result = {
    runs: DISTORTED_RUNS,
    unread,
    medianMs: times.length ? round(percentile(times, 50)) : null,
    maxMs: times.length ? round(Math.max(...times)) : null,
    decodeMsMedian: round(percentile(decodeMs, 50)),
    decodeMsMax: round(Math.max(...decodeMs)),
  };
  console.log(
    `distorted ${testInfo.project.name}: read in ${DISTORTED_RUNS - unread}/${DISTORTED_RUNS} runs, median ${result.medianMs} ms from camera start, ` +
      `decode ${result.decodeMsMedian} ms a frame (max ${result.decodeMsMax})`,
  );
  await record(testInfo.project.name, result);
});
