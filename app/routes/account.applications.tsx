import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { DetailRow } from "~/components/detail-row";
import type { CaseFeeView, CaseView } from "~/cases/cases.server";
import type { CaseNextStep } from "~/domain/cases";
import { taipeiDate } from "~/domain/dates";
import { formatDate, formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import { applicationsOfMember } from "~/members/applications.server";
import { requireMember } from "~/members/member-request.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.applications.title") };
export const headers = routeHeaders;

const PATH = "/account/applications";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireMember(request);
  const applications = await applicationsOfMember({ db: getDb(), env: getEnv(), logger: context.logger }, session.member);
  return json({ applications }, { headers: { "Cache-Control": "private, no-store" } });
}

export default function Applications() {
  const { applications } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("member.applications.title")}</h1>
      <p className="lead">{t("member.applications.intro")}</p>
      {applications.state === "answered" ? (
        <CaseList cases={applications.cases} />
      ) : applications.state === "unavailable" ? (
        <div className="notice notice-warning" role="status">
          <h2>{t("member.applications.unavailableHeading")}</h2>
          <p>{t("member.applications.unavailableText")}</p>
          <p>
            <a href={PATH}>{t("member.applications.tryAgain")}</a>
          </p>
        </div>
      ) : applications.state === "not_verified" ? (
        <div className="notice">
          <h2>{t("member.applications.notVerifiedHeading")}</h2>
          <p>{t("member.applications.notVerifiedText")}</p>
          <p>
            <Link to="/applications">{t("member.applications.publicQuery")}</Link>
          </p>
        </div>
      ) : applications.state === "sign_in_again" ? (
        <div className="notice">
          <p>{t("member.applications.signInAgainText")}</p>
          <p>
            <a href={`/login?returnTo=${encodeURIComponent(PATH)}`}>{t("member.applications.signInAgain")}</a>
          </p>
        </div>
      ) : (
        <p className="notice">{t("member.applications.notConfigured")}</p>
      )}
      <p>
        <Link to="/account">{t("member.applications.backToAccount")}</Link>
      </p>
    </>
  );
}

function CaseList({ cases }: { cases: CaseView[] }) {
  const { t } = useTranslation();
  if (cases.length === 0) return <p>{t("member.applications.none")}</p>;
  return (
    <>
      <p>{t("member.applications.count", { count: cases.length })}</p>
      {cases.map((found) => (
        <CaseSection key={found.caseNumber} found={found} />
      ))}
    </>
  );
}

function CaseSection({ found }: { found: CaseView }) {
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
        <DetailRow label={t("member.applications.agency")}>
          {localized({ nameZh: found.service.agencyZh, nameEn: found.service.agencyEn }, locale)}
        </DetailRow>
        <DetailRow label={t("member.applications.caseNumber")} className="identifier">
          {found.caseNumber}
        </DetailRow>
        <DetailRow label={t("member.applications.appliedOn")}>{formatDate(taipeiDate(new Date(found.appliedAt)), locale)}</DetailRow>
        <DetailRow label={t("member.applications.statusNow")}>{t(`cases.status.${found.status}`)}</DetailRow>
        <DetailRow label={t("member.applications.nextStep")}>
          <NextStep step={found.nextStep} />
        </DetailRow>
      </dl>

      <h3>{t("member.applications.timelineHeading")}</h3>
      <ol className="case-timeline">
        {found.timeline.map((entry, index) => {
          const note = locale === "en" ? entry.noteEn : entry.noteZh;
          return (
            <li key={`${entry.status}-${entry.at}-${index}`}>
              <time dateTime={entry.at}>{formatDateTime(entry.at, locale)}</time> {t(`cases.status.${entry.status}`)}
              {note ? <p className="hint">{note}</p> : null}
            </li>
          );
        })}
      </ol>

      {found.fees.length > 0 ? (
        <>
          <h3>{t("member.applications.feesHeading")}</h3>
          <ul className="case-fees">
            {found.fees.map((fee) => (
              <li key={`${fee.billTypeCode}-${fee.writeOffNumber}`}>
                <Fee fee={fee} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
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

function Fee({ fee }: { fee: CaseFeeView }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const billType = localized({ nameZh: fee.billTypeNameZh, nameEn: fee.billTypeNameEn }, locale);
  return (
    <>
      <dl className="bill-details">
        <DetailRow label={t("member.applications.feeType")}>{billType}</DetailRow>
        <DetailRow label={t("bill.writeOffNumber")} className="identifier">
          {fee.writeOffNumber}
        </DetailRow>
        <DetailRow label={t("bill.amount")} className="amount">
          {formatMoney(fee.amount, locale)}
        </DetailRow>
        <DetailRow label={t("bill.dueDate")}>{formatDate(fee.dueDate, locale)}</DetailRow>
        <DetailRow label={t("member.applications.feeState")}>
          <FeeState fee={fee} />
        </DetailRow>
      </dl>
      {fee.state === "payable" && fee.billId ? (
        <form method="get" action="/pay" className="case-fee-actions">
          <input type="hidden" name="from" value="case" />
          <input type="hidden" name="bill" value={fee.billId} />
          <button type="submit" className="button" aria-label={t("member.applications.payLabel", { billType, number: fee.writeOffNumber })}>
            {t("member.applications.pay")}
          </button>{" "}
          <Link to={`/bills/${fee.billId}/slip`}>{t("bill.slipLink")}</Link>
        </form>
      ) : null}
    </>
  );
}

function FeeState({ fee }: { fee: CaseFeeView }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const paidOn = fee.paidAt ? formatDateTime(fee.paidAt, locale) : null;
  switch (fee.state) {
    case "payable":
      // The portal could not take it in as a bill: the agency collects it itself.
      return fee.billId ? t("cases.feeState.payable") : t("member.applications.feeAtAgency");
    case "cancelled":
      return t("cases.feeState.cancelled");
    case "paid":
      if (!fee.billId) return paidOn ? t("member.applications.paidAtAgencyOn", { date: paidOn }) : t("member.applications.feeAtAgency");
      return (
        <>
          {paidOn ? t("member.applications.paidOn", { date: paidOn }) : t("cases.feeState.paid")}{" "}
          <Link to="/account/payments">{t("member.applications.paymentHistory")}</Link>
        </>
      );
  }
}
