import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { getLogger } from "~/base/logger.server";
import type { PaymentContext } from "./orders/order.server";
import { paymentProvidersFromEnv, type PaymentProviders } from "./providers/registry.server";

let providers: PaymentProviders | undefined;

/** The running portal's payment context (database, configuration, provider adapters). */
export function getPaymentContext(logger: Logger = getLogger()): PaymentContext {
  const env = getEnv();
  providers ??= paymentProvidersFromEnv(env);
  return { db: getDb(), env, providers, logger };
}

/** A fresh idempotency key for one checkout page. */
export function newIdempotencyKey(): string {
  return randomUUID();
}
