import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { CaseFeeView, CaseView } from "~/cases/cases.server";
import type { CaseNextStep } from "~/domain/cases";
import { taipeiDate } from "~/domain/dates";
import { formatDate, formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import { DetailRow } from "./detail-row";

/**
 * One application (申辦案件): its service, where it stands and what is needed
 * next, its timeline, and its fees, each payable here (the checkout's own GET
 * form, without JavaScript too) or printable as a payment slip. `member`: the
 * applicant's own view, with the e-counter's notes (the documents missing,
 * the reason of a rejection) and a way to their payment history; anyone
 * else, holding only the receipt of application, sees statuses and dates.
 */
export function CaseCard({ found, audience }: { found: CaseView; audience: "member" | "public" }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const headingId = `case-${found.caseNumber}`;
  return (
    <section className="case-card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {localized({ nameZh: found.service.nameZh, nameEn: found.service.nameEn }, locale)}{" "}
        <span className={`status-tag case-status-${found.status}`}>{t(`cases.status.${found.status}`)}</span>
      </h2>
      <dl className="bill-details">
        <DetailRow label={t("cases.card.agency")}>
          {localized({ nameZh: found.service.agencyZh, nameEn: found.service.agencyEn }, locale)}
        </DetailRow>
        <DetailRow label={t("cases.card.caseNumber")} className="identifier">
          {found.caseNumber}
        </DetailRow>
        <DetailRow label={t("cases.card.appliedOn")}>{formatDate(taipeiDate(new Date(found.appliedAt)), locale)}</DetailRow>
        <DetailRow label={t("cases.card.statusNow")}>{t(`cases.status.${found.status}`)}</DetailRow>
        <DetailRow label={t("cases.card.nextStep")}>
          <NextStep step={found.nextStep} />
        </DetailRow>
      </dl>

      <h3>{t("cases.card.timelineHeading")}</h3>
      <ol className="case-timeline">
        {found.timeline.map((entry, index) => {
          const note = audience === "member" ? (locale === "en" ? entry.noteEn : entry.noteZh) : undefined;
          return (
            <li key={`${entry.status}-${entry.at}-${index}`}>
              <time dateTime={entry.at}>{formatDateTime(entry.at, locale)}</time> {t(`cases.status.${entry.status}`)}
              {note ? <p className="hint">{note}</p> : null}
            </li>
          );
        })}
      </ol>

      <h3>{t("cases.card.feesHeading")}</h3>
      {found.fees.length === 0 ? (
        <p>{t("cases.card.noFees")}</p>
      ) : (
        <ul className="case-fees">
          {found.fees.map((fee) => (
            <li key={`${fee.billTypeCode}-${fee.writeOffNumber}`} className="case-fee">
              <Fee fee={fee} audience={audience} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function NextStep({ step }: { step: CaseNextStep }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  switch (step.kind) {
    case "pay":
      return t("cases.nextStep.pay", { amount: formatMoney(step.amount, locale), date: formatDate(step.dueDate, locale) });
    case "send_documents":
      return step.dueDate
        ? t("cases.nextStep.sendDocumentsBy", { date: formatDate(step.dueDate, locale) })
        : t("cases.nextStep.sendDocuments");
    case "wait":
      return t("cases.nextStep.wait");
    case "none":
      return t("cases.nextStep.none");
  }
}

function Fee({ fee, audience }: { fee: CaseFeeView; audience: "member" | "public" }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const billType = localized({ nameZh: fee.billTypeNameZh, nameEn: fee.billTypeNameEn }, locale);
  return (
    <>
      <dl className="bill-details">
        <DetailRow label={t("cases.card.feeType")}>{billType}</DetailRow>
        <DetailRow label={t("bill.writeOffNumber")} className="identifier">
          {fee.writeOffNumber}
        </DetailRow>
        <DetailRow label={t("bill.amount")} className="amount">
          {formatMoney(fee.amount, locale)}
        </DetailRow>
        <DetailRow label={t("bill.dueDate")}>{formatDate(fee.dueDate, locale)}</DetailRow>
        <DetailRow label={t("cases.card.feeState")}>
          <FeeState fee={fee} audience={audience} />
        </DetailRow>
      </dl>
      {fee.state === "payable" && fee.billId ? (
        <form method="get" action="/pay" className="case-fee-actions">
          <input type="hidden" name="from" value="case" />
          <input type="hidden" name="bill" value={fee.billId} />
          <button type="submit" className="button" aria-label={t("cases.card.payLabel", { billType, number: fee.writeOffNumber })}>
            {t("cases.card.pay")}
          </button>{" "}
          <Link to={`/bills/${fee.billId}/slip`}>{t("bill.slipLink")}</Link>
        </form>
      ) : null}
    </>
  );
}

function FeeState({ fee, audience }: { fee: CaseFeeView; audience: "member" | "public" }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const paidOn = fee.paidAt ? formatDateTime(fee.paidAt, locale) : null;
  switch (fee.state) {
    case "payable":
      // The portal could not take it in as a bill: the agency collects it itself.
      return fee.billId ? t("cases.feeState.payable") : t("cases.card.feeAtAgency");
    case "cancelled":
      return t("cases.feeState.cancelled");
    case "paid":
      if (!fee.billId) return paidOn ? t("cases.card.paidAtAgencyOn", { date: paidOn }) : t("cases.card.feeAtAgency");
      return (
        <>
          {paidOn ? t("cases.card.paidOn", { date: paidOn }) : t("cases.feeState.paid")}
          {audience === "member" ? (
            <>
              {" "}
              <Link to="/account/payments">{t("cases.card.paymentHistory")}</Link>
            </>
          ) : null}
        </>
      );
  }
}
