/**
 * What the sandbox gateway charges per payment (its merchant contract), and
 * so the demo's fee schedule (PROVIDER_FEES): LINE Pay 2.2%, ECPay credit
 * cards 2.75%, rounded half up to whole NT dollars; refunds free.
 */
export const SANDBOX_FEES = [
  { provider: "line_pay", tool: "line_pay", percent: 2.2, fixed: 0 },
  { provider: "ecpay", tool: "credit_card", percent: 2.75, fixed: 0 },
] as const;
