/**
 * Daily reconciliation (每日對帳): each provider's settlement file for a day,
 * line by line against the portal's orders and refunds.
 */

/** How one settlement line (or one order with no line) came out. */
export const RECONCILIATION_OUTCOMES = [
  "matched",
  "paid_not_settled",
  "settled_not_paid",
  "amount_differs",
  "fee_differs",
  "refund_not_settled",
] as const;
export type ReconciliationOutcome = (typeof RECONCILIATION_OUTCOMES)[number];

/** A mismatch is open until staff resolve it with a note; a match needs nobody. */
export const RECONCILIATION_ITEM_STATES = ["matched", "open", "resolved"] as const;
export type ReconciliationItemState = (typeof RECONCILIATION_ITEM_STATES)[number];

/** A settlement line is a payment or a refund of one. */
export const SETTLEMENT_LINE_KINDS = ["payment", "refund"] as const;
export type SettlementLineKind = (typeof SETTLEMENT_LINE_KINDS)[number];

/** How the portal got the file. */
export const SETTLEMENT_FILE_ORIGINS = ["fetched", "uploaded"] as const;
export type SettlementFileOrigin = (typeof SETTLEMENT_FILE_ORIGINS)[number];
