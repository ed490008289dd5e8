import type { BillStatus, PaymentChannel } from "./catalogue";

/**
 * A bill's lifecycle (帳單狀態), declared once. A bill is stored as its
 * status and, once paid, the channel and time of the payment; these are the
 * changes it can go through, each made by one module
 * (app/bills/lifecycle.server.ts) and recorded with who caused it:
 *
 *   unpaid ──paid_here──────────▶ paid (channel "portal")
 *   unpaid ──paid_elsewhere─────▶ paid (its source's counter, a bank, a store…)
 *   unpaid ──cancelled_at_source▶ cancelled
 *   paid   ──written_off────────▶ written_off (the agency has posted it)
 *   paid / written_off (portal) ──reopened_after_refund──▶ unpaid
 */
export const BILL_EVENTS = ["paid_here", "paid_elsewhere", "cancelled_at_source", "written_off", "reopened_after_refund"] as const;
export type BillEvent = (typeof BILL_EVENTS)[number];

export interface BillChange {
  from: readonly BillStatus[];
  to: BillStatus;
  /** Only bills paid through this channel (a refund reopens only what the portal was paid). */
  onlyChannel?: PaymentChannel;
}

export const BILL_CHANGES: Record<BillEvent, BillChange> = {
  paid_here: { from: ["unpaid"], to: "paid" },
  paid_elsewhere: { from: ["unpaid"], to: "paid" },
  cancelled_at_source: { from: ["unpaid"], to: "cancelled" },
  written_off: { from: ["paid"], to: "written_off" },
  reopened_after_refund: { from: ["paid", "written_off"], to: "unpaid", onlyChannel: "portal" },
};

/** Whether a bill in this stored status has been paid, whoever took the money. */
export function isPaid(status: BillStatus | string): boolean {
  return status === "paid" || status === "written_off";
}

/** A bill paid, but not through this portal: the receipt that channel gave is the proof. */
export function isPaidElsewhere(bill: { status: string; paidChannel: string | null }): boolean {
  return isPaid(bill.status) && bill.paidChannel !== null && bill.paidChannel !== "portal";
}
