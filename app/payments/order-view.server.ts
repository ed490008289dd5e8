import { eq } from "drizzle-orm";
import type { PaymentOrderState } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { billsByIds, type BillView } from "~/bills/bills.server";
import { schema, type Database } from "~/base/db.server";
import { findOrderByReference } from "./orders/order.server";
import { refundCasesOfOrder, type RefundCaseView } from "./refund-cases.server";

/** An order as its payer may see it. */
export interface OrderView {
  reference: string;
  state: PaymentOrderState;
  paymentTool: PaymentTool;
  totalAmount: number;
  createdAt: string;
  paidAt: string | null;
  receiptNumber: string | null;
  /** LINE Pay: where the payer approves it, while it waits for them. */
  resumeUrl: string | null;
  /** Bills this payment took money for that were no longer owed: to be refunded. */
  refunds: RefundCaseView[];
  bills: BillView[];
}

export async function orderView(db: Database, reference: string): Promise<OrderView | null> {
  const order = await findOrderByReference(db, reference);
  if (!order) return null;
  const items = await db
    .select({ billId: schema.paymentOrderItems.billId })
    .from(schema.paymentOrderItems)
    .where(eq(schema.paymentOrderItems.orderId, order.id));
  const [receipt] = await db.select({ number: schema.receipts.number }).from(schema.receipts).where(eq(schema.receipts.orderId, order.id));
  return {
    reference: order.reference,
    state: order.state,
    paymentTool: order.paymentTool,
    totalAmount: order.totalAmount,
    createdAt: order.createdAt.toISOString(),
    paidAt: order.paidAt?.toISOString() ?? null,
    receiptNumber: receipt?.number ?? null,
    resumeUrl: order.state === "pending" ? order.providerPaymentUrl : null,
    refunds: await refundCasesOfOrder(db, order.id),
    bills: await billsByIds(
      db,
      items.map((item) => item.billId),
    ),
  };
}
