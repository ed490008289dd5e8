import { and, eq } from "drizzle-orm";
import type { RefundCaseReason } from "~/domain/payment-order";
import { schema, type Database } from "~/base/db.server";
import type { BillPaidTwice } from "~/bills/sources.server";

/**
 * Refund cases (待退款): money the portal took for a bill that was no longer
 * owed, because it had been paid (or cancelled) elsewhere first, or was paid
 * twice. The payment stays on record as money received; the case is what the
 * back office works to give it back, and what the payer is told about.
 */

export interface RefundCaseView {
  billId: string;
  amount: number;
  reason: RefundCaseReason;
  state: string;
}

/** Opens the case once per order and bill, however often the cause is reported. */
export async function openRefundCase(
  db: Database,
  input: { orderId: string; billId: string; amount: number; reason: RefundCaseReason; details: Record<string, unknown> },
  now = new Date(),
): Promise<boolean> {
  const opened = await db
    .insert(schema.refundCases)
    .values({ ...input, createdAt: now })
    .onConflictDoNothing()
    .returning({ id: schema.refundCases.id });
  return opened.length > 0;
}

/** Bills paid here that their sources report paid elsewhere too: the portal's payments are the ones to refund. */
export async function openRefundCasesForBillsPaidTwice(db: Database, bills: readonly BillPaidTwice[]): Promise<void> {
  for (const bill of bills) {
    await openRefundCaseForPortalPayment(db, bill.billId, "source_reports_other_payment", {
      source: bill.source,
      channel: bill.channel,
      settledAt: bill.settledAt,
    });
  }
}

async function openRefundCaseForPortalPayment(
  db: Database,
  billId: string,
  reason: RefundCaseReason,
  details: Record<string, unknown>,
): Promise<boolean> {
  const [paid] = await db
    .select({ orderId: schema.paymentOrderItems.orderId, amount: schema.paymentOrderItems.amount })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .where(and(eq(schema.paymentOrderItems.billId, billId), eq(schema.paymentOrders.state, "paid")));
  if (!paid) return false;
  return openRefundCase(db, { orderId: paid.orderId, billId, amount: paid.amount, reason, details });
}

export async function refundCasesOfOrder(db: Database, orderId: string): Promise<RefundCaseView[]> {
  const rows = await db
    .select({
      billId: schema.refundCases.billId,
      amount: schema.refundCases.amount,
      reason: schema.refundCases.reason,
      state: schema.refundCases.state,
    })
    .from(schema.refundCases)
    .where(eq(schema.refundCases.orderId, orderId))
    .orderBy(schema.refundCases.createdAt);
  return rows;
}
