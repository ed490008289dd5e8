import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import type { HistoryRecord } from "~/payments/records.server";
import { StackedCell } from "./stacked-cell";

/**
 * A member's payment records as a table, one row per bill. On the history
 * page a checkbox (on the first row of each receipt) picks receipts to
 * download and receipt numbers link to them; the printable list has neither.
 */
export function HistoryTable({ records, caption, interactive }: { records: HistoryRecord[]; caption: string; interactive: boolean }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const seenReceipts = new Set<string>();
  return (
    <table className="receipt-bills stacked-table history-table">
      <caption id="history-caption">{caption}</caption>
      <thead>
        <tr>
          {interactive ? <th scope="col">{t("history.select")}</th> : null}
          <th scope="col">{t("records.columns.at")}</th>
          <th scope="col">{t("records.columns.billType")}</th>
          <th scope="col">{t("records.columns.writeOffNumber")}</th>
          <th scope="col" className="numeric">
            {t("records.columns.amount")}
          </th>
          <th scope="col">{t("records.columns.tool")}</th>
          <th scope="col">{t("records.columns.status")}</th>
          <th scope="col">{t("records.columns.receipt")}</th>
        </tr>
      </thead>
      <tbody>
        {records.map((record) => {
          const firstOfReceipt = record.receiptNumber !== null && !seenReceipts.has(record.receiptNumber);
          if (record.receiptNumber) seenReceipts.add(record.receiptNumber);
          return (
            <tr key={`${record.orderReference ?? record.origin}-${record.writeOffNumber}`}>
              {interactive ? (
                firstOfReceipt ? (
                  <StackedCell label={t("history.select")} className="select-cell">
                    <input
                      type="checkbox"
                      name="receipt"
                      value={record.receiptNumber!}
                      aria-label={t("history.selectReceipt", { number: record.receiptNumber })}
                    />
                  </StackedCell>
                ) : (
                  // Nothing to choose here (the receipt's first row has its box): no label either.
                  <td className="select-cell" />
                )
              ) : null}
              <StackedCell label={t("records.columns.at")}>{formatDateTime(record.at, locale)}</StackedCell>
              <StackedCell label={t("records.columns.billType")}>
                {localized({ nameZh: record.billTypeNameZh, nameEn: record.billTypeNameEn }, locale)}
                {record.origin === "identity" ? <span className="hint history-origin">{t("history.issuedToYou")}</span> : null}
              </StackedCell>
              <StackedCell label={t("records.columns.writeOffNumber")} className="identifier">
                {record.writeOffNumber}
              </StackedCell>
              <StackedCell label={t("records.columns.amount")} className="numeric">
                {formatMoney(record.amount, locale)}
              </StackedCell>
              <StackedCell label={t("records.columns.tool")}>
                {record.paymentTool
                  ? t(`paymentTools.${record.paymentTool}`)
                  : t("history.paidElsewhere", { channel: t(`bill.channel.${record.channel}`) })}
              </StackedCell>
              <StackedCell label={t("records.columns.status")}>
                {record.refundPending ? (
                  <span className="status-tag record-status-refund_pending">{t("records.status.refund_pending")}</span>
                ) : (
                  <span className={`status-tag record-status-${record.status}`}>{t(`records.status.${record.status}`)}</span>
                )}
                {record.refunds.map((refund) => (
                  <span className="hint history-refund" key={refund.number}>
                    {t("records.refundLine", {
                      number: refund.number,
                      amount: formatMoney(refund.amount, locale),
                      date: formatDateTime(refund.refundedAt, locale),
                    })}
                  </span>
                ))}
              </StackedCell>
              <StackedCell label={t("records.columns.receipt")} className="identifier">
                {record.receiptNumber && interactive ? (
                  <a href={`/receipts/${record.receiptNumber}`}>{record.receiptNumber}</a>
                ) : record.origin === "elsewhere" ? (
                  // The portal did not take this payment, so it has no receipt of its own to give.
                  <span className="hint">{t("history.noReceiptElsewhere")}</span>
                ) : (
                  (record.receiptNumber ?? "—")
                )}
              </StackedCell>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
