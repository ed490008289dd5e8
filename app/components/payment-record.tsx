import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import type { PaymentRecord } from "~/payments/records.server";
import { DetailRow } from "./detail-row";

/** One payment of a bill through the portal, with its receipt's links when there is one. */
export function PaymentRecordCard({ record, receiptPath }: { record: PaymentRecord; receiptPath: string | null }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const headingId = `record-${record.orderReference}`;
  return (
    <article className={`bill-card record-${record.status}`} aria-labelledby={headingId}>
      <h3 id={headingId}>
        {t("records.paymentOn", { date: formatDateTime(record.at, locale) })}
        <span className={`status-tag record-status-${record.status}`}>{t(`records.status.${record.status}`)}</span>
      </h3>
      <dl className="bill-details">
        <DetailRow label={t("records.columns.tool")}>{t(`paymentTools.${record.paymentTool}`)}</DetailRow>
        <DetailRow label={t("records.columns.amount")} className="amount">
          {formatMoney(record.amount, locale)}
        </DetailRow>
        {record.orderTotal !== record.amount ? (
          <DetailRow label={t("records.orderTotal")}>{formatMoney(record.orderTotal, locale)}</DetailRow>
        ) : null}
        <DetailRow label={t("records.columns.order")} className="identifier">
          {record.orderReference}
        </DetailRow>
        {record.receiptNumber ? (
          <DetailRow label={t("records.columns.receipt")} className="identifier">
            {record.receiptNumber}
          </DetailRow>
        ) : null}
        {record.refunds.length > 0 ? (
          <DetailRow label={t("records.refundsLabel")}>
            <ul className="record-refunds">
              {record.refunds.map((refund) => (
                <li key={refund.number}>
                  {t("records.refundLine", {
                    number: refund.number,
                    amount: formatMoney(refund.amount, locale),
                    date: formatDateTime(refund.refundedAt, locale),
                  })}
                </li>
              ))}
            </ul>
          </DetailRow>
        ) : record.refundedAt ? (
          <DetailRow label={t("records.columns.refundedAt")}>{formatDateTime(record.refundedAt, locale)}</DetailRow>
        ) : null}
      </dl>
      {record.refundPending ? <p className="notice">{t("records.refundPending")}</p> : null}
      {receiptPath && record.receiptNumber ? (
        <p className="actions">
          <a href={receiptPath}>{t("records.openReceipt", { number: record.receiptNumber })}</a>{" "}
          <a href={receiptPath.replace(/(\?|$)/, "/pdf$1")} download>
            {t("records.downloadReceipt", { number: record.receiptNumber })}
          </a>
        </p>
      ) : null}
    </article>
  );
}
