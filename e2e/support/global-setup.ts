import type { FullConfig } from "@playwright/test";
import { writeCameraFixtures } from "./camera-fixtures";

/** Before any browser starts: the videos its fake camera will play. */
export default async function globalSetup(config: FullConfig): Promise<void> {
  await writeCameraFixtures(config.projects[0]!.use.baseURL!);
}
