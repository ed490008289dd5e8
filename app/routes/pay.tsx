import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { BillCard } from "~/components/bill-card";
import { formatMoney } from "~/domain/format";
import type { RouteHandle } from "~/route-handle";
import { billsByIds } from "~/server/bills.server";
import { getDb } from "~/server/db.server";
import { getVisitorSession, grantedBillIds } from "~/server/session.server";

export const handle: RouteHandle = { pageTitle: (t) => t("pay.title") };

/**
 * The payment step. Online payment arrives with the payment issue; until
 * then this page says so plainly and shows what was selected, with the total
 * computed here from the bills themselves.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await getVisitorSession(request);
  const granted = new Set(grantedBillIds(session));
  const selected = new URL(request.url).searchParams.getAll("bill").filter((id) => granted.has(id));
  const bills = (await billsByIds(getDb(), selected)).filter((bill) => bill.status === "unpaid" || bill.status === "overdue");
  return json(
    { bills, total: bills.reduce((sum, bill) => sum + bill.amount, 0) },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export default function Pay() {
  const { bills, total } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  return (
    <>
      <h1>{t("pay.title")}</h1>
      {bills.length === 0 ? (
        <p>
          {t("pay.nothingSelected")} <Link to="/bills">{t("pay.backToBills")}</Link>
        </p>
      ) : (
        <>
          <div className="notice">
            <h2>{t("pay.comingHeading")}</h2>
            <p>{t("pay.comingText")}</p>
          </div>
          <p className="total">{t("pay.total", { count: bills.length, total: formatMoney(total, i18n.language) })}</p>
          {bills.map((bill) => (
            <BillCard key={bill.id} bill={bill} />
          ))}
          <p>
            <Link to="/bills">{t("pay.backToBills")}</Link>
          </p>
        </>
      )}
    </>
  );
}
