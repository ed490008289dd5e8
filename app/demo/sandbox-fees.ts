/**
 * What the sandbox gateway charges per payment (its merchant contract), and
 * so the demo's fee schedule (PROVIDER_FEES): LINE Pay 2.2%, ECPay credit
 * cards 2.75%, 台灣Pay and ATM transfers 1%, store codes NT$26 and store
 * barcodes NT$20 each, rounded half up to whole NT dollars; refunds free.
 */
export const SANDBOX_FEES = [
  { provider: "line_pay", tool: "line_pay", percent: 2.2, fixed: 0 },
  { provider: "ecpay", tool: "credit_card", percent: 2.75, fixed: 0 },
  // The sandbox's own figures for ECPay's other tools (a demo contract, not ECPay's price list).
  { provider: "ecpay", tool: "taiwan_pay", percent: 1, fixed: 0 },
  { provider: "ecpay", tool: "atm_transfer", percent: 1, fixed: 0 },
  { provider: "ecpay", tool: "store_code", percent: 0, fixed: 26 },
  { provider: "ecpay", tool: "store_barcode", percent: 0, fixed: 20 },
] as const;
