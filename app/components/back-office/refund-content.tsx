import { useTranslation } from "react-i18next";
import { formatMoney } from "~/domain/format";
import type { RefundReason } from "~/domain/refund";
import { localized } from "~/i18n";
import { DetailRow } from "~/components/detail-row";

/** What every step of a refund signs, as the staff member reads it before signing and on the refund's page. */
export interface RefundContentShown {
  number: string;
  orderReference: string;
  writeOffNumber: string;
  amount: number;
  refundableAsSeen: number;
  reason: RefundReason;
  reasonText: string;
}

export function RefundContentList({ content, billType }: { content: RefundContentShown; billType: { nameZh: string; nameEn: string } }) {
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  return (
    <dl className="bill-details refund-content">
      <DetailRow label={t("refunds.content.number")} className="identifier">
        {content.number}
      </DetailRow>
      <DetailRow label={t("refunds.content.amount")} className="amount">
        {formatMoney(content.amount, locale)}
      </DetailRow>
      <DetailRow label={t("refunds.content.billType")}>{localized(billType, locale)}</DetailRow>
      <DetailRow label={t("refunds.content.writeOffNumber")} className="identifier">
        {content.writeOffNumber}
      </DetailRow>
      <DetailRow label={t("refunds.content.orderReference")} className="identifier">
        {content.orderReference}
      </DetailRow>
      <DetailRow label={t("refunds.content.reason")}>
        {t(`refunds.reasons.${content.reason}`)}
        {content.reasonText ? <span className="refund-reason-text">{content.reasonText}</span> : null}
      </DetailRow>
      <DetailRow label={t("refunds.content.refundable")}>{formatMoney(content.refundableAsSeen, locale)}</DetailRow>
    </dl>
  );
}
