import { historyOwner } from "./history-request.server";
import { getMemberSession } from "./member-request.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { getVisitorSession, grantedOrderReferences } from "~/base/session.server";
import { memberOwnsReceipts } from "~/payments/records.server";
import {
  receiptByNumber,
  receiptSignature,
  receiptVerificationUrl,
  verifyReceiptSignature,
  type ReceiptView,
} from "~/payments/receipts.server";

/**
 * Who may open a receipt's page and PDF: the browser that made the payment,
 * the member whose payment it was (checked on the server), or whoever holds
 * the receipt's signed link (printed on it as a QR code, and given by the
 * payment-records query after its captcha). Anyone else gets "not found",
 * the same as for a number that does not exist: guessing shows nothing.
 */
export const RECEIPT_NUMBER = /^R\d{8}-[0-9A-Z]{6}$/;

export async function ownReceipt(
  request: Request,
  number: string | undefined,
): Promise<{ receipt: ReceiptView; verifyUrl: string; signature: string }> {
  const env = getEnv();
  const receipt = number && RECEIPT_NUMBER.test(number) ? await receiptByNumber(getDb(), number) : null;
  if (!receipt) throw new Response(null, { status: 404 });
  const signature = (new URL(request.url).searchParams.get("s") ?? "").slice(0, 60);
  const allowed =
    (signature !== "" && verifyReceiptSignature(env.RECEIPT_SECRET, receipt.number, signature)) ||
    grantedOrderReferences(await getVisitorSession(request)).includes(receipt.orderReference) ||
    (await memberOwnsReceipt(request, receipt.number));
  if (!allowed) throw new Response(null, { status: 404 });
  return {
    receipt,
    verifyUrl: receiptVerificationUrl(env.PUBLIC_URL, env.RECEIPT_SECRET, receipt.number),
    signature: receiptSignature(env.RECEIPT_SECRET, receipt.number),
  };
}

async function memberOwnsReceipt(request: Request, number: string): Promise<boolean> {
  const session = await getMemberSession(request);
  if (!session) return false;
  const db = getDb();
  return (await memberOwnsReceipts(db, await historyOwner(db, getEnv(), session.member), [number])).length > 0;
}

/** The receipt page's address that opens without a session (signed). */
export function signedReceiptPath(number: string): string {
  return `/receipts/${number}?s=${receiptSignature(getEnv().RECEIPT_SECRET, number)}`;
}
