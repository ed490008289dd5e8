import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS } from "../playwright.config";
import { BENCH_CAMERA_FILES, BENCH_DISTORTED_VIDEOS } from "./scan.setup";

/**
 * The scanning benchmark (run by `npm run bench`, against the bench server
 * at BENCH_PORTAL_URL): Chromium with a fake camera playing generated bills.
 */
const camera = (video: string) => ({
  baseURL: process.env.BENCH_PORTAL_URL,
  locale: "zh-TW",
  permissions: ["camera"],
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      ...CHROMIUM_ARGS,
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`,
    ],
  },
});

export default defineConfig({
  testDir: ".",
  testMatch: /scan\.bench\.ts/,
  globalSetup: "./scan.setup.ts",
  workers: 1,
  reporter: [["line"]],
  timeout: 120_000,
  projects: [
    { name: "video-of-bill", grep: /stacked:/, use: camera(BENCH_CAMERA_FILES.billVideo) },
    { name: "video-of-two-barcodes", grep: /partial:/, use: camera(BENCH_CAMERA_FILES.partialVideo) },
    // The distorted bill set, one video (and one Chromium) each.
    ...BENCH_DISTORTED_VIDEOS.map((video, i) => ({ name: `distorted-${i}`, grep: /distorted:/, use: camera(video) })),
  ],
});
