import type { LoaderFunctionArgs } from "@remix-run/node";
import { mayShowBill } from "~/members/bill-access.server";
import { paymentSlip, paymentSlipPdf } from "~/payments/payment-slip.server";
import { getDb } from "~/base/db.server";
import { getLocale } from "~/base/i18n.server";

export async function loader({ request, params }: LoaderFunctionArgs) {
  if (!(await mayShowBill(request, params.billId, { members: true }))) throw new Response(null, { status: 404 });
  const outcome = await paymentSlip(getDb(), params.billId!);
  // A slip that cannot be paid is explained on the slip page.
  if (outcome?.kind !== "slip") throw new Response(null, { status: outcome ? 409 : 404 });
  const pdf = await paymentSlipPdf(outcome.slip, await getLocale(request));
  return new Response(new Uint8Array(pdf), {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="payment-slip-${outcome.slip.bill.writeOffNumber}.pdf"`,
      "Cache-Control": "private, no-store",
    },
  });
}
