import { and, eq, inArray } from "drizzle-orm";
import { REFUND_STATES_OPEN } from "~/domain/refund";
import { schema, type Database } from "~/base/db.server";

/**
 * Refunds as the payer sees them (退款紀錄): money given back, each with its
 * refund number, amount and date; and, while money is on its way back (a
 * refund in approval, being sent or with its outcome unknown, or a
 * duplicate-payment case not yet refunded), that a refund is under way. A
 * refund that was rejected, refused or went stale gave nothing back: it is
 * not the payer's to see, though its case, still open, says a refund is
 * under way. (Read here, below the refund service, which writes them:
 * app/money/refunds.server.ts.)
 */

export interface PayerRefund {
  billId: string;
  number: string;
  amount: number;
  refundedAt: string;
}

export interface PayerRefunds {
  refunded: PayerRefund[];
  /** Bills of the order with a refund under way. */
  underWay: string[];
}

const NONE: PayerRefunds = { refunded: [], underWay: [] };

/** By order id: the refunds of these orders, as their payer is told. */
export async function payerRefundsOf(db: Database, orderIds: readonly string[]): Promise<Map<string, PayerRefunds>> {
  const found = new Map<string, PayerRefunds>();
  const ids = [...new Set(orderIds)];
  if (ids.length === 0) return found;
  const of = (orderId: string) => {
    let entry = found.get(orderId);
    if (!entry) found.set(orderId, (entry = { refunded: [], underWay: [] }));
    return entry;
  };
  const refunds = await db
    .select({
      orderId: schema.refunds.orderId,
      billId: schema.refunds.billId,
      number: schema.refunds.number,
      amount: schema.refunds.amount,
      state: schema.refunds.state,
      refundedAt: schema.refunds.refundedAt,
    })
    .from(schema.refunds)
    .where(inArray(schema.refunds.orderId, ids))
    .orderBy(schema.refunds.refundedAt, schema.refunds.createdAt);
  for (const refund of refunds) {
    if (refund.state === "refunded" && refund.refundedAt)
      of(refund.orderId).refunded.push({
        billId: refund.billId,
        number: refund.number,
        amount: refund.amount,
        refundedAt: refund.refundedAt.toISOString(),
      });
    else if (REFUND_STATES_OPEN.includes(refund.state)) of(refund.orderId).underWay.push(refund.billId);
  }
  const cases = await db
    .select({ orderId: schema.refundCases.orderId, billId: schema.refundCases.billId })
    .from(schema.refundCases)
    .where(and(inArray(schema.refundCases.orderId, ids), eq(schema.refundCases.state, "open")));
  for (const refundCase of cases) of(refundCase.orderId).underWay.push(refundCase.billId);
  return found;
}

/** One bill's part of what `payerRefundsOf` found for its order. */
export function billRefunds(
  refunds: Map<string, PayerRefunds>,
  orderId: string | null,
  billId: string,
): { refunds: Array<Omit<PayerRefund, "billId">>; refundUnderWay: boolean; refundedAmount: number } {
  const entry = (orderId ? refunds.get(orderId) : undefined) ?? NONE;
  const refunded = entry.refunded.filter((refund) => refund.billId === billId).map(({ billId: _bill, ...refund }) => refund);
  return {
    refunds: refunded,
    refundUnderWay: entry.underWay.includes(billId),
    refundedAmount: refunded.reduce((sum, refund) => sum + refund.amount, 0),
  };
}
