/**
 * Daily reconciliation (每日對帳): each provider's settlement file for a day,
 * line by line against the portal's orders and refunds.
 */

import type { PaymentProvider } from "./payment-order";
import type { PaymentTool } from "./payment-tools";

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

/**
 * A provider's fee (手續費) for a payment: a rate in basis points (hundredths
 * of a percent: 2.2% is 220) plus a fixed part, in whole NT dollars, per
 * provider and payment tool as the merchant contract sets them.
 */
export interface FeeRule {
  provider: PaymentProvider;
  tool: PaymentTool;
  basisPoints: number;
  fixed: number;
}

/**
 * The fee for a payment of `amount`, rounded half up to whole NT dollars, in
 * integers (no floating point at the half). Refunds carry no fee: providers
 * keep the fee of the payment and charge nothing to give money back.
 */
export function feeFor(amount: number, rule: Pick<FeeRule, "basisPoints" | "fixed">): number {
  return Math.floor((amount * rule.basisPoints + 5000) / 10000) + rule.fixed;
}

/** One line of a settlement file, as a parser reads it (amounts positive for payments and refunds alike). */
export interface SettlementLine {
  /** The line's row in the file (the header is row 1). */
  lineNumber: number;
  kind: SettlementLineKind;
  merchantOrderNumber: string;
  /** The payment's transaction at the provider (for a refund: the refunded payment's). */
  providerTransactionId: string;
  providerRefundId: string | null;
  amount: number;
  fee: number;
  occurredAt: Date;
  /** The row as read, column by column. */
  raw: Record<string, string>;
}

/** An order of the provider paid here on the day (state paid or refunded). */
export interface PaidOrder {
  id: string;
  reference: string;
  providerTransactionId: string | null;
  totalAmount: number;
  paymentTool: PaymentTool;
  paidAt: Date;
}

/** An order a line names that was not paid here that day (another day, another state, another provider). */
export interface OtherOrder {
  id: string;
  reference: string;
  provider: PaymentProvider;
  providerTransactionId: string | null;
  state: string;
  totalAmount: number;
  paidAt: Date | null;
}

/** A refund completed here on the day, with its order's numbers. */
export interface CompletedRefund {
  id: string;
  number: string;
  orderId: string;
  orderReference: string;
  orderTransactionId: string | null;
  amount: number;
  providerRefundId: string | null;
  refundedAt: Date;
}

/** What the portal holds, or what the file says, for one item: shown side by side. */
export interface ItemSide {
  kind?: SettlementLineKind;
  merchantOrderNumber?: string;
  transactionId?: string | null;
  refundId?: string | null;
  refundNumber?: string;
  amount?: number;
  fee?: number | null;
  at?: string | null;
  state?: string;
  provider?: PaymentProvider;
}

export interface ReconciledItem {
  outcome: ReconciliationOutcome;
  orderId: string | null;
  refundId: string | null;
  /** The line it is about; null for an order or refund the file lacks. */
  lineNumber: number | null;
  expected: ItemSide;
  found: ItemSide;
}

/**
 * What makes an item the same item when a day is reconciled again (a newer
 * file): its outcome, what it is about here, and the line's own numbers.
 * A resolved item that comes out again keeps its note instead of reopening.
 */
export function itemKey(item: Pick<ReconciledItem, "outcome" | "orderId" | "refundId" | "found">): string {
  const f = item.found;
  return [
    item.outcome,
    item.orderId ?? "",
    item.refundId ?? "",
    f.kind ?? "",
    f.merchantOrderNumber ?? "",
    f.transactionId ?? "",
    f.refundId ?? "",
  ].join("|");
}

const lineSide = (line: SettlementLine): ItemSide => ({
  kind: line.kind,
  merchantOrderNumber: line.merchantOrderNumber,
  transactionId: line.providerTransactionId,
  refundId: line.providerRefundId,
  amount: line.amount,
  fee: line.fee,
  at: line.occurredAt.toISOString(),
});

/**
 * Matches a provider's file for one day against what the portal holds for
 * that provider and day, every line and every order and refund once:
 *
 * - a payment line matches the day's order with its merchant order number
 *   AND the provider's transaction number; then `amount_differs` if the
 *   amounts differ, `fee_differs` if the fee is not the schedule's (when the
 *   schedule has a rule for it), else `matched`;
 * - a payment line that matches no such order (unknown here, paid another
 *   day, not paid, another transaction, or a second line for the same
 *   order) is `settled_not_paid`, linked to the order it names if any;
 * - an order paid that day without its line is `paid_not_settled`;
 * - a refund line matches a refund completed that day of the same order and
 *   transaction (and the same refund id where both have one), equal amounts
 *   first: `amount_differs` or `fee_differs` (refunds carry no fee) or
 *   `matched`; a refund line with none is `settled_not_paid`;
 * - a refund completed that day without its line is `refund_not_settled`.
 *
 * `fees`: the fee the file states for each order matched by its numbers, to
 * be stored as the order's provider fee.
 */
export function reconcileDay(input: {
  lines: readonly SettlementLine[];
  paidOrders: readonly PaidOrder[];
  otherOrders: readonly OtherOrder[];
  refunds: readonly CompletedRefund[];
  expectedFee: (order: PaidOrder) => number | null;
}): { items: ReconciledItem[]; fees: Array<{ orderId: string; fee: number }> } {
  const paidByReference = new Map(input.paidOrders.map((order) => [order.reference, order]));
  const otherByReference = new Map(input.otherOrders.map((order) => [order.reference, order]));
  const settled = new Set<string>();
  const refundsTaken = new Set<string>();
  const refundsByReference = new Map<string, CompletedRefund[]>();
  for (const refund of input.refunds)
    refundsByReference.set(refund.orderReference, [...(refundsByReference.get(refund.orderReference) ?? []), refund]);
  const items: ReconciledItem[] = [];
  const fees: Array<{ orderId: string; fee: number }> = [];

  const orderSide = (order: PaidOrder): ItemSide => ({
    merchantOrderNumber: order.reference,
    transactionId: order.providerTransactionId,
    amount: order.totalAmount,
    fee: input.expectedFee(order),
    at: order.paidAt.toISOString(),
  });
  const otherSide = (order: OtherOrder): ItemSide => ({
    merchantOrderNumber: order.reference,
    transactionId: order.providerTransactionId,
    amount: order.totalAmount,
    at: order.paidAt?.toISOString() ?? null,
    state: order.state,
    provider: order.provider,
  });
  const refundSide = (refund: CompletedRefund): ItemSide => ({
    kind: "refund",
    merchantOrderNumber: refund.orderReference,
    transactionId: refund.orderTransactionId,
    refundId: refund.providerRefundId,
    refundNumber: refund.number,
    amount: refund.amount,
    fee: 0,
    at: refund.refundedAt.toISOString(),
  });
  const unmatchedLine = (line: SettlementLine) => {
    const known = paidByReference.get(line.merchantOrderNumber) ?? otherByReference.get(line.merchantOrderNumber);
    const expected = !known ? {} : "paymentTool" in known ? orderSide(known) : otherSide(known);
    items.push({
      outcome: "settled_not_paid",
      orderId: known?.id ?? null,
      refundId: null,
      lineNumber: line.lineNumber,
      expected,
      found: lineSide(line),
    });
  };

  for (const line of input.lines) {
    if (line.kind === "payment") {
      const order = paidByReference.get(line.merchantOrderNumber);
      if (!order || order.providerTransactionId !== line.providerTransactionId || settled.has(order.id)) {
        unmatchedLine(line);
        continue;
      }
      settled.add(order.id);
      fees.push({ orderId: order.id, fee: line.fee });
      const expectedFee = input.expectedFee(order);
      const outcome: ReconciliationOutcome =
        line.amount !== order.totalAmount ? "amount_differs" : expectedFee !== null && expectedFee !== line.fee ? "fee_differs" : "matched";
      items.push({
        outcome,
        orderId: order.id,
        refundId: null,
        lineNumber: line.lineNumber,
        expected: orderSide(order),
        found: lineSide(line),
      });
      continue;
    }
    const candidates = (refundsByReference.get(line.merchantOrderNumber) ?? []).filter(
      (refund) =>
        !refundsTaken.has(refund.id) &&
        refund.orderTransactionId === line.providerTransactionId &&
        (line.providerRefundId === null || refund.providerRefundId === null || refund.providerRefundId === line.providerRefundId),
    );
    const refund =
      candidates.find((c) => line.providerRefundId !== null && c.providerRefundId === line.providerRefundId) ??
      candidates.find((c) => c.amount === line.amount) ??
      candidates[0];
    if (!refund) {
      unmatchedLine(line);
      continue;
    }
    refundsTaken.add(refund.id);
    const outcome: ReconciliationOutcome = line.amount !== refund.amount ? "amount_differs" : line.fee !== 0 ? "fee_differs" : "matched";
    items.push({
      outcome,
      orderId: refund.orderId,
      refundId: refund.id,
      lineNumber: line.lineNumber,
      expected: refundSide(refund),
      found: lineSide(line),
    });
  }

  for (const order of input.paidOrders) {
    if (!settled.has(order.id))
      items.push({
        outcome: "paid_not_settled",
        orderId: order.id,
        refundId: null,
        lineNumber: null,
        expected: orderSide(order),
        found: {},
      });
  }
  for (const refund of input.refunds) {
    if (!refundsTaken.has(refund.id))
      items.push({
        outcome: "refund_not_settled",
        orderId: refund.orderId,
        refundId: refund.id,
        lineNumber: null,
        expected: refundSide(refund),
        found: {},
      });
  }
  return { items, fees };
}
