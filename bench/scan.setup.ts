import { writeFile } from "node:fs/promises";
import path from "node:path";
import { cameraFiles, writeCameraFixtures } from "../e2e/support/camera-fixtures";
import { DISTORTED_BILL_COUNT, distortedBills } from "../tests/support/distorted-bills";
import { y4m } from "../tests/support/images";

/** The benchmark's own fake-camera videos (not the e2e run's, which may be running too). */
export const BENCH_CAMERA_FILES = cameraFiles(path.resolve("bench/.artifacts"));

/** One video per bill of the distorted set (tests/support/distorted-bills.ts). */
export const BENCH_DISTORTED_VIDEOS = Array.from({ length: DISTORTED_BILL_COUNT }, (_, i) =>
  path.join(BENCH_CAMERA_FILES.directory, `distorted-${i}.y4m`),
);

export default async function setup(): Promise<void> {
  await writeCameraFixtures(process.env.BENCH_PORTAL_URL!, BENCH_CAMERA_FILES);
  const bills = await distortedBills();
  await Promise.all(bills.map((bill, i) => writeFile(BENCH_DISTORTED_VIDEOS[i]!, y4m([bill.frame]))));
}
