import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { REFUND_STATES } from "~/domain/refund";
import { listRefunds, parseRefundFilters, type RefundRow } from "~/back-office/refunds.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { SelectField } from "~/components/forms";
import { Pager } from "~/components/back-office/pager";
import { StackedCell } from "~/components/stacked-cell";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import inboxStyles from "~/styles/back-office-inbox.css";
import styles from "~/styles/back-office-refunds.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("refunds.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [
  { rel: "stylesheet", href: inboxStyles },
  { rel: "stylesheet", href: styles },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "refunds.view" });
  const filters = parseRefundFilters(new URL(request.url).searchParams);
  return json({ ...(await listRefunds(getDb(), staff, filters)), filters }, { headers: { "Cache-Control": "no-store" } });
}

function RefundTable({ rows, caption, id }: { rows: RefundRow[]; caption: string; id: string }) {
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  const label = (key: string) => t(`refunds.list.columns.${key}` as "refunds.list.columns.number");
  return (
    <table className="receipt-bills stacked-table back-office-list refund-list" id={id}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {(["number", "createdAt", "billType", "writeOffNumber", "amount", "state", "next"] as const).map((key) => (
            <th scope="col" key={key} className={key === "amount" ? "numeric" : undefined}>
              {label(key)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id}>
            <StackedCell label={label("number")} className="identifier">
              <Link to={`/back-office/refunds/${row.id}`}>{row.number}</Link>
            </StackedCell>
            <StackedCell label={label("createdAt")}>{formatDateTime(row.createdAt, locale)}</StackedCell>
            <StackedCell label={label("billType")}>
              {localized({ nameZh: row.billTypeNameZh, nameEn: row.billTypeNameEn }, locale)}
            </StackedCell>
            <StackedCell label={label("writeOffNumber")} className="identifier">
              {row.writeOffNumber}
            </StackedCell>
            <StackedCell label={label("amount")} className="numeric">
              {formatMoney(row.amount, locale)}
            </StackedCell>
            <StackedCell label={label("state")}>
              <span className={`status-tag refund-state-${row.state}`}>{t(`refunds.states.${row.state}`)}</span>
            </StackedCell>
            <StackedCell label={label("next")}>
              {row.nextStep ? t("refunds.list.nextBy", { role: t(`roles.${row.nextStep.role}`) }) : "—"}
            </StackedCell>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function Refunds() {
  const { waiting, rows, total, page, pageCount, filters } = useLoaderData<typeof loader>();
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("refunds.title")}</h1>
      <p>{t("refunds.list.intro")}</p>

      <section aria-labelledby="refunds-waiting-heading">
        <h2 id="refunds-waiting-heading">{t("refunds.list.waitingHeading")}</h2>
        {waiting.length === 0 ? (
          <p>{t("refunds.list.nothingWaiting")}</p>
        ) : (
          <RefundTable rows={waiting} caption={t("refunds.list.waitingCaption", { count: waiting.length })} id="refunds-waiting" />
        )}
      </section>

      <section aria-labelledby="refunds-all-heading">
        <h2 id="refunds-all-heading">{t("refunds.list.allHeading")}</h2>
        <Form method="get" className="back-office-filters">
          <SelectField
            id="refunds-filter-state"
            name="state"
            label={t("refunds.list.state")}
            placeholder={t("refunds.list.any")}
            defaultValue={filters.state ?? ""}
            options={REFUND_STATES.map((state) => ({ value: state, label: t(`refunds.states.${state}`) }))}
          />
          <button type="submit" className="button">
            {t("refunds.list.filter")}
          </button>
        </Form>
        <p role="status">{t("refunds.list.count", { count: total })}</p>
        {rows.length === 0 ? (
          <p>{t("refunds.list.empty")}</p>
        ) : (
          <RefundTable rows={rows} caption={t("refunds.list.allCaption", { page, pages: pageCount })} id="refunds-all" />
        )}
        <Pager
          page={page}
          pageCount={pageCount}
          filters={{ state: filters.state }}
          labels={{
            previous: t("refunds.list.previous"),
            next: t("refunds.list.next"),
            pageOf: t("refunds.list.pageOf", { page, pages: pageCount }),
          }}
        />
      </section>
    </>
  );
}
