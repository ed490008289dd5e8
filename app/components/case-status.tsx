import { Link } from "@remix-run/react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { CaseNextStep } from "~/domain/cases";
import { taipeiDate } from "~/domain/dates";
import { formatDate, formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import type { CaseView } from "~/cases/cases.server";
import { DetailRow } from "./detail-row";

/**
 * One application as anyone with its receipt may see it: its service, where
 * it stands, its timeline (statuses and dates only), what is needed next and
 * its fees, each payable here or printable as a slip. Nothing personal.
 */
export function CaseStatus({ found, headingLevel = 2 }: { found: CaseView; headingLevel?: 2 | 3 }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const Sub = headingLevel === 2 ? "h3" : "h4";
  const headingId = `case-${found.caseNumber}-heading`;
  const day = (moment: string) => formatDate(taipeiDate(new Date(moment)), locale);
  const service = localized({ nameZh: found.service.nameZh, nameEn: found.service.nameEn }, locale);

  return (
    <article className="case-status" aria-labelledby={headingId}>
      <Heading id={headingId}>
        {service}
        <span className={`status-tag case-status-${found.status}`}>{t(`cases.status.${found.status}`)}</span>
      </Heading>
      <dl className="bill-details">
        <DetailRow label={t("applicationQuery.result.agency")}>
          {localized({ nameZh: found.service.agencyZh, nameEn: found.service.agencyEn }, locale)}
        </DetailRow>
        <DetailRow label={t("applicationQuery.result.caseNumber")} className="identifier">
          {found.caseNumber}
        </DetailRow>
        <DetailRow label={t("applicationQuery.result.appliedOn")}>{day(found.appliedAt)}</DetailRow>
        <DetailRow label={t("applicationQuery.result.statusNow")}>{t(`cases.status.${found.status}`)}</DetailRow>
      </dl>

      <Sub>{t("applicationQuery.result.nextStepHeading")}</Sub>
      <p className="case-next-step">{nextStepText(t, found.nextStep, locale)}</p>

      <Sub>{t("applicationQuery.result.timelineHeading")}</Sub>
      <ol className="case-timeline">
        {found.timeline.map((entry, index) => (
          <li key={`${entry.status}-${entry.at}-${index}`}>
            <time dateTime={entry.at}>{day(entry.at)}</time> {t(`cases.status.${entry.status}`)}
          </li>
        ))}
      </ol>

      <Sub>{t("applicationQuery.result.feesHeading")}</Sub>
      {found.fees.length === 0 ? <p>{t("applicationQuery.result.noFees")}</p> : null}
      {found.fees.map((fee) => {
        const billType = localized({ nameZh: fee.billTypeNameZh, nameEn: fee.billTypeNameEn }, locale);
        const amount = formatMoney(fee.amount, locale);
        return (
          <div key={`${fee.billTypeCode}-${fee.writeOffNumber}`} className="case-fee">
            <dl className="bill-details">
              <DetailRow label={t("applicationQuery.result.feeBillType")}>{billType}</DetailRow>
              <DetailRow label={t("applicationQuery.result.feeWriteOffNumber")} className="identifier">
                {fee.writeOffNumber}
              </DetailRow>
              <DetailRow label={t("applicationQuery.result.feeAmount")} className="amount">
                {amount}
              </DetailRow>
              <DetailRow label={t("applicationQuery.result.feeDueDate")}>{formatDate(fee.dueDate, locale)}</DetailRow>
              <DetailRow label={t("applicationQuery.result.feeState")}>{t(`cases.feeState.${fee.state}`)}</DetailRow>
              {fee.paidAt ? (
                <DetailRow label={t("applicationQuery.result.feePaidAt")}>{formatDateTime(fee.paidAt, locale)}</DetailRow>
              ) : null}
            </dl>
            {fee.state === "payable" && fee.billId ? (
              <p className="bill-links">
                <Link
                  to={`/pay?${new URLSearchParams({ bill: fee.billId, from: "case" })}`}
                  className="button"
                  aria-label={t("applicationQuery.result.payLabel", { billType, amount })}
                >
                  {t("applicationQuery.result.pay")}
                </Link>
                <a href={`/bills/${fee.billId}/slip`} aria-label={t("applicationQuery.result.slipLabel", { billType })}>
                  {t("applicationQuery.result.slip")}
                </a>
              </p>
            ) : null}
            {fee.state === "payable" && !fee.billId ? <p>{t("applicationQuery.result.payAtAgency")}</p> : null}
          </div>
        );
      })}
    </article>
  );
}

function nextStepText(t: TFunction, step: CaseNextStep, locale: string): string {
  switch (step.kind) {
    case "pay":
      return t("cases.nextStep.pay", { amount: formatMoney(step.amount, locale), dueDate: formatDate(step.dueDate, locale) });
    case "send_documents":
      return step.dueDate
        ? t("cases.nextStep.send_documents_dated", { dueDate: formatDate(step.dueDate, locale) })
        : t("cases.nextStep.send_documents");
    case "wait":
    case "none":
      return t(`cases.nextStep.${step.kind}`);
  }
}
