import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { BillCard } from "~/components/bill-card";
import { PaymentRecordCard } from "~/components/payment-record";
import { isPaidElsewhere } from "~/domain/bill-lifecycle";
import { isPayable } from "~/domain/catalogue";
import { formatDateTime } from "~/domain/format";
import { mayShowBill } from "~/members/bill-access.server";
import { signedReceiptPath } from "~/members/receipt-access.server";
import { billPaymentRecords } from "~/payments/records.server";
import type { RouteHandle } from "~/route-handle";
import { billsByIds } from "~/bills/bills.server";
import { getDb } from "~/base/db.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("records.billTitle") };
export const headers = routeHeaders;

/**
 * The payment records of one bill, for the browser that found it (look-up
 * with captcha or QR link). Receipt links are signed, so they open in any
 * browser the resident forwards them to.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  if (!(await mayShowBill(request, params.billId, { members: false }))) throw new Response(null, { status: 404 });
  const [bill] = await billsByIds(getDb(), [params.billId!]);
  if (!bill) throw new Response(null, { status: 404 });
  const records = await billPaymentRecords(getDb(), bill.id);
  return json(
    {
      bill,
      records: records.map((record) => ({ record, receiptPath: record.receiptNumber ? signedReceiptPath(record.receiptNumber) : null })),
    },
    { headers: { "Cache-Control": "private, no-store" } },
  );
}

export default function BillRecords() {
  const { bill, records } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const payable = isPayable(bill.status);
  const elsewhere = isPaidElsewhere(bill);
  return (
    <>
      <h1>{t("records.billTitle")}</h1>
      <BillCard bill={bill} />
      <h2>{t("records.paymentsHeading")}</h2>
      {elsewhere ? (
        <p className="notice">
          {t("records.paidElsewhere", {
            channel: t(`bill.channel.${bill.paidChannel!}`),
            date: bill.paidAt ? formatDateTime(bill.paidAt, i18n.language) : "",
          })}
        </p>
      ) : null}
      {bill.status === "written_off" ? <p>{t("records.writtenOff")}</p> : null}
      {records.length > 0 ? (
        <div className="bill-list">
          {records.map(({ record, receiptPath }) => (
            <PaymentRecordCard key={record.orderReference} record={record} receiptPath={receiptPath} />
          ))}
        </div>
      ) : elsewhere ? null : (
        <p>{t("records.noPayments")}</p>
      )}
      {payable ? (
        <ul className="actions">
          <li>
            <Link to={`/pay?bill=${bill.id}`} className="button">
              {t("records.payNow")}
            </Link>
          </li>
          {bill.status === "unpaid" ? (
            <li>
              <Link to={`/bills/${bill.id}/slip`}>{t("records.printSlip")}</Link>
            </li>
          ) : null}
        </ul>
      ) : null}
      <p>
        <Link to="/records">{t("records.lookUpAnother")}</Link>
      </p>
    </>
  );
}
