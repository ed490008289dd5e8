import type { Server } from "node:http";
import { Writable } from "node:stream";
import { and, eq } from "drizzle-orm";
import express from "express";
import { pino } from "pino";
import { paymentCallbacks } from "~/payments/callbacks.server";
import { findOrderByReference, type PaymentContext, type PaymentOrder } from "~/payments/orders/order.server";
import { paymentProvidersFromEnv } from "~/payments/providers/registry.server";
import { createAgencySimulator } from "~/demo/agency-simulator.server";
import { createSandboxGateway } from "~/demo/gateway.server";
import { schema, type Database } from "~/base/db.server";
import { SANDBOX_CREDENTIALS, demoWebhookSecret } from "~/demo/keys";
import { demoEnv } from "./env";
import { receiversAtSimulator } from "./webhooks";

/**
 * The payment world of a test: the sandbox gateway (LINE Pay and ECPay), the
 * agencies' webhook receivers, and the portal's provider callbacks, each on
 * its own port, talking real HTTP with real signatures.
 */

export function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

/** A pino logger whose entries the test can read. */
export function capturedLogger(level: "debug" | "info") {
  const logs: LogEntry[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(JSON.parse(chunk.toString()) as LogEntry);
        done();
      },
    }),
  );
  return { logs, logger };
}

interface LogEntry {
  level: number;
  msg: string;
  alert?: string;
  [key: string]: unknown;
}

export async function startPaymentWorld(db: Database, overrides: Record<string, string> = {}) {
  const sandbox = createSandboxGateway(SANDBOX_CREDENTIALS);
  const simulator = createAgencySimulator(demoWebhookSecret);
  const sandboxServer = await listen(sandbox.app);
  const simulatorServer = await listen(simulator.app);
  const portal = express();
  const { logs, logger } = capturedLogger("info");
  portal.use((req, _res, next) => {
    (req as unknown as { log: typeof logger }).log = logger;
    next();
  });
  portal.use(
    "/payments/callbacks",
    paymentCallbacks(() => ctx),
  );
  const portalServer = await listen(portal);
  const env = demoEnv({
    PUBLIC_URL: portalServer.url,
    SANDBOX_PORT: new URL(sandboxServer.url).port,
    SANDBOX_PUBLIC_URL: sandboxServer.url,
    AGENCY_SIMULATOR_PORT: new URL(simulatorServer.url).port,
    PROVIDER_TIMEOUT_MS: "400",
    RECOVERY_AFTER_SECONDS: "60",
    ...overrides,
  });
  const ctx: PaymentContext = { db, env, providers: paymentProvidersFromEnv(env), logger };
  // The agencies' receivers, as the demo sets them: at the simulator, with its secrets.
  await receiversAtSimulator(db, env, simulatorServer.url);

  return {
    ctx,
    sandbox,
    simulator,
    logs,
    sandboxUrl: sandboxServer.url,
    portalUrl: portalServer.url,
    async close() {
      await Promise.all([sandboxServer, simulatorServer, portalServer].map(({ server }) => new Promise((r) => server.close(r))));
    },
  };
}

export type PaymentWorld = Awaited<ReturnType<typeof startPaymentWorld>>;

/**
 * The payer's browser follows a provider's way back to the portal (LINE Pay's
 * confirm or cancel redirect): the portal's callback, then the order as it stands.
 */
export async function followBack(world: Pick<PaymentWorld, "ctx">, back: URL): Promise<PaymentOrder | null> {
  const response = await fetch(back, { redirect: "manual" });
  await response.body?.cancel();
  const reference = back.searchParams.get("orderId") ?? back.searchParams.get("order");
  return reference ? findOrderByReference(world.ctx.db, reference) : null;
}

/** ECPay posts a signed result to the portal: with the payer (`return`) or server to server (`notify`). */
export async function postEcpayResult(
  world: Pick<PaymentWorld, "portalUrl">,
  fields: Record<string, string>,
  to: "return" | "notify",
): Promise<Response> {
  return fetch(`${world.portalUrl}/payments/callbacks/ecpay/${to}`, {
    method: "POST",
    body: new URLSearchParams(fields),
    redirect: "manual",
  });
}

/** The payer decides on the sandbox's LINE Pay page; returns where LINE Pay sends them back. */
export async function payerAtLinePay(paymentUrl: string, decision: "approve" | "decline" | "cancel"): Promise<URL> {
  const response = await fetch(paymentUrl, { method: "POST", body: new URLSearchParams({ decision }), redirect: "manual" });
  return new URL(response.headers.get("location")!);
}

/** The payer's browser posts ECPay's checkout form and decides; returns the result ECPay posts back. */
export async function payerAtEcpay(
  form: { action: string; fields: Record<string, string> },
  decision: "approve" | "decline",
): Promise<Record<string, string>> {
  const checkout = await fetch(form.action, { method: "POST", body: new URLSearchParams(form.fields) });
  if (!checkout.ok) throw new Error(`ECPay sandbox refused the checkout: ${await checkout.text()}`);
  const base = new URL(form.action).origin;
  const paid = await fetch(`${base}/Cashier/pay/${form.fields.MerchantTradeNo}`, {
    method: "POST",
    body: new URLSearchParams({ decision }),
  });
  const html = await paid.text();
  return Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replaceAll("&amp;", "&")]),
  );
}

/** Unpaid bills of a bill type that are in no active order. */
export async function unpaidBills(db: Database, billTypeCode: string, count: number) {
  const rows = await db
    .select({ id: schema.bills.id, amount: schema.bills.amount, writeOffNumber: schema.bills.writeOffNumber })
    .from(schema.bills)
    .where(and(eq(schema.bills.billTypeCode, billTypeCode), eq(schema.bills.status, "unpaid")))
    .limit(200);
  const busy = new Set(
    (await db.select({ billId: schema.paymentOrderItems.billId }).from(schema.paymentOrderItems)).map((row) => row.billId),
  );
  const free = rows.filter((row) => !busy.has(row.id)).slice(0, count);
  if (free.length < count) throw new Error(`not enough unpaid ${billTypeCode} bills`);
  return free;
}

let keyCounter = 0;
/** A fresh idempotency key per call, in the UUID form checkout expects, readable in a failing test's output. */
export const newKey = () => `00000000-0000-4000-8000-${String(++keyCounter).padStart(12, "0")}`;
