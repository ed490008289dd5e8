import { randomBytes } from "node:crypto";
import { and, eq, inArray, isNull, ne } from "drizzle-orm";
import type { Logger } from "pino";
import { taipeiDate } from "~/domain/dates";
import type { PaymentEventKind, PaymentEventSource } from "~/domain/payment-order";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import type { OrderForProvider, PaymentProviderAdapter } from "../providers/adapter.server";
import type { PaymentProviders } from "../providers/registry.server";

/**
 * Payment orders (繳費訂單): what the order modules beside this one share.
 * create.server.ts writes orders, answers.server.ts applies what providers
 * and payers say, transitions.server.ts is the one writer of states,
 * recovery.server.ts asks about the unsettled; money goes back through app/money/refunds.server.ts. The rules, after GOV.UK Pay:
 * - the order row is written before any provider is called;
 * - every change of state goes through `applyTransition`, under a row lock,
 *   recorded as an event with its cause and the provider's payload, and each
 *   state is entered at most once (also a database constraint);
 * - the paid transition marks the bills paid, issues the receipt and writes
 *   the write-off notices in the same transaction: all or nothing.
 */

export type PaymentOrder = typeof schema.paymentOrders.$inferSelect;

export interface PaymentContext {
  db: Database;
  env: Env;
  providers: PaymentProviders;
  logger: Logger;
}

/** Records what happened to an order without changing its state (transitions are recorded by applyTransition). */
export async function recordOrderEvent(
  ctx: PaymentContext,
  order: { id: string },
  event: { kind: Exclude<PaymentEventKind, "transition">; source: PaymentEventSource; payload: unknown },
  now: Date,
): Promise<void> {
  await ctx.db.insert(schema.paymentEvents).values({ orderId: order.id, ...event, createdAt: now });
}

// Crockford base32: no I, L, O, U, so references read out on the phone unambiguously.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const randomCode = (length: number) => [...randomBytes(length)].map((byte) => ALPHABET[byte % 32]).join("");

/** Merchant order number sent to providers: "P" + YYMMDD + 11 characters (20 at most, the strictest provider's limit). */
export function newOrderReference(now: Date): string {
  return `P${taipeiDate(now).slice(2).replaceAll("-", "")}${randomCode(11)}`;
}

export function newReceiptNumber(now: Date): string {
  return `R${taipeiDate(now).replaceAll("-", "")}-${randomCode(6)}`;
}

/** Refund numbers (退款編號): "RF" + Taiwan date + 6 characters (domain/refund.ts REFUND_NUMBER_PATTERN). */
export function newRefundNumber(now: Date): string {
  return `RF${taipeiDate(now).replaceAll("-", "")}${randomCode(6)}`;
}

export async function findOrderByReference(db: Database, reference: string): Promise<PaymentOrder | null> {
  const [order] = await db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.reference, reference));
  return order ?? null;
}

/** The adapter of the order's provider (configured, or the order could not have been made). */
export function adapterOf(ctx: Pick<PaymentContext, "providers">, order: Pick<PaymentOrder, "provider">): PaymentProviderAdapter {
  const adapter = ctx.providers.get(order.provider);
  if (!adapter) throw new Error(`provider ${order.provider} is not configured`);
  return adapter;
}

/** An order's bills, with what agency notices and providers need of them. */
export function orderBills(db: Database, orderId: string) {
  return db
    .select({
      billId: schema.bills.id,
      status: schema.bills.status,
      paidChannel: schema.bills.paidChannel,
      paidAt: schema.bills.paidAt,
      amount: schema.paymentOrderItems.amount,
      releasedAt: schema.paymentOrderItems.releasedAt,
      billTypeCode: schema.bills.billTypeCode,
      billTypeNameZh: schema.billTypes.nameZh,
      writeOffNumber: schema.bills.writeOffNumber,
      agencyCode: schema.billTypes.agencyCode,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .where(eq(schema.paymentOrderItems.orderId, orderId));
}

/** Open (not paid) orders holding any of these bills. */
export function holdsOn(db: Database, billIds: readonly string[]) {
  return db
    .select({ billId: schema.paymentOrderItems.billId, order: schema.paymentOrders })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .where(
      and(
        inArray(schema.paymentOrderItems.billId, billIds),
        isNull(schema.paymentOrderItems.releasedAt),
        ne(schema.paymentOrders.state, "paid"),
      ),
    );
}

/** The provider's own answer inside a paid transition's payload (`{outcome, answer}`). */
function paidAnswer(payload: unknown): Record<string, unknown> | null {
  const answer = (payload as { answer?: unknown } | undefined)?.answer;
  return typeof answer === "object" && answer !== null ? (answer as Record<string, unknown>) : null;
}

export async function orderForProvider(db: Database, order: PaymentOrder): Promise<OrderForProvider> {
  const items = await orderBills(db, order.id);
  const [paid] =
    order.paidAt === null
      ? []
      : await db
          .select({ payload: schema.paymentEvents.payload })
          .from(schema.paymentEvents)
          .where(
            and(
              eq(schema.paymentEvents.orderId, order.id),
              eq(schema.paymentEvents.kind, "transition"),
              eq(schema.paymentEvents.toState, "paid"),
            ),
          );
  return {
    paidDetails: paidAnswer(paid?.payload),
    reference: order.reference,
    paymentTool: order.paymentTool,
    totalAmount: order.totalAmount,
    createdAt: order.createdAt,
    providerTransactionId: order.providerTransactionId,
    items: items.map((item) => ({ name: `${item.billTypeNameZh} ${item.writeOffNumber}`, amount: item.amount })),
  };
}
