import { writeCameraFixtures } from "../e2e/support/camera-fixtures";

export default async function setup(): Promise<void> {
  await writeCameraFixtures(process.env.BENCH_PORTAL_URL!);
}
