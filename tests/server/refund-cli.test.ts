import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "~/base/audit.server";
import { openDatabase, schema } from "~/base/db.server";
import { createSandboxGateway } from "~/demo/gateway.server";
import { SANDBOX_CREDENTIALS } from "~/demo/keys";
import { TEST_DATABASES, type RunningPortal } from "../support/databases";
import { listen, payerAtLinePay } from "../support/payments";
import { runCli, startPortal } from "../support/portal-process.mjs";
import { residentBrowser } from "../support/resident";

/**
 * The operator's break-glass refund (`node cli.js refund`), from the build,
 * while the portal runs on either database: the running portal carries it
 * out through its control socket (with PGlite the CLI could not open the
 * database), through the refund service, at the provider; a stale amount is
 * refused with nothing sent; with the portal stopped the CLI does it itself.
 * The sandbox gateway runs here, outside the portal, so that it outlives it
 * and the test sees what reached it.
 */

const OPERATOR = "Lin Shu-fen";
const SYSTEM_USER = userInfo().username;

for (const kind of TEST_DATABASES) {
  describe(`node cli.js refund with a running portal [${kind.name}]`, () => {
    const sandbox = createSandboxGateway(SANDBOX_CREDENTIALS);
    let sandboxServer: Awaited<ReturnType<typeof listen>>;
    let portal: RunningPortal;
    let cliEnv: Record<string, string>;
    const paid: Array<{ reference: string; transactionId: string; amount: number }> = [];
    const atSandbox = (transactionId: string) => sandbox.linePayTransactions.get(transactionId)!;

    beforeAll(async () => {
      sandboxServer = await listen(sandbox.app);
      const providers = { EMBEDDED_SANDBOX: "false", LINE_PAY_API_URL: sandboxServer.url, SANDBOX_PUBLIC_URL: sandboxServer.url };
      portal = await startPortal(providers, kind.name === "postgres" ? { postgresAdminUrl: process.env.TEST_DATABASE_URL } : {});
      // What the operator's shell has: the portal's configuration.
      cliEnv = { ...providers, DATA_DIR: portal.dataDir, ...(portal.databaseUrl ? { DATABASE_URL: portal.databaseUrl } : {}) };
      // Two residents pay a traffic fine each with LINE Pay.
      for (const writeOffNumber of ["GF11500019", "GF11500022"]) {
        const { browse, startLinePayPayment } = residentBrowser(portal.url);
        const back = await payerAtLinePay(await startLinePayPayment(writeOffNumber), "approve");
        const result = await browse(back.toString());
        expect(result.status).toBeLessThan(400);
        const transactionId = back.searchParams.get("transactionId")!;
        expect(atSandbox(transactionId).status).toBe("completed");
        paid.push({ reference: back.searchParams.get("orderId")!, transactionId, amount: atSandbox(transactionId).amount });
      }
    }, 180_000);
    afterAll(async () => {
      await portal?.stop();
      await new Promise((resolve) => sandboxServer?.server.close(resolve));
    });

    const refund = (order: { reference: string }, refundable: number) =>
      runCli(["refund", "--order", order.reference, "--refundable", String(refundable), "--operator", OPERATOR], cliEnv);

    it("refuses an amount that is not what the portal holds refundable, and sends nothing to the provider", async () => {
      const [order] = paid;
      const { code, stdout, stderr } = await refund(order!, order!.amount + 100);
      expect(JSON.parse(stdout)).toEqual({ kind: "refundable_mismatch", refundable: order!.amount });
      expect(stderr).toContain(`Carried out by the running portal (pid ${portal.child.pid})`);
      expect(code).toBe(1);
      expect(atSandbox(order!.transactionId).refunds).toEqual([]);
    });

    it("has the running portal refund the order at the provider, and verify the audit trail, through its control socket", async () => {
      const [order] = paid;
      const { code, stdout, stderr } = await refund(order!, order!.amount);
      expect(JSON.parse(stdout)).toEqual({ kind: "refunded", refunds: [expect.stringMatching(/^.+$/)] });
      expect(stderr).toContain(`Carried out by the running portal (pid ${portal.child.pid})`);
      expect(code).toBe(0);
      expect(atSandbox(order!.transactionId).refunds.map((r) => r.amount)).toEqual([order!.amount]);
      expect(portal.output()).toContain('"alert":"break_glass_refund"');

      // Refunded in full, nothing is left to refund: the same command again is refused.
      const again = await refund(order!, order!.amount);
      expect(JSON.parse(again.stdout)).toEqual({ kind: "not_refundable", state: "refunded" });
      expect(again.code).toBe(1);

      const verified = await runCli(["audit", "verify"], cliEnv);
      expect(verified.stdout).toMatch(/^audit trail intact: \d+ entries checked\n/);
      expect(verified.stderr).toContain("Carried out by the running portal");
      expect(verified.code).toBe(0);
    });

    it("stops cleanly, removing its control socket; the CLI then refunds by itself", async () => {
      portal.child.kill("SIGTERM");
      expect(await portal.exited).toBe(0);
      expect(existsSync(path.join(portal.dataDir, "control.sock"))).toBe(false);

      const [, order] = paid;
      const { code, stdout, stderr } = await refund(order!, order!.amount);
      expect(JSON.parse(stdout)).toEqual({ kind: "refunded", refunds: [expect.stringMatching(/^.+$/)] });
      expect(stderr).toContain("No portal is running: carried out by this process.");
      expect(code).toBe(0);
      expect(atSandbox(order!.transactionId).refunds.map((r) => r.amount)).toEqual([order!.amount]);
    });

    it("keeps the operator's name and system account on each refund and in the audit trail", async () => {
      const handle = await openDatabase(
        portal.databaseUrl ? { url: portal.databaseUrl, poolSize: 2 } : { pgliteDir: path.join(portal.dataDir, "pglite") },
      );
      try {
        const orders = await handle.db
          .select({ id: schema.paymentOrders.id, state: schema.paymentOrders.state, refunded: schema.paymentOrders.refundedAmount })
          .from(schema.paymentOrders)
          .where(
            inArray(
              schema.paymentOrders.reference,
              paid.map((order) => order.reference),
            ),
          );
        expect(orders.map((order) => order.state)).toEqual(["refunded", "refunded"]);
        const refunds = await handle.db
          .select()
          .from(schema.refunds)
          .where(
            inArray(
              schema.refunds.orderId,
              orders.map((order) => order.id),
            ),
          );
        expect(refunds).toHaveLength(2);
        for (const row of refunds) {
          expect(row).toMatchObject({ state: "refunded", operator: `${OPERATOR} (${SYSTEM_USER})`, requestedBy: null });
        }
        const entries = await handle.db
          .select()
          .from(schema.auditLog)
          .where(eq(schema.auditLog.action, "refund.break_glass"))
          .orderBy(schema.auditLog.seq);
        expect(entries.map((entry) => entry.details)).toEqual(
          paid.map((order) =>
            expect.objectContaining({ order: order.reference, amount: order.amount, operator: OPERATOR, systemUser: SYSTEM_USER }),
          ),
        );
        expect((await verifyAuditChain(handle.db)).ok).toBe(true);
      } finally {
        await handle.close();
      }
    });
  });
}

describe("node cli.js refund given wrongly", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "refund-cli-"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it.each([
    ["no operator", ["--order", "P1", "--refundable", "500"], "--operator"],
    ["a blank operator", ["--order", "P1", "--refundable", "500", "--operator", "  "], "--operator"],
    ["an amount that is not whole NT$", ["--order", "P1", "--refundable", "499.5", "--operator", OPERATOR], "whole number"],
    [
      "an operator's name longer than the record keeps",
      ["--order", "P1", "--refundable", "500", "--operator", "x".repeat(201)],
      "operator Too big",
    ],
    ["an unknown option", ["--order", "P1", "--refundable", "500", "--operator", OPERATOR, "--amount", "5"], "--amount"],
  ])("exits 2 with %s, saying what is missing, and opens nothing", async (_, args, named) => {
    const { code, stderr } = await runCli(["refund", ...args], { DATA_DIR: dataDir });
    expect(stderr).toContain(named);
    expect(stderr).toContain("Usage:");
    expect(code).toBe(2);
    expect(await readdir(dataDir)).toEqual([]);
  });
});
