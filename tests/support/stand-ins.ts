import type { Server } from "node:http";
import type { Express } from "express";
import { createAgencySimulator } from "~/demo/agency-simulator.server";
import { createSandboxGateway } from "~/demo/gateway.server";
import { SANDBOX_CREDENTIALS, demoWebhookSecret } from "~/demo/keys";

const listen = (app: Express) =>
  new Promise<Server>((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => resolve(server));
  });

/**
 * The payment sandbox and the agency simulator in the test's own process, for
 * a portal process started with EMBEDDED_SANDBOX=false: the test sees every
 * provider transaction and every write-off notice the agency receives.
 */
export async function startPaymentStandIns() {
  const sandbox = createSandboxGateway(SANDBOX_CREDENTIALS);
  const simulator = createAgencySimulator(demoWebhookSecret);
  const sandboxServer = await listen(sandbox.app);
  const simulatorServer = await listen(simulator.app);
  const sandboxUrl = `http://127.0.0.1:${(sandboxServer.address() as { port: number }).port}`;
  return {
    sandbox,
    simulator,
    sandboxUrl,
    simulatorPort: (simulatorServer.address() as { port: number }).port,
    async close() {
      sandboxServer.close();
      simulatorServer.close();
    },
  };
}
