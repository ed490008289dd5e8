import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import type { PaymentRecord } from "~/payments/records.server";

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
        <div>
          <dt>{t("records.columns.tool")}</dt>
          <dd>{t(`paymentTools.${record.paymentTool}`)}</dd>
        </div>
        <div>
          <dt>{t("records.columns.amount")}</dt>
          <dd className="amount">{formatMoney(record.amount, locale)}</dd>
        </div>
        {record.orderTotal !== record.amount ? (
          <div>
            <dt>{t("records.orderTotal")}</dt>
            <dd>{formatMoney(record.orderTotal, locale)}</dd>
          </div>
        ) : null}
        <div>
          <dt>{t("records.columns.order")}</dt>
          <dd className="identifier">{record.orderReference}</dd>
        </div>
        {record.receiptNumber ? (
          <div>
            <dt>{t("records.columns.receipt")}</dt>
            <dd className="identifier">{record.receiptNumber}</dd>
          </div>
        ) : null}
        {record.refundedAt ? (
          <div>
            <dt>{t("records.columns.refundedAt")}</dt>
            <dd>{formatDateTime(record.refundedAt, locale)}</dd>
          </div>
        ) : null}
      </dl>
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
