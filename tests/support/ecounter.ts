import { createHmac } from "node:crypto";
import { createEcounterSimulator } from "~/demo/ecounter-simulator.server";
import { listen } from "./payments";

/**
 * The e-counter of a test: its simulator on a port of its own, spoken to
 * over real HTTP with real signatures; `env` is what the portal is
 * configured with to reach it.
 */
export async function startEcounter(options: { latencyMs?: number; timeoutMs?: number } = {}) {
  const secret = createHmac("sha256", "test-ecounter-master").update("signing").digest("base64url");
  const applicantKey = createHmac("sha256", "test-ecounter-master").update("applicants").digest("base64url");
  const simulator = createEcounterSimulator({ secret, applicantKey, baseLatencyMs: options.latencyMs ?? 10 });
  const server = await listen(simulator.app);
  return {
    simulator,
    url: server.url,
    applicantKey,
    env: {
      ECOUNTER_URL: server.url,
      ECOUNTER_KEY_ID: "ecounter-test",
      ECOUNTER_SECRET: secret,
      ECOUNTER_APPLICANT_KEY: applicantKey,
      ECOUNTER_TIMEOUT_MS: String(options.timeoutMs ?? 1500),
    },
    close: () => new Promise<void>((resolve) => server.server.close(() => resolve())),
  };
}
