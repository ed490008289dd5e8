import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatDate, formatMoney } from "~/domain/format";
import { BillCard } from "~/components/bill-card";
import { mayShowBill } from "~/members/bill-access.server";
import { barcodeSvgDataUrl, paymentSlip } from "~/payments/payment-slip.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("slip.title") };
export const headers = routeHeaders;

/** 補印繳費單: a printable slip with the convenience-store barcodes, for a bill this browser may see. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  if (!(await mayShowBill(request, params.billId, { members: true }))) throw new Response(null, { status: 404 });
  const outcome = await paymentSlip(getDb(), params.billId!);
  if (!outcome) throw new Response(null, { status: 404 });
  const headers = { "Cache-Control": "private, no-store" };
  if (outcome.kind === "not_payable") return json({ bill: outcome.bill, reason: outcome.reason, barcodes: null }, { status: 409, headers });
  return json(
    {
      bill: outcome.slip.bill,
      reason: null,
      barcodes: outcome.slip.barcodes.map((text) => ({ text, image: barcodeSvgDataUrl(text) })),
    },
    { headers },
  );
}

export default function PaymentSlip() {
  const { bill, reason, barcodes } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  if (!barcodes) {
    return (
      <>
        <h1>{t("slip.title")}</h1>
        <div className="notice notice-warning">
          <h2>{t("slip.unavailableHeading")}</h2>
          <p>{t(`slip.unavailable.${reason!}`)}</p>
        </div>
        <p>
          <Link to={`/records/bills/${bill.id}`}>{t("slip.backToRecords")}</Link>
        </p>
      </>
    );
  }
  return (
    <article className="slip">
      <h1>{t("slip.title")}</h1>
      <p className="no-print lead">{t("slip.intro")}</p>
      <p className="total">{t("slip.payBy", { date: formatDate(bill.dueDate, locale), amount: formatMoney(bill.amount, locale) })}</p>
      <BillCard bill={bill} />
      <h2>{t("slip.barcodesHeading")}</h2>
      <ol className="slip-barcodes">
        {barcodes.map((barcode, i) => (
          <li key={barcode.text}>
            <img src={barcode.image} alt={t("slip.barcodeAlt", { n: i + 1, text: barcode.text })} />
          </li>
        ))}
      </ol>
      <p>{t("slip.stores")}</p>
      <p className="actions no-print">
        <a href={`/bills/${bill.id}/slip.pdf`} className="button" download>
          {t("slip.downloadPdf")}
        </a>
      </p>
      <p className="hint no-print">{t("slip.printHint")}</p>
    </article>
  );
}
