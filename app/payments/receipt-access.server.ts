import { receiptByNumber, receiptVerificationUrl, type ReceiptView } from "./receipts.server";
import { getDb } from "~/server/db.server";
import { getEnv } from "~/server/env.server";
import { getVisitorSession, grantedOrderReferences } from "~/server/session.server";

/**
 * A receipt for its payer: the browser that made the payment (members: their
 * own history, checked on the server). Anyone else gets "not found", the same
 * as for a number that does not exist; the signed verification page is the
 * public way to check a receipt.
 */
export async function ownReceipt(request: Request, number: string | undefined): Promise<{ receipt: ReceiptView; verifyUrl: string }> {
  const receipt = number && /^R\d{8}-[0-9A-Z]{6}$/.test(number) ? await receiptByNumber(getDb(), number) : null;
  const granted = grantedOrderReferences(await getVisitorSession(request));
  if (!receipt || !granted.includes(receipt.orderReference)) throw new Response(null, { status: 404 });
  const env = getEnv();
  return { receipt, verifyUrl: receiptVerificationUrl(env.PUBLIC_URL, env.RECEIPT_SECRET, receipt.number) };
}
