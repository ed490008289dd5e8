import type { LoaderFunctionArgs } from "@remix-run/node";
import { receiptPdf } from "~/payments/receipt-pdf.server";
import { ownReceipt } from "~/members/receipt-access.server";
import { getLocale } from "~/base/i18n.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { receipt, verifyUrl } = await ownReceipt(request, params.number);
  const pdf = await receiptPdf(receipt, verifyUrl, await getLocale(request));
  return new Response(new Uint8Array(pdf), {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="receipt-${receipt.number}.pdf"`,
      "Cache-Control": "private, no-store",
    },
  });
}
