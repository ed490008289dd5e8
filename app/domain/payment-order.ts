/**
 * Payment order (繳費訂單) states. `unknown` is explicit: the provider was
 * called and we do not yet know the outcome; only a definite answer moves it.
 */
export const PAYMENT_ORDER_STATES = [
  "created",
  "pending",
  "unknown",
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

/** What caused a recorded payment event. */
export const PAYMENT_EVENT_SOURCES = [
  "payer",
  "provider_return",
  "provider_notification",
  "recovery_job",
  "system",
  "operator",
] as const;
export type PaymentEventSource = (typeof PAYMENT_EVENT_SOURCES)[number];

/** Notices to issuing agencies (銷帳通知): a bill paid here, and that payment refunded (write-off reversed). */
export const WRITE_OFF_NOTICE_KINDS = ["bill.paid", "bill.payment_refunded"] as const;
export type WriteOffNoticeKind = (typeof WRITE_OFF_NOTICE_KINDS)[number];

export const PAYMENT_EVENT_KINDS = ["transition", "provider_call", "provider_answer", "notification_rejected"] as const;
export type PaymentEventKind = (typeof PAYMENT_EVENT_KINDS)[number];

/**
 * Which state may follow which. `unknown` leads only to a definite outcome:
 * a provider's "still waiting" after a timeout keeps it unknown until the
 * payer finishes or the provider expires the transaction. Each state is
 * entered at most once (a database constraint), so no cycles.
 */
const NEXT: Record<PaymentOrderState, readonly PaymentOrderState[]> = {
  created: ["pending", "unknown", "failed", "cancelled", "expired"],
  pending: ["paid", "unknown", "failed", "cancelled", "expired"],
  unknown: ["paid", "failed", "cancelled", "expired"],
  paid: ["refunded"],
  failed: [],
  cancelled: [],
  expired: [],
  refunded: [],
};

export function canTransition(from: PaymentOrderState, to: PaymentOrderState): boolean {
  return NEXT[from].includes(to);
}

/** No provider answer can change these any more (a refund aside). */
export function isSettled(state: PaymentOrderState): boolean {
  return NEXT[state].length === 0 || state === "paid";
}

/** States in which the bills of the order are free to be paid in another order. */
export function releasesBills(state: PaymentOrderState): boolean {
  return state === "failed" || state === "cancelled" || state === "expired" || state === "refunded";
}

/** Minutes to wait before the recovery job's next question, by attempts already made. */
export function recoveryBackoffMinutes(attempts: number): number {
  const schedule = [1, 2, 5, 10, 30, 60];
  return schedule[Math.min(attempts, schedule.length - 1)]!;
}

/** Seconds before the next webhook attempt, by attempts already made: 1 min, 5 min, 1 h, then daily. */
export function webhookBackoffSeconds(attempts: number): number {
  const schedule = [60, 300, 3600, 86_400];
  return schedule[Math.min(attempts, schedule.length - 1)]!;
}

/**
 * Bills in one payment order at most: one receipt stays readable, and one
 * provider's order description stays within its limits.
 */
export const MAX_BILLS_PER_ORDER = 20;
