import { eq } from "drizzle-orm";
import { maskPersonName } from "~/domain/masking";
import type { PaymentTool } from "~/domain/payment-tools";
import { schema, type Database } from "~/base/db.server";
import { safeEqual, shortSignature } from "~/base/signatures.server";
import { payerRefundsOf } from "./payer-refunds.server";

/**
 * Receipts (繳費證明). A receipt carries a QR code and a link to the portal's
 * verification page, signed (HMAC) with the portal's receipt secret: an
 * accounting office can check that it was issued here and for what.
 */

export interface ReceiptView {
  number: string;
  issuedAt: string;
  orderReference: string;
  paymentTool: PaymentTool;
  provider: string;
  providerTransactionId: string | null;
  paidAt: string;
  totalAmount: number;
  state: string;
  /** Money given back of this payment: each refund, with the bill it was for. */
  refunds: Array<{ number: string; writeOffNumber: string; amount: number; refundedAt: string }>;
  refundedAmount: number;
  /** A refund of some bill of it is under way (in approval, being sent, or a duplicate-payment case open). */
  refundUnderWay: boolean;
  bills: Array<{
    billTypeNameZh: string;
    billTypeNameEn: string;
    agencyNameZh: string;
    agencyNameEn: string;
    writeOffNumber: string;
    payerNameMasked: string;
    amount: number;
  }>;
}

export function receiptSignature(secret: string, number: string): string {
  return shortSignature(secret, "receipt", "v1", number);
}

export function verifyReceiptSignature(secret: string, number: string, signature: string): boolean {
  return safeEqual(signature, receiptSignature(secret, number));
}

/** The address the receipt's QR code opens. */
export function receiptVerificationUrl(publicUrl: string, secret: string, number: string): string {
  return `${publicUrl}/receipts/verify?${new URLSearchParams({ n: number, s: receiptSignature(secret, number) })}`;
}

async function receiptWhere(db: Database, condition: ReturnType<typeof eq>): Promise<ReceiptView | null> {
  const [row] = await db
    .select({ receipt: schema.receipts, order: schema.paymentOrders })
    .from(schema.receipts)
    .innerJoin(schema.paymentOrders, eq(schema.receipts.orderId, schema.paymentOrders.id))
    .where(condition);
  if (!row) return null;
  const bills = await db
    .select({
      billId: schema.bills.id,
      billTypeNameZh: schema.billTypes.nameZh,
      billTypeNameEn: schema.billTypes.nameEn,
      agencyNameZh: schema.agencies.nameZh,
      agencyNameEn: schema.agencies.nameEn,
      writeOffNumber: schema.bills.writeOffNumber,
      payerName: schema.bills.payerName,
      amount: schema.paymentOrderItems.amount,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .innerJoin(schema.agencies, eq(schema.billTypes.agencyCode, schema.agencies.code))
    .where(eq(schema.paymentOrderItems.orderId, row.order.id));
  const refunds = (await payerRefundsOf(db, [row.order.id])).get(row.order.id) ?? { refunded: [], underWay: [] };
  return {
    number: row.receipt.number,
    issuedAt: row.receipt.issuedAt.toISOString(),
    orderReference: row.order.reference,
    paymentTool: row.order.paymentTool,
    provider: row.order.provider,
    providerTransactionId: row.order.providerTransactionId,
    paidAt: (row.order.paidAt ?? row.receipt.issuedAt).toISOString(),
    totalAmount: row.order.totalAmount,
    state: row.order.state,
    refunds: refunds.refunded.map(({ billId, ...refund }) => ({
      ...refund,
      writeOffNumber: bills.find((bill) => bill.billId === billId)?.writeOffNumber ?? "",
    })),
    refundedAmount: refunds.refunded.reduce((sum, refund) => sum + refund.amount, 0),
    refundUnderWay: refunds.underWay.length > 0,
    bills: bills.map(({ payerName, billId: _bill, ...bill }) => ({ ...bill, payerNameMasked: maskPersonName(payerName) })),
  };
}

export function receiptByNumber(db: Database, number: string): Promise<ReceiptView | null> {
  return receiptWhere(db, eq(schema.receipts.number, number));
}

export function receiptOfOrder(db: Database, orderId: string): Promise<ReceiptView | null> {
  return receiptWhere(db, eq(schema.receipts.orderId, orderId));
}
