import path from "node:path";
import { cameraFiles, writeCameraFixtures } from "../e2e/support/camera-fixtures";

/** The benchmark's own fake-camera videos (not the e2e run's, which may be running too). */
export const BENCH_CAMERA_FILES = cameraFiles(path.resolve("bench/.artifacts"));

export default async function setup(): Promise<void> {
  await writeCameraFixtures(process.env.BENCH_PORTAL_URL!, BENCH_CAMERA_FILES);
}
