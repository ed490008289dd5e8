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

export const PAYMENT_EVENT_KINDS = ["transition", "provider_call", "provider_answer", "notification_rejected"] as const;
export type PaymentEventKind = (typeof PAYMENT_EVENT_KINDS)[number];
