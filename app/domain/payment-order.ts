/**
 * Payment order (繳費訂單) states. `unknown` is explicit: the provider was
 * called and we do not yet know the outcome; only a definite answer moves it.
 * `awaiting_payment` (待繳費): the provider issued instructions for a tool
 * paid later (an ATM account, a store code) and waits for the money; the
 * bills stay held until the instructions expire.
 */
export const PAYMENT_ORDER_STATES = [
  "created",
  "pending",
  "unknown",
  "awaiting_payment",
  "paid",
  "failed",
  "cancelled",
  "expired",
  "refunded",
] as const;
export type PaymentOrderState = (typeof PAYMENT_ORDER_STATES)[number];

/** Providers the portal speaks to; each has one adapter. */
export const PAYMENT_PROVIDERS = ["line_pay", "ecpay"] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

/**
 * What a provider can say of a payment, in the portal's words (each adapter
 * declares how its own codes map onto these). Not order states: the order
 * service decides what each means for the order (`ORDER_STATE_AFTER`).
 */
export type ProviderOutcome =
  | "paid"
  /** Instructions issued for a tool paid later (ECPay's PaymentInfoURL notice): the money is still to come. */
  | "awaiting_payment"
  | "waiting"
  | "simulated"
  | "declined"
  | "cancelled"
  | "expired"
  | "unknown_order";

/**
 * The order state a provider's definite answer leads to; null: no change
 * (still waiting, or a simulation that is never money). A provider that never
 * heard of the order cannot have been paid: the order failed.
 */
export const ORDER_STATE_AFTER: Record<ProviderOutcome, PaymentOrderState | null> = {
  paid: "paid",
  awaiting_payment: "awaiting_payment",
  waiting: null,
  simulated: null,
  declined: "failed",
  cancelled: "cancelled",
  expired: "expired",
  unknown_order: "failed",
};

/**
 * How a payer came to pay here: a look-up, a paper bill's QR link, a scan,
 * the member dashboard, or an application's fee (a case followed by its
 * number or in "My applications").
 */
export const ENTRY_CHANNELS = ["lookup", "qr_link", "scan", "member", "case"] as const;
export type EntryChannel = (typeof ENTRY_CHANNELS)[number];

/** The channel a browser or caller names, if it is one; anything else is "not recorded" rather than a refusal to pay. */
export function entryChannelOrNull(value: unknown): EntryChannel | null {
  return typeof value === "string" && (ENTRY_CHANNELS as readonly string[]).includes(value) ? (value as EntryChannel) : null;
}

/** What caused a recorded payment event. */
export const PAYMENT_EVENT_SOURCES = [
  "payer",
  "provider_return",
  "provider_notification",
  "recovery_job",
  "system",
  "operator",
  "staff",
] as const;
export type PaymentEventSource = (typeof PAYMENT_EVENT_SOURCES)[number];

/**
 * Notices to issuing agencies (銷帳通知): a bill paid here; that payment
 * refunded in full (write-off reversed) or in part (the amount refunded); and
 * a day's statement ready to download.
 */
export const WRITE_OFF_NOTICE_KINDS = ["bill.paid", "bill.payment_refunded", "bill.payment_partially_refunded", "statement.ready"] as const;
export type WriteOffNoticeKind = (typeof WRITE_OFF_NOTICE_KINDS)[number];

/**
 * `refund`: a refund of (part of) the order changed state (payload: the
 * refund's number, from and to, and what caused it).
 *
 * `simulated_payment`: a provider's test or simulation notice (ECPay's
 * SimulatePaid=1, sent by the merchant back office's "simulate payment"
 * button). It is never money: recorded, alerted, and it changes nothing.
 */
export const PAYMENT_EVENT_KINDS = [
  "transition",
  "provider_call",
  "provider_answer",
  "notification_rejected",
  "simulated_payment",
  "refund",
] as const;
export type PaymentEventKind = (typeof PAYMENT_EVENT_KINDS)[number];

/**
 * Which state may follow which. `unknown` leads only to a definite outcome:
 * a provider's "still waiting" after a timeout keeps it unknown until the
 * payer finishes or the provider expires the transaction. Each state is
 * entered at most once (a database constraint), so no cycles.
 *
 * An order that ended without payment can still become paid: a payer who
 * went back to the shop and then paid after all, or a provider's late
 * notice. Money taken is never lost; the paid transition then decides, bill
 * by bill, whether it pays the bill or is a case for a refund.
 */
const NEXT: Record<PaymentOrderState, readonly PaymentOrderState[]> = {
  created: ["pending", "unknown", "failed", "cancelled", "expired"],
  pending: ["awaiting_payment", "paid", "unknown", "failed", "cancelled", "expired"],
  unknown: ["awaiting_payment", "paid", "failed", "cancelled", "expired"],
  // The payer may give instructions up (the bills freed; money sent after all becomes a refund case).
  awaiting_payment: ["paid", "failed", "cancelled", "expired"],
  paid: ["refunded"],
  failed: ["paid"],
  cancelled: ["paid"],
  expired: ["paid"],
  refunded: [],
};

export function canTransition(from: PaymentOrderState, to: PaymentOrderState): boolean {
  return NEXT[from].includes(to);
}

/** States in which the order's outcome is known: nobody needs to ask the provider any more. */
const SETTLED: readonly PaymentOrderState[] = ["paid", "failed", "cancelled", "expired", "refunded"];

export function isSettled(state: PaymentOrderState): boolean {
  return SETTLED.includes(state);
}

/** States in which the bills of the order are free to be paid in another order. */
export function releasesBills(state: PaymentOrderState): boolean {
  return state === "failed" || state === "cancelled" || state === "expired" || state === "refunded";
}

/**
 * How long an order's bills are held against other payers (the payer who
 * started it can always resume or give it up). The principle: a bill is held
 * only while its payer could be charged without the portal's say.
 * - An order never handed to a provider (a crash mid-request): briefly.
 * - Waiting at a provider that charges only when the portal confirms (LINE
 *   Pay): for the payer's approval, then another payer may take over, and a
 *   late approval is never confirmed.
 * - Waiting at a provider that charges by itself (ECPay's card page): the
 *   whole payment window, or until the payer comes back without paying.
 */
export const UNSTARTED_HOLD_SECONDS = 45;
const APPROVAL_HOLD_SECONDS = 5 * 60;

export function holdEndsAt(
  order: { createdAt: Date; expiresAt: Date },
  stage: "unstarted" | "at_provider",
  chargesByItself: boolean,
  startedAt: Date,
): Date {
  if (stage === "unstarted") return new Date(order.createdAt.getTime() + UNSTARTED_HOLD_SECONDS * 1000);
  if (chargesByItself) return order.expiresAt;
  return new Date(Math.min(order.expiresAt.getTime(), startedAt.getTime() + APPROVAL_HOLD_SECONDS * 1000));
}

/**
 * An order ended by the portal, not by the provider (the payer came back
 * without paying, a hold was taken over, the window passed), at a provider
 * that charges by itself, is asked about once more this long after its
 * window: a payment made after all is never lost, even if its notice is.
 */
export const FINAL_CHECK_AFTER_SECONDS = 30 * 60;

/** After the payment window, how long a provider still saying "waiting" is given before the order expires. */
export const EXPIRY_GRACE_SECONDS = 2 * 60;

/** Minutes to wait before the recovery job's next question, by attempts already made. */
export function recoveryBackoffMinutes(attempts: number): number {
  const schedule = [1, 2, 5, 10, 30, 60];
  return schedule[Math.min(attempts, schedule.length - 1)]!;
}

/**
 * Seconds before a notice's next attempt, by attempts already made: dense at
 * first (most outages are short), then 15 min, 1 h, daily. A receiver that
 * is down is also probed every minute with one of its notices, and a success
 * sends all its others at once (write-off-notices.server.ts), so after an
 * outage of any length agencies hear of every payment within minutes.
 */
export function webhookBackoffSeconds(attempts: number): number {
  const schedule = [30, 60, 120, 300, 900, 3600, 86_400];
  return schedule[Math.min(attempts, schedule.length - 1)]!;
}

/** How often a receiver with notices waiting is tried again, whatever their back-off. */
export const WEBHOOK_PROBE_SECONDS = 60;

/**
 * Why a payment (or the part of it for one bill) is a case for a refund
 * rather than a payment of the bill:
 * - `bill_settled_elsewhere`: the bill had been paid at the source's counter,
 *   a bank or a store (or cancelled) when this payment came in;
 * - `source_reports_other_payment`: after this payment, the bill's source
 *   reported it paid through another channel too;
 * - `bill_paid_by_another_order`: a late payment for an order that had
 *   ended, when the bill was by then paid or being paid in another order.
 */
export const REFUND_CASE_REASONS = ["bill_settled_elsewhere", "source_reports_other_payment", "bill_paid_by_another_order"] as const;
export type RefundCaseReason = (typeof REFUND_CASE_REASONS)[number];

export const REFUND_CASE_STATES = ["open", "refunded", "closed"] as const;
export type RefundCaseState = (typeof REFUND_CASE_STATES)[number];

/**
 * Bills in one payment order at most: one receipt stays readable, and one
 * provider's order description stays within its limits.
 */
export const MAX_BILLS_PER_ORDER = 20;
