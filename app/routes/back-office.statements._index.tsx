import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { z } from "zod";
import { formatDate } from "~/domain/format";
import { agenciesFor } from "~/domain/staff";
import { pageNumber } from "~/back-office/listing.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { SelectField } from "~/components/forms";
import { Pager } from "~/components/back-office/pager";
import { StackedCell } from "~/components/stacked-cell";
import { agenciesInReach, listStatements } from "~/money/statements.server";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import listStyles from "~/styles/back-office-inbox.css";
import styles from "~/styles/back-office-statements.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("statements.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [listStyles, styles].map((href) => ({ rel: "stylesheet", href }));

const agencyCode = z.string().regex(/^[a-z][a-z0-9-]{1,31}$/);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "statements.view" });
  const params = new URL(request.url).searchParams;
  // An agency not in reach (or no agency at all) shows nothing, never an error.
  const agency = agencyCode.safeParse(params.get("agency")).data ?? null;
  const reach = agenciesFor(staff.roles, "statements.view");
  const [list, agencies] = await Promise.all([
    listStatements(getDb(), reach, { agency, page: pageNumber(params) }),
    agenciesInReach(getDb(), reach),
  ]);
  return json({ ...list, agency, agencies, all: reach === "all" }, { headers: { "Cache-Control": "no-store" } });
}

const FORMATS = ["csv", "pdf", "json"] as const;
const AMOUNTS = ["collected", "refunded", "fees", "net"] as const;

/** A statement's files; each link's name says whose and which day (hidden words for screen readers: the row says it to the eye). */
function DownloadLinks({ href, of }: { href: (format: (typeof FORMATS)[number]) => string; of: string }) {
  return (
    <ul className="statement-downloads">
      {FORMATS.map((format) => (
        <li key={format}>
          <a href={href(format)} download>
            {format.toUpperCase()}
            <span className="visually-hidden"> {of}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}

export default function Statements() {
  const { rows, total, page, pageCount, agency, agencies, all } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const locale = i18n.language;
  const digits = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const columns = t("statements.columns", { returnObjects: true });

  return (
    <>
      <h1>{t("statements.title")}</h1>
      <p className="lead">{t("statements.intro")}</p>
      <p>
        {all
          ? t("statements.scopeAll")
          : t("statements.scopeAgencies", { agencies: agencies.map((a) => localized(a, locale)).join(common("listSeparator")) })}
      </p>
      {agencies.length > 1 ? (
        <Form method="get" className="back-office-filters">
          <SelectField
            id="statements-filter-agency"
            name="agency"
            label={t("statements.agencyFilter")}
            placeholder={t("statements.anyAgency")}
            defaultValue={agency ?? ""}
            options={agencies.map((a) => ({ value: a.code, label: localized(a, locale) }))}
          />
          <button type="submit" className="button">
            {t("statements.filter")}
          </button>
        </Form>
      ) : null}
      <p role="status">{t("statements.count", { count: total })}</p>
      {rows.length === 0 ? (
        <p>{t("statements.empty")}</p>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby="statements-caption" tabIndex={0}>
          <table className="receipt-bills stacked-table">
            <caption id="statements-caption">{t("statements.caption", { page, pages: pageCount })}</caption>
            <thead>
              <tr>
                <th scope="col">{columns.businessDate}</th>
                <th scope="col">{columns.agency}</th>
                <th scope="col">{columns.version}</th>
                {AMOUNTS.map((amount) => (
                  <th key={amount} scope="col" className="numeric">
                    {columns[amount]}
                  </th>
                ))}
                <th scope="col">{columns.reconciled}</th>
                <th scope="col">{columns.downloads}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const date = formatDate(row.businessDate, locale);
                const name = localized({ nameZh: row.agencyNameZh, nameEn: row.agencyNameEn }, locale);
                const href = (format: string, version: number) =>
                  `/back-office/statements/${row.agencyCode}/${row.businessDate}.${format}?version=${version}`;
                return (
                  <tr key={row.id}>
                    <StackedCell label={columns.businessDate}>{date}</StackedCell>
                    <StackedCell label={columns.agency}>{name}</StackedCell>
                    <StackedCell label={columns.version}>{row.version}</StackedCell>
                    {AMOUNTS.map((amount) => (
                      <StackedCell key={amount} label={columns[amount]} className="numeric">
                        {digits.format(row[amount])}
                      </StackedCell>
                    ))}
                    <StackedCell label={columns.reconciled}>
                      <span className={`status-tag ${row.tiesOut ? "status-paid" : "status-overdue"}`}>
                        {row.tiesOut ? t("statements.tiesOut") : t("statements.differs")}
                      </span>
                    </StackedCell>
                    <StackedCell label={columns.downloads}>
                      <DownloadLinks href={(format) => href(format, row.version)} of={t("statements.downloadOf", { agency: name, date })} />
                      {row.earlierVersions.length > 0 ? (
                        <div className="statement-earlier">
                          <p>{t("statements.earlier")}</p>
                          <ul>
                            {row.earlierVersions.map((version) => (
                              <li key={version}>
                                {t("statements.earlierVersion", { version })}
                                <DownloadLinks
                                  href={(format) => href(format, version)}
                                  of={t("statements.downloadEarlierOf", { agency: name, date, version })}
                                />
                              </li>
                            ))}
                          </ul>
                        </div>
                      ) : null}
                    </StackedCell>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        page={page}
        pageCount={pageCount}
        filters={{ agency }}
        labels={{
          previous: t("statements.previous"),
          next: t("statements.next"),
          pageOf: t("statements.pageOf", { page, pages: pageCount }),
        }}
      />
    </>
  );
}
