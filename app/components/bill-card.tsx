import { useTranslation } from "react-i18next";
import { isPayable } from "~/domain/catalogue";
import { formatDate, formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import type { BillView } from "~/bills/bills.server";
import { DetailRow } from "./detail-row";

/** One bill as the public may see it; optionally with a checkbox to pay it and links to its records. */
export function BillCard({
  bill,
  selectable,
  links,
  headingLevel = 2,
}: {
  bill: BillView;
  /** A checkbox to pay it, ticked or not at first. */
  selectable?: "ticked" | "unticked";
  /** Links to the bill's payment records and, unpaid, its payment slip. */
  links?: boolean;
  headingLevel?: 2 | 3;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const headingId = `bill-${bill.id}-heading`;
  const payable = isPayable(bill.status);
  const billType = localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale);

  return (
    <article className={`bill-card bill-card-${bill.status}`} aria-labelledby={headingId}>
      <Heading id={headingId}>
        {billType}
        <span className={`status-tag status-${bill.status}`}>{t(`bill.status.${bill.status}`)}</span>
      </Heading>
      <dl className="bill-details">
        <DetailRow label={t("bill.agency")}>{localized({ nameZh: bill.agencyNameZh, nameEn: bill.agencyNameEn }, locale)}</DetailRow>
        <DetailRow label={t("bill.writeOffNumber")} className="identifier">
          {bill.writeOffNumber}
        </DetailRow>
        <DetailRow label={t("bill.payer")}>{bill.payerNameMasked}</DetailRow>
        <DetailRow label={t(`bill.subject.${bill.subjectKind}`)} className="identifier">
          {bill.subjectMasked}
        </DetailRow>
        <DetailRow label={t("bill.amount")} className="amount">
          {formatMoney(bill.amount, locale)}
        </DetailRow>
        <DetailRow label={t("bill.dueDate")}>
          {formatDate(bill.dueDate, locale)}
          {bill.status === "overdue" ? <strong className="overdue-note"> {t("bill.overdueNote")}</strong> : null}
        </DetailRow>
        {bill.paidAt ? <DetailRow label={t("bill.paidAt")}>{formatDateTime(bill.paidAt, locale)}</DetailRow> : null}
        {bill.paidChannel ? <DetailRow label={t("bill.paidChannel")}>{t(`bill.channel.${bill.paidChannel}`)}</DetailRow> : null}
      </dl>
      {bill.status === "cancelled" ? <p>{t("bill.cancelledNote")}</p> : null}
      {bill.status === "written_off" ? <p>{t("bill.writtenOffNote")}</p> : null}
      {links ? (
        <p className="bill-links">
          <a href={`/records/bills/${bill.id}`}>{t("bill.recordsLink")}</a>
          {bill.status === "unpaid" ? <a href={`/bills/${bill.id}/slip`}>{t("bill.slipLink")}</a> : null}
        </p>
      ) : null}
      {selectable && payable ? (
        <div className="checkbox">
          <input type="checkbox" id={`select-${bill.id}`} name="bill" value={bill.id} defaultChecked={selectable === "ticked"} />
          <label htmlFor={`select-${bill.id}`}>{t("bill.select", { billType, amount: formatMoney(bill.amount, locale) })}</label>
        </div>
      ) : null}
    </article>
  );
}
