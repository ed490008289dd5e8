import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import type { ReceiptView } from "~/payments/receipts.server";
import { DetailRow } from "./detail-row";
import { StackedCell } from "./stacked-cell";

/** What a receipt says: on the receipt page and on the verification page. */
export function ReceiptDetails({ receipt }: { receipt: ReceiptView }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  return (
    <>
      <dl className="bill-details receipt-details">
        <DetailRow label={t("receipt.number")} className="identifier">
          {receipt.number}
        </DetailRow>
        <DetailRow label={t("bill.paidAt")}>{formatDateTime(receipt.paidAt, locale)}</DetailRow>
        <DetailRow label={t("payment.tool")}>{t(`paymentTools.${receipt.paymentTool}`)}</DetailRow>
        <DetailRow label={t("receipt.providerTransaction")} className="identifier">
          {receipt.providerTransactionId ?? "—"}
        </DetailRow>
        <DetailRow label={t("payment.reference")} className="identifier">
          {receipt.orderReference}
        </DetailRow>
        <DetailRow label={t("payment.amount")} className="amount">
          {formatMoney(receipt.totalAmount, locale)}
        </DetailRow>
      </dl>
      <table className="receipt-bills stacked-table">
        <caption>{t("receipt.billsCaption")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("receipt.billType")}</th>
            <th scope="col">{t("bill.agency")}</th>
            <th scope="col">{t("bill.writeOffNumber")}</th>
            <th scope="col">{t("bill.payer")}</th>
            <th scope="col" className="numeric">
              {t("bill.amount")}
            </th>
          </tr>
        </thead>
        <tbody>
          {receipt.bills.map((bill) => (
            <tr key={bill.writeOffNumber}>
              <StackedCell label={t("receipt.billType")}>
                {localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale)}
              </StackedCell>
              <StackedCell label={t("bill.agency")}>
                {localized({ nameZh: bill.agencyNameZh, nameEn: bill.agencyNameEn }, locale)}
              </StackedCell>
              <StackedCell label={t("bill.writeOffNumber")} className="identifier">
                {bill.writeOffNumber}
              </StackedCell>
              <StackedCell label={t("bill.payer")}>{bill.payerNameMasked}</StackedCell>
              <StackedCell label={t("bill.amount")} className="numeric">
                {formatMoney(bill.amount, locale)}
              </StackedCell>
            </tr>
          ))}
        </tbody>
      </table>
      {receipt.refunds.length > 0 ? (
        <table className="receipt-bills stacked-table receipt-refunds">
          <caption>{t("receipt.refundsCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("receipt.refundNumber")}</th>
              <th scope="col">{t("bill.writeOffNumber")}</th>
              <th scope="col" className="numeric">
                {t("receipt.refundAmount")}
              </th>
              <th scope="col">{t("receipt.refundedAt")}</th>
            </tr>
          </thead>
          <tbody>
            {receipt.refunds.map((refund) => (
              <tr key={refund.number}>
                <StackedCell label={t("receipt.refundNumber")} className="identifier">
                  {refund.number}
                </StackedCell>
                <StackedCell label={t("bill.writeOffNumber")} className="identifier">
                  {refund.writeOffNumber}
                </StackedCell>
                <StackedCell label={t("receipt.refundAmount")} className="numeric">
                  {formatMoney(refund.amount, locale)}
                </StackedCell>
                <StackedCell label={t("receipt.refundedAt")}>{formatDateTime(refund.refundedAt, locale)}</StackedCell>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
