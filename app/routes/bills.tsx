import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { BillCard } from "~/components/bill-card";
import { ErrorSummary, type FieldError } from "~/components/forms";
import { isPayable } from "~/domain/catalogue";
import type { RouteHandle } from "~/route-handle";
import { billsByIds } from "~/bills/bills.server";
import { getDb } from "~/base/db.server";
import { getVisitorSession, grantedBillIds, grantedOrderReferences } from "~/base/session.server";
import { formatDateTime } from "~/domain/format";
import { outstandingCodes } from "~/payments/order-view.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("bills.title") };
export const headers = routeHeaders;

/** The bills this browser has looked up (or opened from a QR link) in the last half hour. */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await getVisitorSession(request);
  const bills = await billsByIds(getDb(), grantedBillIds(session));
  // Back from paying with nothing ticked (see /pay).
  const noneSelected = new URL(request.url).searchParams.get("none") === "1";
  // Bills waiting for money sent with an ATM account or a store code: said, so nobody pays them twice.
  const own = new Set(grantedOrderReferences(session));
  const codes = (
    await outstandingCodes(
      getDb(),
      bills.map((bill) => bill.id),
    )
  ).map(({ billId, paymentTool, until, reference }) => ({ billId, paymentTool, until, reference: own.has(reference) ? reference : null }));
  return json({ bills, noneSelected, codes }, { headers: { "Cache-Control": "no-store" } });
}

export default function Bills() {
  const { bills, noneSelected, codes } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const payable = bills.some((bill) => isPayable(bill.status));
  const errors: FieldError[] = noneSelected && payable ? [{ fieldId: "bills-to-pay", message: t("bills.noneSelected") }] : [];

  if (bills.length === 0) {
    return (
      <>
        <h1>{t("bills.title")}</h1>
        <p>{t("bills.empty")}</p>
        <p>
          <Link to="/lookup">{t("bills.lookUpAnother")}</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("bills.title")}</h1>
      <p className="lead">{t("bills.intro")}</p>
      {codes.map((code) => (
        <div className="notice" key={code.billId}>
          <p>
            {t("bills.codeOutstanding", {
              number: bills.find((bill) => bill.id === code.billId)?.writeOffNumber ?? "",
              tool: t(`paymentTools.${code.paymentTool}`),
              until: formatDateTime(code.until, i18n.language),
            })}{" "}
            {code.reference ? <Link to={`/payments/${code.reference}`}>{t("bills.codeOutstandingLink")}</Link> : null}
          </p>
        </div>
      ))}
      <form method="get" action="/pay" className="bill-list">
        <input type="hidden" name="from" value="bills" />
        {/* The error summary links here; tabIndex lets the link move focus to it. */}
        <fieldset id="bills-to-pay" className="bill-choice" tabIndex={-1}>
          <legend>{t("bills.legend")}</legend>
          {bills.map((bill) => (
            // What was sent is shown again: after "none ticked", none is ticked.
            <BillCard key={bill.id} bill={bill} selectable={noneSelected ? "unticked" : "ticked"} links />
          ))}
        </fieldset>
        {payable ? (
          <button type="submit" className="button">
            {t("bills.pay")}
          </button>
        ) : null}
      </form>
      <p>
        <Link to="/lookup">{t("bills.lookUpAnother")}</Link>
      </p>
    </>
  );
}
