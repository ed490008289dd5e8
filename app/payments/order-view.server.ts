import { eq } from "drizzle-orm";
import type { PaymentInstructions } from "~/domain/payment-instructions";
import type { PaymentOrderState } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { billsByIds, type BillView } from "~/bills/bills.server";
import { schema, type Database } from "~/base/db.server";
import { findOrderByReference, holdsOn } from "./orders/order.server";
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
  /** Paid later: the account or code to pay with, while the order awaits the money. */
  instructions: PaymentInstructions | null;
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
    instructions: order.state === "awaiting_payment" ? order.paymentInstructions : null,
    refunds: await refundCasesOfOrder(db, order.id),
    bills: await billsByIds(
      db,
      items.map((item) => item.billId),
    ),
  };
}

/** A bill held by an account or code issued for paying later: until when, and by which payment. */
interface OutstandingCode {
  billId: string;
  reference: string;
  paymentTool: PaymentTool;
  until: string;
}

/**
 * Of these bills, those held by an account or a code still waiting for the
 * money: the bill page tells the resident so (paying them another way is
 * refused meanwhile), and until when.
 */
export async function outstandingCodes(db: Database, billIds: readonly string[], now = new Date()): Promise<OutstandingCode[]> {
  if (billIds.length === 0) return [];
  return (await holdsOn(db, billIds))
    .filter((hold) => hold.order.state === "awaiting_payment" && hold.order.heldUntil.getTime() > now.getTime())
    .map((hold) => ({
      billId: hold.billId,
      reference: hold.order.reference,
      paymentTool: hold.order.paymentTool,
      until: hold.order.heldUntil.toISOString(),
    }));
}
