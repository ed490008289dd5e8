import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { REFUND_CASE_STATES } from "~/domain/payment-order";
import { agenciesFor } from "~/domain/staff";
import { agencyName } from "~/back-office/area.server";
import { listDuplicatePayments, parseDuplicateFilters, type PortalPayment } from "~/back-office/duplicates.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { getLocale } from "~/base/i18n.server";
import { SelectField } from "~/components/forms";
import { Pager } from "~/components/back-office/pager";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import inboxStyles from "~/styles/back-office-inbox.css";
import refundStyles from "~/styles/back-office-refunds.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("duplicates.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [
  { rel: "stylesheet", href: inboxStyles },
  { rel: "stylesheet", href: refundStyles },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "duplicates.view" });
  const filters = parseDuplicateFilters(new URL(request.url).searchParams);
  const list = await listDuplicatePayments(getDb(), staff, filters);
  const reach = agenciesFor(staff.roles, "duplicates.view");
  const locale = await getLocale(request);
  const agencies = reach === "all" ? null : await Promise.all(reach.map((code) => agencyName(getDb(), code, locale)));
  return json({ ...list, filters, agencies }, { headers: { "Cache-Control": "no-store" } });
}

type Serialized<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

export default function DuplicatePayments() {
  const { cases, total, page, pageCount, filters, agencies } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const locale = i18n.language;
  const time = (at: string | null) => (at ? formatDateTime(at, locale) : t("duplicates.unknownTime"));
  const channel = (value: string | null) =>
    value ? common(`bill.channel.${value}`, { defaultValue: value }) : t("duplicates.unknownTime");

  const portalPayment = (payment: Serialized<PortalPayment>) => (
    <dl>
      <dt>{t("duplicates.orderReference")}</dt>
      <dd className="identifier">
        <Link to={`/back-office/payments/${payment.orderId}`}>{payment.reference}</Link>
      </dd>
      <dt>{t("duplicates.paidAt")}</dt>
      <dd>{time(payment.paidAt)}</dd>
      <dt>{t("duplicates.paymentTool")}</dt>
      <dd>{common(`paymentTools.${payment.paymentTool}`)}</dd>
      <dt>{t("duplicates.amount")}</dt>
      <dd>{formatMoney(payment.amount, locale)}</dd>
    </dl>
  );

  return (
    <>
      <h1>{t("duplicates.title")}</h1>
      <p>{t("duplicates.intro")}</p>
      <p>{t("duplicates.refundIntro")}</p>
      <p>{agencies ? t("duplicates.scopeAgencies", { agencies: agencies.join(common("listSeparator")) }) : t("duplicates.scopeAll")}</p>
      <Form method="get" className="back-office-filters">
        <SelectField
          id="duplicates-filter-state"
          name="state"
          label={t("duplicates.state")}
          placeholder={t("duplicates.any")}
          defaultValue={filters.state ?? ""}
          options={REFUND_CASE_STATES.map((state) => ({ value: state, label: t(`duplicates.states.${state}`) }))}
        />
        <button type="submit" className="button">
          {t("duplicates.filter")}
        </button>
      </Form>
      <p role="status">{t("duplicates.count", { count: total })}</p>
      {cases.length === 0 ? <p>{t("duplicates.empty")}</p> : null}
      {cases.map((c) => {
        const billType = localized({ nameZh: c.billTypeNameZh, nameEn: c.billTypeNameEn }, locale);
        const other = c.otherPayment;
        return (
          <article key={c.id} className="duplicate-case" aria-labelledby={`case-${c.id}`}>
            <h2 id={`case-${c.id}`}>{t("duplicates.caseHeading", { billType, writeOffNumber: c.writeOffNumber })}</h2>
            <dl>
              <dt>{t("duplicates.billType")}</dt>
              <dd>{billType}</dd>
              <dt>{t("duplicates.writeOffNumber")}</dt>
              <dd className="identifier">{c.writeOffNumber}</dd>
              <dt>{t("duplicates.amount")}</dt>
              <dd>{formatMoney(c.amount, locale)}</dd>
              <dt>{t("duplicates.reason")}</dt>
              <dd>{t(`duplicates.reasons.${c.reason}`)}</dd>
              <dt>{t("duplicates.caseState")}</dt>
              <dd>{t(`duplicates.states.${c.state}`)}</dd>
              {c.refund ? (
                <>
                  <dt>{t("duplicates.refund")}</dt>
                  <dd>
                    <Link to={`/back-office/refunds/${c.refund.id}`} className="identifier">
                      {c.refund.number}
                    </Link>{" "}
                    <span className={`status-tag refund-state-${c.refund.state}`}>{t(`refunds.states.${c.refund.state}`)}</span>
                  </dd>
                </>
              ) : null}
            </dl>
            {c.mayRefund ? (
              <p>
                <Link
                  className="button"
                  to={`/back-office/refunds/new?order=${c.portalPayment.orderId}&bill=${c.billId}`}
                  aria-describedby={`case-${c.id}`}
                >
                  {t("duplicates.refundLater")}
                </Link>
              </p>
            ) : null}
            <p>{t("duplicates.openedAt", { time: formatDateTime(c.createdAt, locale) })}</p>
            <div className="duplicate-payments">
              <section aria-labelledby={`case-${c.id}-portal`}>
                <h3 id={`case-${c.id}-portal`}>{t("duplicates.portalPayment")}</h3>
                {portalPayment(c.portalPayment)}
              </section>
              <section aria-labelledby={`case-${c.id}-other`}>
                <h3 id={`case-${c.id}-other`}>{t("duplicates.otherPayment")}</h3>
                {other.kind === "portal" ? (
                  <>
                    <p>{t("duplicates.otherPortalOrder")}</p>
                    {portalPayment(other.order)}
                  </>
                ) : other.kind === "elsewhere" ? (
                  <dl>
                    <dt>{t("duplicates.reportedBy")}</dt>
                    <dd>{t(`duplicates.sources.${(other.source ?? "bill") as "bill"}`, { defaultValue: other.source ?? "" })}</dd>
                    <dt>{t("duplicates.channel")}</dt>
                    <dd>{channel(other.channel)}</dd>
                    <dt>{t("duplicates.settledAt")}</dt>
                    <dd>{time(other.at)}</dd>
                  </dl>
                ) : (
                  <p>{t("duplicates.unknownOther")}</p>
                )}
              </section>
            </div>
          </article>
        );
      })}
      <Pager
        page={page}
        pageCount={pageCount}
        filters={{ state: filters.state }}
        labels={{
          previous: t("duplicates.previous"),
          next: t("duplicates.next"),
          pageOf: t("duplicates.pageOf", { page, pages: pageCount }),
        }}
      />
    </>
  );
}
