import type { LoaderFunctionArgs } from "@remix-run/node";
import { historyRequest } from "~/members/history-request.server";
import { receiptsPdfStream } from "~/payments/receipt-pdf.server";
import { RECEIPT_NUMBER } from "~/members/receipt-access.server";
import { receiptByNumber, receiptVerificationUrl } from "~/payments/receipts.server";
import { MAX_RECEIPTS_PER_PDF } from "~/domain/payment-records";
import { memberOwnsReceipts, memberReceiptNumbers } from "~/payments/records.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { getLocale } from "~/base/i18n.server";

/**
 * Several of the member's receipts in one PDF: those ticked (?receipt=…), or
 * all in the filtered history (?all=1). Only the member's own receipts are
 * included, whatever numbers are asked for.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const { owner, filters } = await historyRequest(request);
  const query = new URL(request.url).searchParams;
  const db = getDb();
  const asked = [...new Set(query.getAll("receipt").filter((number) => RECEIPT_NUMBER.test(number)))].slice(0, MAX_RECEIPTS_PER_PDF);
  const numbers =
    query.get("all") === "1"
      ? await memberReceiptNumbers(db, owner, filters, MAX_RECEIPTS_PER_PDF)
      : await memberOwnsReceipts(db, owner, asked);
  // Nothing to put in it: back to the history, which explains how to choose.
  if (numbers.length === 0) return new Response(null, { status: 303, headers: { Location: "/account/payments?none=1" } });
  const env = getEnv();
  async function* receipts() {
    for (const number of numbers) {
      const receipt = await receiptByNumber(db, number);
      if (receipt) yield { receipt, verifyUrl: receiptVerificationUrl(env.PUBLIC_URL, env.RECEIPT_SECRET, number) };
    }
  }
  return new Response(receiptsPdfStream(receipts(), numbers.length, await getLocale(request)), {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="receipts-${new Date().toISOString().slice(0, 10)}.pdf"`,
      "Cache-Control": "private, no-store",
    },
  });
}
