/**
 * Payment tools (支付工具) a bill type may allow. The catalogue stores these
 * codes; which provider adapter carries each tool is decided by the payment
 * module. Names shown to residents come from the locale files
 * (`paymentTools.<code>.name`).
 */
export const PAYMENT_TOOLS = [
  "line_pay",
  "credit_card",
  "jko_pay",
  "easy_wallet",
  "icash_pay",
  "pi_wallet",
  "ipass_money",
  "px_pay_plus",
  "taiwan_pay",
] as const;

export type PaymentTool = (typeof PAYMENT_TOOLS)[number];

export function isPaymentTool(value: unknown): value is PaymentTool {
  return typeof value === "string" && (PAYMENT_TOOLS as readonly string[]).includes(value);
}
