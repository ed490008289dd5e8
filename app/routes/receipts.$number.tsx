import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { BreakableUrl } from "~/components/breakable-url";
import { ReceiptDetails } from "~/components/receipt-details";
import { receiptRefundNotices } from "~/lib/receipt-refunds";
import { ownReceipt } from "~/members/receipt-access.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("receipt.title") };
export const headers = routeHeaders;

export async function loader({ request, params }: LoaderFunctionArgs) {
  return json(await ownReceipt(request, params.number), { headers: { "Cache-Control": "no-store" } });
}

/** The printable receipt (print styles drop the site's header and footer). */
export default function Receipt() {
  const { receipt, verifyUrl, signature } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  return (
    <article className="receipt">
      <h1>{t("receipt.title")}</h1>
      {receiptRefundNotices(receipt, t, i18n.language).map((notice) => (
        <p className="notice" key={notice}>
          {notice}
        </p>
      ))}
      <ReceiptDetails receipt={receipt} />
      <p className="verify-note">
        {t("receipt.verifyNote")}{" "}
        <a href={verifyUrl}>
          <BreakableUrl url={verifyUrl} />
        </a>
      </p>
      <p className="actions no-print">
        <a href={`/receipts/${receipt.number}/pdf?s=${signature}`} className="button" download>
          {t("payment.downloadReceipt")}
        </a>
      </p>
      <p className="hint no-print">{t("receipt.printHint")}</p>
    </article>
  );
}
