import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { freePort, spawnPortal, waitForListening } from "../support/portal-process.mjs";
import { residentBrowser } from "../support/resident";
import { startPaymentStandIns } from "../support/stand-ins";

/**
 * The portal's process is killed (SIGKILL) after LINE Pay has completed the
 * payment and before the portal could record it. After a restart, the
 * recovery job must find out from LINE Pay and record the payment: the bill
 * paid, one receipt, the agency notified. Nothing lost, nothing doubled.
 */

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

it("recovers a payment confirmed at the provider while the portal was being killed", async () => {
  const { sandbox, simulator, sandboxUrl, simulatorPort, close } = await startPaymentStandIns();
  cleanups.push(close);
  const dataDir = await mkdtemp(path.join(tmpdir(), "portal-crash-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  let portal: ReturnType<typeof spawnPortal>["child"] | undefined;
  let output = () => "";
  const start = async () => {
    const started = spawnPortal({
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: base,
      DATA_DIR: dataDir,
      EMBEDDED_SANDBOX: "false",
      LINE_PAY_API_URL: sandboxUrl,
      SANDBOX_PUBLIC_URL: sandboxUrl,
      AGENCY_SIMULATOR_PORT: String(simulatorPort),
      RECOVERY_AFTER_SECONDS: "1",
      JOBS_INTERVAL_MS: "300",
    });
    portal = started.child;
    output = started.output;
    await waitForListening(started);
  };
  cleanups.push(async () => portal?.kill("SIGKILL"));
  await start();

  // A resident looks up GF11500019 and pays it with LINE Pay (a browser's requests, by hand).
  const { browse, startLinePayPayment } = residentBrowser(base);
  const paymentUrl = await startLinePayPayment("GF11500019");
  expect(paymentUrl).toContain(`${sandboxUrl}/line-pay/approve/`);
  const approved = await fetch(paymentUrl, { method: "POST", body: new URLSearchParams({ decision: "approve" }), redirect: "manual" });
  const confirmUrl = approved.headers.get("location")!;
  const reference = new URL(confirmUrl).searchParams.get("orderId")!;

  // LINE Pay completes the payment... and the portal dies before hearing back.
  const died = new Promise((resolve) => portal!.once("exit", resolve));
  sandbox.hooks.afterConfirm = () => {
    portal!.kill("SIGKILL");
  };
  await browse(confirmUrl).catch(() => undefined);
  await died;
  sandbox.hooks.afterConfirm = undefined;
  expect([...sandbox.linePayTransactions.values()].find((t) => t.orderId === reference)?.status).toBe("completed");

  // Restarted, the portal's recovery job asks LINE Pay and records the payment.
  await start();
  const deadline = Date.now() + 30_000;
  let result = "";
  while (Date.now() < deadline) {
    result = await (await browse(`/payments/${reference}`)).text();
    if (result.includes("付款成功")) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  expect(
    result,
    output()
      .split("\n")
      .filter((line) => /recovery|transition|error/i.test(line))
      .join("\n"),
  ).toContain("付款成功");
  expect(result).toMatch(/繳費證明編號：R\d{8}-[0-9A-Z]{6}/);
  expect(output()).toContain('"to":"paid","source":"recovery_job"');

  // The agency hears of it once.
  while (Date.now() < deadline && ![...simulator.notices.values()].some((n) => n.body.orderReference === reference)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const notices = [...simulator.notices.values()].filter((notice) => notice.body.orderReference === reference);
  expect(notices).toHaveLength(1);
  expect(notices[0]!.body).toMatchObject({ writeOffNumber: "GF11500019", provider: "line_pay" });
}, 120_000);
