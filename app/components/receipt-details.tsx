import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import type { ReceiptView } from "~/payments/receipts.server";

/** What a receipt says: on the receipt page and on the verification page. */
export function ReceiptDetails({ receipt }: { receipt: ReceiptView }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  return (
    <>
      <dl className="bill-details receipt-details">
        <div>
          <dt>{t("receipt.number")}</dt>
          <dd className="identifier">{receipt.number}</dd>
        </div>
        <div>
          <dt>{t("bill.paidAt")}</dt>
          <dd>{formatDateTime(receipt.paidAt, locale)}</dd>
        </div>
        <div>
          <dt>{t("payment.tool")}</dt>
          <dd>{t(`paymentTools.${receipt.paymentTool}`)}</dd>
        </div>
        <div>
          <dt>{t("receipt.providerTransaction")}</dt>
          <dd className="identifier">{receipt.providerTransactionId ?? "—"}</dd>
        </div>
        <div>
          <dt>{t("payment.reference")}</dt>
          <dd className="identifier">{receipt.orderReference}</dd>
        </div>
        <div>
          <dt>{t("payment.amount")}</dt>
          <dd className="amount">{formatMoney(receipt.totalAmount, locale)}</dd>
        </div>
      </dl>
      <table className="receipt-bills">
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
              <td>{localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale)}</td>
              <td>{localized({ nameZh: bill.agencyNameZh, nameEn: bill.agencyNameEn }, locale)}</td>
              <td className="identifier">{bill.writeOffNumber}</td>
              <td>{bill.payerNameMasked}</td>
              <td className="numeric">{formatMoney(bill.amount, locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
