import {
  EXPIRY_GRACE_SECONDS,
  FINAL_CHECK_AFTER_SECONDS,
  ORDER_STATE_AFTER,
  holdEndsAt,
  isSettled,
  type PaymentEventSource,
} from "~/domain/payment-order";
import { DEFAULT_LOCALE, type Locale } from "~/i18n";
import {
  ProviderUnreachable,
  type NoticeOutcome,
  type PayerReturn,
  type PaymentProviderAdapter,
  type ProviderAnswer,
  type ProviderCallbacks,
  type ProviderNotice,
} from "../providers/adapter.server";
import {
  adapterOf,
  findOrderByReference,
  orderForProvider,
  recordOrderEvent,
  type PaymentContext,
  type PaymentOrder,
} from "./order.server";
import { applyTransition } from "./transitions.server";

/**
 * Applying what providers and payers say: starting a payment, the payer's
 * return, the provider's notices and status answers, the payer giving up,
 * and another payer taking over bills whose hold has ended. No provider is
 * named here: each adapter reads its own protocol.
 */

/** Where a provider sends the payer, and its notices, back to: one set of addresses per adapter. */
function callbacksFor(
  ctx: Pick<PaymentContext, "env">,
  adapter: PaymentProviderAdapter,
  order: Pick<PaymentOrder, "reference">,
): ProviderCallbacks {
  const base = `${ctx.env.PUBLIC_URL}/payments/callbacks/${adapter.slug}`;
  return {
    returnUrl: `${base}/return`,
    // Some providers come back here with nothing that names the order: the address does.
    cancelUrl: `${base}/cancel?${new URLSearchParams({ order: order.reference })}`,
    notifyUrl: `${base}/notify`,
    paymentInfoUrl: `${base}/payment-info`,
  };
}

export type StartResult =
  | { kind: "redirect"; url: string }
  | { kind: "form"; action: string; fields: Record<string, string> }
  | { kind: "failed" | "unknown" | "settled"; order: PaymentOrder };

/**
 * Sends the payer to the provider. Calling it again for an order waiting at
 * a provider with a payment page sends them back there; a form post cannot
 * be repeated (providers refuse the same order number twice).
 */
export async function startPayment(
  ctx: PaymentContext,
  order: PaymentOrder,
  { locale = DEFAULT_LOCALE, now = new Date() }: { locale?: Locale; now?: Date } = {},
): Promise<StartResult> {
  const adapter = adapterOf(ctx, order);
  if (order.state === "pending" && order.providerPaymentUrl) return { kind: "redirect", url: order.providerPaymentUrl };
  if (order.state !== "created") return { kind: "settled", order };
  const atProvider = {
    heldUntil: holdEndsAt(order, "at_provider", adapter.chargesByItself, now),
    nextCheckAt: new Date(now.getTime() + ctx.env.RECOVERY_AFTER_SECONDS * 1000),
  };

  let outcome;
  try {
    outcome = await adapter.start(await orderForProvider(ctx.db, order), callbacksFor(ctx, adapter, order), { locale });
  } catch (error) {
    if (!(error instanceof ProviderUnreachable)) throw error;
    // The request may or may not have reached the provider: only a status query can tell.
    const moved = await applyTransition(ctx, order.id, "unknown", { source: "system", payload: { error: error.message } }, now);
    return { kind: "unknown", order: moved.order };
  }
  if (outcome.kind === "refused") {
    const moved = await applyTransition(ctx, order.id, "failed", { source: "system", payload: outcome.payload }, now);
    return { kind: "failed", order: moved.order };
  }
  if (outcome.kind === "redirect") {
    await applyTransition(
      ctx,
      order.id,
      "pending",
      {
        source: "system",
        payload: outcome.payload,
        providerTransactionId: outcome.transactionId,
        providerPaymentUrl: outcome.url,
        ...atProvider,
      },
      now,
    );
    return { kind: "redirect", url: outcome.url };
  }
  await applyTransition(ctx, order.id, "pending", { source: "system", payload: outcome.payload, ...atProvider }, now);
  return { kind: "form", action: outcome.action, fields: outcome.fields };
}

export type AnswerResult = { accepted: true; order: PaymentOrder } | { accepted: false; reason: "amount_mismatch"; order: PaymentOrder };

/** Applies what a provider said about an order (the payer's return, a notice, a status query). */
export async function applyProviderAnswer(
  ctx: PaymentContext,
  order: PaymentOrder,
  answer: ProviderAnswer,
  source: PaymentEventSource,
  now = new Date(),
): Promise<AnswerResult> {
  if (answer.outcome === "paid" && answer.amount !== order.totalAmount) {
    await recordOrderEvent(
      ctx,
      order,
      {
        kind: "notification_rejected",
        source,
        payload: { reason: "amount differs from the order", expected: order.totalAmount, answer: answer.payload },
      },
      now,
    );
    ctx.logger.error(
      { alert: "payment_amount_mismatch", order: order.reference, expected: order.totalAmount, reported: answer.amount, source },
      "provider reports a different amount: refused",
    );
    return { accepted: false, reason: "amount_mismatch", order };
  }
  if (answer.outcome === "simulated") {
    // Someone pressed "simulate payment" at the provider: no money. Acknowledged so it is not resent, and alerted.
    await recordOrderEvent(ctx, order, { kind: "simulated_payment", source, payload: { answer: answer.payload } }, now);
    ctx.logger.error(
      { alert: "simulated_payment_notification", order: order.reference, provider: order.provider, source },
      "a provider sent a simulated (test) payment notice: recorded, nothing changed",
    );
    return { accepted: true, order };
  }
  const to = ORDER_STATE_AFTER[answer.outcome];
  if (to === null) {
    await recordOrderEvent(
      ctx,
      order,
      { kind: "provider_answer", source, payload: { outcome: answer.outcome, answer: answer.payload } },
      now,
    );
    return { accepted: true, order };
  }
  const paid = answer.outcome === "paid" ? { providerTransactionId: answer.transactionId, paidAt: answer.paidAt } : {};
  // Instructions issued: the bills are held, and the order's window runs, until they expire; then the
  // provider is asked (an expired code sends no notice), just after the expiry.
  const awaiting =
    answer.outcome === "awaiting_payment"
      ? (() => {
          const expiresAt = new Date(answer.instructions.expiresAt);
          return {
            paymentInstructions: answer.instructions,
            expiresAt,
            heldUntil: expiresAt,
            nextCheckAt: new Date(expiresAt.getTime() + (EXPIRY_GRACE_SECONDS + 60) * 1000),
          };
        })()
      : {};
  const moved = await applyTransition(
    ctx,
    order.id,
    to,
    { source, payload: { outcome: answer.outcome, answer: answer.payload }, ...paid, ...awaiting },
    now,
  );
  return { accepted: true, order: moved.order };
}

/**
 * The payer's browser back at the provider's return address. A return that
 * proves nothing by itself (an address anyone can open: a link preview, a
 * prefetch) makes the portal ask the provider; a result the provider signed
 * is applied. An order the portal has ended is never confirmed (where the
 * portal confirms, the payer's authorization then lapses: nothing is charged).
 */
export async function handlePayerReturn(
  ctx: PaymentContext,
  adapter: PaymentProviderAdapter,
  reading: PayerReturn,
  now = new Date(),
): Promise<PaymentOrder | null> {
  const order = reading.reference ? await findOrderByReference(ctx.db, reading.reference) : null;
  if (!order || order.provider !== adapter.provider) return null;
  if (reading.kind === "rejected") {
    await rejectedNotice(ctx, order, reading.reason, "provider_return", now);
    return null;
  }
  if (reading.kind === "answer") return (await applyProviderAnswer(ctx, order, reading.answer, "provider_return", now)).order;
  if (reading.transactionId !== null && order.providerTransactionId !== reading.transactionId) return null;
  if (isSettled(order.state)) return order;
  try {
    const answer = await adapter.query(await orderForProvider(ctx.db, order));
    return (await applyProviderAnswer(ctx, order, answer, "provider_return", now)).order;
  } catch (error) {
    if (!(error instanceof ProviderUnreachable)) throw error;
    // Confirmed or not? The recovery job will ask; tell the payer we are checking.
    return (await applyTransition(ctx, order.id, "unknown", { source: "provider_return", payload: { error: error.message } }, now)).order;
  }
}

/** A provider's server-to-server notice: verified, applied, and how the provider expects to hear it was taken. */
export async function handleProviderNotice(
  ctx: PaymentContext,
  adapter: PaymentProviderAdapter,
  notice: ProviderNotice,
  now = new Date(),
): Promise<NoticeOutcome> {
  const order = notice.reference ? await findOrderByReference(ctx.db, notice.reference) : null;
  if (notice.kind === "rejected") {
    // Forged for one of our orders: an alert. Noise naming no order of ours: a warning, as any bad request.
    if (order) {
      await rejectedNotice(ctx, order, notice.reason, "provider_notification", now);
      ctx.logger.error(
        { alert: "forged_payment_notification", order: order.reference, provider: adapter.provider },
        "payment notification with a bad signature: refused",
      );
    } else {
      ctx.logger.warn(
        { order: notice.reference, provider: adapter.provider },
        "payment notification with a bad signature, for no order of ours: refused",
      );
    }
    return "rejected_signature";
  }
  if (!order || order.provider !== adapter.provider) {
    ctx.logger.error(
      { alert: "notification_for_unknown_order", order: notice.reference, provider: adapter.provider },
      "signed notification for an order we do not have",
    );
    return "unknown_order";
  }
  const applied = await applyProviderAnswer(ctx, order, notice.answer, "provider_notification", now);
  return applied.accepted ? "accepted" : "amount_mismatch";
}

async function rejectedNotice(
  ctx: PaymentContext,
  order: PaymentOrder,
  reason: string,
  source: PaymentEventSource,
  now: Date,
): Promise<void> {
  await recordOrderEvent(ctx, order, { kind: "notification_rejected", source, payload: { reason } }, now);
}

/** Asks the provider about an unsettled order and applies the answer (the payer's "cancel" too). */
export async function refreshFromProvider(
  ctx: PaymentContext,
  order: PaymentOrder,
  source: PaymentEventSource,
  now = new Date(),
): Promise<PaymentOrder> {
  if (isSettled(order.state)) return order;
  try {
    const answer = await adapterOf(ctx, order).query(await orderForProvider(ctx.db, order));
    return (await applyProviderAnswer(ctx, order, answer, source, now)).order;
  } catch (error) {
    if (error instanceof ProviderUnreachable) return order;
    throw error;
  }
}

/**
 * The payer gives a payment up: the result page's button, or coming back
 * from the provider's page without paying (返回商店). The provider is asked first
 * (the payment may have gone through after all); an order still open is then
 * cancelled and its bills freed at once. At a provider that charges by
 * itself the order is asked about once more after its window, and a payment
 * made after all is recorded, never lost.
 */
export async function abandonPayment(
  ctx: PaymentContext,
  order: PaymentOrder,
  reason: "gave_up" | "came_back_unpaid",
  now = new Date(),
): Promise<PaymentOrder> {
  const after = await refreshFromProvider(ctx, order, "payer", now);
  // "unknown": the provider may be taking the money right now; only its answer can end the order.
  // Instructions for a tool paid later may be given up: the bills are freed, and money sent with them
  // afterwards pays a bill still free or becomes a refund case (the paid transition decides).
  if (after.state !== "created" && after.state !== "pending" && after.state !== "awaiting_payment") return after;
  const adapter = adapterOf(ctx, after);
  return (
    await applyTransition(ctx, after.id, "cancelled", { source: "payer", payload: { reason }, ...finalCheck(adapter, after, now) }, now)
  ).order;
}

/**
 * Lets an order's bills go when its hold has ended: asks the provider, records
 * what it says (a payment that went through stays a payment), and ends an
 * order still waiting there only when nothing can be charged for it without
 * the portal's say, or its window has passed.
 */
export async function releaseEndedHold(ctx: PaymentContext, order: PaymentOrder, now: Date): Promise<PaymentOrder> {
  if (order.heldUntil.getTime() > now.getTime() || isSettled(order.state)) return order;
  const adapter = adapterOf(ctx, order);
  let answer: ProviderAnswer;
  try {
    answer = await adapter.query(await orderForProvider(ctx.db, order));
  } catch (error) {
    if (!(error instanceof ProviderUnreachable)) throw error;
    // Money may be moving: the hold stays until the provider can be asked.
    return order;
  }
  if (answer.outcome !== "waiting") return (await applyProviderAnswer(ctx, order, answer, "system", now)).order;
  const windowOver = now.getTime() >= order.expiresAt.getTime();
  if (adapter.chargesByItself && !windowOver) return order;
  const to = windowOver ? "expired" : "cancelled";
  return (
    await applyTransition(
      ctx,
      order.id,
      to,
      {
        source: "system",
        payload: { reason: "hold ended: another payer took the bills over", answer: answer.payload },
        ...finalCheck(adapter, order, now),
      },
      now,
    )
  ).order;
}

/** An order the portal ends itself at a provider that charges by itself is asked about once more, later. */
export function finalCheck(adapter: PaymentProviderAdapter, order: PaymentOrder, now: Date): { nextCheckAt?: Date } {
  if (!adapter.chargesByItself) return {};
  return { nextCheckAt: new Date(Math.max(now.getTime(), order.expiresAt.getTime()) + FINAL_CHECK_AFTER_SECONDS * 1000) };
}
