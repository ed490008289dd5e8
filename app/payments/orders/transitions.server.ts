import { and, eq, inArray, isNull } from "drizzle-orm";
import {
  canTransition,
  isSettled,
  releasesBills,
  type PaymentEventSource,
  type PaymentOrderState,
  type RefundCaseReason,
  type WriteOffNoticeKind,
} from "~/domain/payment-order";
import type { PaymentInstructions } from "~/domain/payment-instructions";
import { recordAudit } from "~/base/audit.server";
import { paymentTransitions } from "~/base/metrics.server";
import { schema, type Database } from "~/base/db.server";
import { changeLockedBills } from "~/bills/lifecycle.server";
import { openRefundCase } from "../refund-cases.server";
import { queueReceiptMail } from "../receipt-mail.server";
import { holdsOn, newReceiptNumber, orderBills, type PaymentContext, type PaymentOrder } from "./order.server";

export interface TransitionDetails {
  source: PaymentEventSource;
  payload?: unknown;
  providerTransactionId?: string;
  providerPaymentUrl?: string;
  paidAt?: Date;
  heldUntil?: Date;
  /** Entering awaiting_payment: the instructions issued, whose expiry becomes the order's window. */
  paymentInstructions?: PaymentInstructions;
  expiresAt?: Date;
  /** When the recovery job should ask the provider next (by default: never, once settled). */
  nextCheckAt?: Date;
}

export interface TransitionResult {
  changed: boolean;
  order: PaymentOrder;
}

/**
 * Moves an order to `to`, once. The refunded transition only ends the order
 * (its bills released): what a refund does to each bill and agency is the
 * refund service's (app/money/refunds.server.ts), in the same transaction. A repeated or late answer that cannot change
 * the order any more is recorded and ignored; money reported for an order
 * already refunded is recorded and alerted, for the back office.
 */
export async function applyTransition(
  ctx: PaymentContext,
  orderId: string,
  to: PaymentOrderState,
  details: TransitionDetails,
  now = new Date(),
): Promise<TransitionResult> {
  const result = await ctx.db.transaction(async (tx) => {
    const [order] = await tx.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, orderId)).for("update");
    if (!order) throw new Error(`no payment order ${orderId}`);
    const from = order.state;
    if (from === to || !canTransition(from, to)) {
      await tx.insert(schema.paymentEvents).values({
        orderId,
        kind: "provider_answer",
        source: details.source,
        payload: { ignored: from === to ? "already in this state" : `${from} cannot become ${to}`, answer: details.payload ?? null },
        createdAt: now,
      });
      return { changed: false, order, from, lateMoney: to === "paid" && from !== "paid", refundCases: 0 };
    }
    const settled = isSettled(to);
    // Statements that do not wait for each other's answers go out together (docs/decisions/033):
    // the order and its event, and a paid order's bills, locked as they are read.
    const [[updated], , lockedBills] = await Promise.all([
      tx
        .update(schema.paymentOrders)
        .set({
          state: to,
          updatedAt: now,
          ...(details.providerTransactionId ? { providerTransactionId: details.providerTransactionId } : {}),
          ...(details.providerPaymentUrl ? { providerPaymentUrl: details.providerPaymentUrl } : {}),
          ...(details.heldUntil ? { heldUntil: details.heldUntil } : {}),
          ...(details.paymentInstructions ? { paymentInstructions: details.paymentInstructions } : {}),
          ...(details.expiresAt ? { expiresAt: details.expiresAt } : {}),
          ...(to === "paid" ? { paidAt: details.paidAt ?? now } : {}),
          ...(to === "refunded" ? { refundedAt: now, refundedAmount: order.totalAmount } : {}),
          ...(settled ? { nextCheckAt: details.nextCheckAt ?? null } : details.nextCheckAt ? { nextCheckAt: details.nextCheckAt } : {}),
          // An unknown outcome is looked into soon, whatever back-off the order had reached.
          ...(to === "unknown" ? { nextCheckAt: new Date(now.getTime() + ctx.env.RECOVERY_AFTER_SECONDS * 1000), checkAttempts: 0 } : {}),
        })
        .where(eq(schema.paymentOrders.id, orderId))
        .returning(),
      tx.insert(schema.paymentEvents).values({
        orderId,
        kind: "transition",
        fromState: from,
        toState: to,
        source: details.source,
        payload: details.payload ?? {},
        createdAt: now,
      }),
      to === "paid" ? orderBills(tx, orderId).for("update", { of: schema.bills }) : [],
    ]);
    const [refundCases] = await Promise.all([
      to === "paid" ? recordPayment(tx, ctx, updated!, from, lockedBills, now) : 0,
      releasesBills(to)
        ? tx
            .update(schema.paymentOrderItems)
            .set({ releasedAt: now })
            .where(and(eq(schema.paymentOrderItems.orderId, orderId), isNull(schema.paymentOrderItems.releasedAt)))
        : undefined,
      // Money in and money back are in the audit chain too, beside the order's own events.
      to === "paid" || to === "refunded"
        ? recordAudit(
            tx,
            {
              actorType: details.source === "operator" ? "operator" : "system",
              actorId: null,
              action: `payment_order.${to}`,
              targetType: "payment_order",
              targetId: orderId,
              details: {
                reference: updated!.reference,
                amount: updated!.totalAmount,
                provider: updated!.provider,
                providerTransactionId: updated!.providerTransactionId,
                cause: details.source,
              },
            },
            now,
          )
        : undefined,
    ]);
    return { changed: true, order: updated!, from, lateMoney: false, refundCases };
  });
  if (result.changed) {
    ctx.logger.info({ order: result.order.reference, to, source: details.source }, "payment order transition");
    // After its transaction: a transition rolled back moved nothing (inside a refund's transaction, that one decides).
    paymentTransitions.inc({ provider: result.order.provider, from: result.from, to });
  }
  if (result.refundCases > 0) {
    ctx.logger.warn(
      { alert: "refund_case_opened", order: result.order.reference, bills: result.refundCases, source: details.source },
      "money taken for bills no longer owed: recorded for a refund",
    );
  }
  if (result.lateMoney) {
    ctx.logger.error(
      { alert: "payment_after_order_ended", order: result.order.reference, state: result.order.state, source: details.source },
      "a provider reports money taken for an order that already ended: refund by hand",
    );
  }
  return { changed: result.changed, order: result.order };
}

/**
 * One notice per bill to its agency, in the outbox that write-off-notices.server.ts
 * delivers; a refund's notices name the refund (one per refund and bill).
 */
export async function queueAgencyNotices(
  tx: Database,
  order: PaymentOrder,
  items: Awaited<ReturnType<typeof orderBills>>,
  kind: WriteOffNoticeKind,
  receiptNumber: string | null,
  details: Record<string, string | number>,
  now: Date,
  refundId: string | null = null,
): Promise<void> {
  if (items.length === 0) return;
  await tx
    .insert(schema.writeOffNotices)
    .values(
      items.map((item) => ({
        orderId: order.id,
        billId: item.billId,
        agencyCode: item.agencyCode,
        kind,
        refundId,
        nextAttemptAt: now,
        createdAt: now,
        payload: {
          type: kind,
          billType: item.billTypeCode,
          writeOffNumber: item.writeOffNumber,
          amount: item.amount,
          currency: "TWD",
          ...details,
          provider: order.provider,
          providerTransactionId: order.providerTransactionId,
          orderReference: order.reference,
          receiptNumber,
        },
      })),
    )
    .onConflictDoNothing();
}

/**
 * Inside the paid transition: the receipt for the money received, and for
 * each bill either its payment (the bill paid, its agency told) or, when the
 * bill was no longer owed, a refund case (and no write-off notice: the agency
 * has collected it already). A late payment for an order that had ended pays
 * a bill only if no other order has taken it meanwhile. Returns the number of
 * refund cases opened. The receipt is mailed too, when there is an address
 * for it (queued here, sent by the mail job).
 */
async function recordPayment(
  tx: Database,
  ctx: Pick<PaymentContext, "env">,
  order: PaymentOrder,
  from: PaymentOrderState,
  items: Awaited<ReturnType<typeof orderBills>>,
  now: Date,
): Promise<number> {
  const late = releasesBills(from);
  const heldElsewhere = late
    ? new Set(
        (
          await holdsOn(
            tx,
            items.map((item) => item.billId),
          )
        )
          .filter((hold) => hold.order.id !== order.id)
          .map((hold) => hold.billId),
      )
    : new Set<string>();
  const refund = (item: (typeof items)[number]): RefundCaseReason | null => {
    if (item.status === "unpaid" && !heldElsewhere.has(item.billId)) return null;
    return item.status !== "unpaid" && item.paidChannel !== "portal" ? "bill_settled_elsewhere" : "bill_paid_by_another_order";
  };
  const paying = items.filter((item) => refund(item) === null);
  const payingIds = paying.map((item) => item.billId);
  const paidAt = order.paidAt ?? now;
  // Numbered here, not by the insert, so the notices and the mail need not wait for it.
  const receiptNumber = newReceiptNumber(now);
  const [, , opened] = await Promise.all([
    // The bills were read unpaid under their lock, so each of them changes.
    changeLockedBills(
      tx,
      payingIds,
      { event: "paid_here", paidAt },
      { actorType: "system", actorId: null, details: { order: order.reference } },
      now,
    ),
    // A late payment holds its bills again, as any paid order does.
    late && paying.length > 0
      ? tx
          .update(schema.paymentOrderItems)
          .set({ releasedAt: null })
          .where(and(eq(schema.paymentOrderItems.orderId, order.id), inArray(schema.paymentOrderItems.billId, payingIds)))
      : undefined,
    openRefundCases(tx, order, items, refund, late ? from : null, now),
    tx.insert(schema.receipts).values({ number: receiptNumber, orderId: order.id, issuedAt: now }),
    queueAgencyNotices(
      tx,
      order,
      paying,
      "bill.paid",
      receiptNumber,
      { paidAt: paidAt.toISOString(), paymentTool: order.paymentTool },
      now,
    ),
    // The receipt by e-mail, if the payer left an address (or is a member with one): committed with the payment or not at all.
    queueReceiptMail(tx, ctx.env, order, receiptNumber, now),
  ]);
  return opened;
}

/** A refund case for each bill no longer owed; `lateForOrder`: the ended state a late payment found its order in. */
async function openRefundCases(
  tx: Database,
  order: PaymentOrder,
  items: Awaited<ReturnType<typeof orderBills>>,
  refund: (item: Awaited<ReturnType<typeof orderBills>>[number]) => RefundCaseReason | null,
  lateForOrder: PaymentOrderState | null,
  now: Date,
): Promise<number> {
  let opened = 0;
  for (const item of items) {
    const reason = refund(item);
    if (!reason) continue;
    const details = {
      billStatus: item.status,
      paidChannel: item.paidChannel,
      paidAt: item.paidAt?.toISOString() ?? null,
      lateForOrder,
    };
    if (await openRefundCase(tx, { orderId: order.id, billId: item.billId, amount: item.amount, reason, details }, now)) opened += 1;
  }
  return opened;
}
