import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { getDb } from "~/server/db.server";
import { getEnv, type Env } from "~/server/env.server";
import { getLogger } from "~/server/logger.server";
import type { PaymentContext, PaymentOrder } from "./orders.server";
import { providersFromEnv, type ProviderCallbacks, type Providers } from "./providers.server";

let providers: Providers | undefined;

/** The running portal's payment context (database, configuration, provider adapters). */
export function getPaymentContext(logger: Logger = getLogger()): PaymentContext {
  const env = getEnv();
  providers ??= providersFromEnv(env);
  return { db: getDb(), env, providers, logger };
}

/** Where providers send the payer and their notifications back to. */
export function providerCallbacks(env: Pick<Env, "PUBLIC_URL">, order: Pick<PaymentOrder, "provider" | "reference">): ProviderCallbacks {
  const base = `${env.PUBLIC_URL}/payments/callbacks`;
  return order.provider === "line_pay"
    ? { returnUrl: `${base}/line-pay/confirm`, cancelUrl: `${base}/line-pay/cancel`, notifyUrl: "" }
    : // ECPay's "back to the shop" link: the result page, told the payer came back (it then asks ECPay).
      { returnUrl: `${base}/ecpay/result`, cancelUrl: `${env.PUBLIC_URL}/payments/${order.reference}?back=1`, notifyUrl: `${base}/ecpay/notify` };
}

/** Origins the payer's browser may be sent to when paying (for the CSP's form-action). */
export function paymentOrigins(env: Pick<Env, "linePay" | "ecpay" | "sandboxPublicUrl" | "embeddedSandbox">): string[] {
  const origins = new Set<string>();
  if (env.ecpay) origins.add(new URL(env.ecpay.checkoutUrl).origin);
  if (env.linePay) {
    const api = new URL(env.linePay.apiUrl).host;
    origins.add(
      api === "api-pay.line.me"
        ? "https://web-pay.line.me"
        : api === "sandbox-api-pay.line.me"
          ? "https://sandbox-web-pay.line.me"
          : new URL(env.sandboxPublicUrl).origin,
    );
  }
  return [...origins];
}

/** A fresh idempotency key for one checkout page. */
export function newIdempotencyKey(): string {
  return randomUUID();
}
