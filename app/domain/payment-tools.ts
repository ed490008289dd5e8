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
  // Paid later, away from the portal, with the instructions the provider issues (domain/payment-instructions.ts).
  "atm_transfer",
  "store_code",
  "store_barcode",
] as const;

export type PaymentTool = (typeof PAYMENT_TOOLS)[number];

export function isPaymentTool(value: unknown): value is PaymentTool {
  return typeof value === "string" && (PAYMENT_TOOLS as readonly string[]).includes(value);
}

/**
 * Tools paid later, away from the portal: the provider issues instructions
 * (a virtual account, a store code, store barcodes) and the payer pays at an
 * ATM or a convenience store before they expire. Their orders wait in the
 * `awaiting_payment` state and hold their bills until the instructions expire.
 */
const DEFERRED_PAYMENT_TOOLS = ["atm_transfer", "store_code", "store_barcode"] as const satisfies readonly PaymentTool[];
export type DeferredPaymentTool = (typeof DEFERRED_PAYMENT_TOOLS)[number];

export function isDeferredPaymentTool(tool: PaymentTool): tool is DeferredPaymentTool {
  return (DEFERRED_PAYMENT_TOOLS as readonly string[]).includes(tool);
}
