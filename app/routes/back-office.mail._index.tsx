import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { mailOutboxHealth, mailSearchQuery, parseMailSearch, searchMailLog } from "~/back-office/mail-log.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { SearchResults } from "~/components/back-office/search-results";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import { Pagination } from "~/components/pagination";
import { StackedCell } from "~/components/stacked-cell";
import { EMAIL_KINDS, EMAIL_STATES } from "~/domain/email";
import { formatDateTime } from "~/domain/format";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-payments.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("mail.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "mail.view" });
  const search = parseMailSearch(new URL(request.url).searchParams);
  const noStore = { headers: { "Cache-Control": "no-store" } };
  // 400: the search was refused, so the page's title begins "Error:" even without JavaScript; the outbox's state still shows.
  if (!search.ok) {
    const health = await mailOutboxHealth(getDb());
    return json({ typed: search.typed, problems: search.problems, health, result: null, query: "" }, { ...noStore, status: 400 });
  }
  const result = await searchMailLog(getDb(), staff, search.filters, search.page);
  return json({ typed: search.typed, problems: {}, health: result.health, result, query: mailSearchQuery(search.filters, 1) }, noStore);
}

const COLUMNS = ["createdAt", "kind", "subject", "to", "state", "attempts", "sentAt", "lastError"] as const;

/** "2 h 5 min": how long the oldest queued mail has waited, in the largest units that still say it. */
function waited(seconds: number, t: TFunction<"backOffice">): string {
  if (seconds < 60) return t("mail.age.seconds", { count: seconds });
  if (seconds < 3600) return t("mail.age.minutes", { count: Math.floor(seconds / 60) });
  if (seconds < 86_400) return t("mail.age.hours", { count: Math.floor(seconds / 3600), minutes: Math.floor((seconds % 3600) / 60) });
  return t("mail.age.days", { count: Math.floor(seconds / 86_400), hours: Math.floor((seconds % 86_400) / 3600) });
}

export default function MailLog() {
  const { typed, problems, health, result, query } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  const fieldId = (field: string) => `mail-${field}`;
  const errors: FieldError[] = Object.entries(problems).map(([field, problem]) => ({
    fieldId: fieldId(field),
    message: t(`mail.problems.${problem}` as "mail.problems.dateInvalid"),
  }));
  const errorOf = (field: string) => errors.find((error) => error.fieldId === fieldId(field))?.message;
  const pageLink = (page: number) => `/back-office/mail?${[query, page > 1 ? `page=${page}` : ""].filter(Boolean).join("&")}`;
  const any = t("mail.fields.any");

  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("mail.title")}</h1>
      <p className="lead">{t("mail.intro")}</p>

      <section aria-labelledby="mail-health-heading">
        <h2 id="mail-health-heading">{t("mail.healthHeading")}</h2>
        <div className="table-scroll" role="region" aria-labelledby="mail-health-caption" tabIndex={0}>
          <table className="receipt-bills">
            <caption id="mail-health-caption">{t("mail.healthCaption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("mail.stateColumn")}</th>
                <th scope="col" className="numeric">
                  {t("mail.countColumn")}
                </th>
              </tr>
            </thead>
            <tbody>
              {EMAIL_STATES.map((state) => (
                <tr key={state}>
                  <th scope="row">{t(`mail.states.${state}`)}</th>
                  <td className="numeric">{health.counts[state].toLocaleString(locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          {health.oldestQueuedSeconds === null
            ? t("mail.noneQueued")
            : t("mail.oldestQueued", { age: waited(health.oldestQueuedSeconds, t) })}
        </p>
      </section>

      <Form method="get" className="payment-search" aria-labelledby="mail-search-heading" noValidate>
        <h2 id="mail-search-heading">{t("mail.searchHeading")}</h2>
        <div className="payment-search-fields">
          {(
            [
              ["state", EMAIL_STATES],
              ["kind", EMAIL_KINDS],
            ] as const
          ).map(([field, values]) => (
            <SelectField
              key={field}
              id={fieldId(field)}
              name={field}
              label={t(`mail.fields.${field}`)}
              placeholder={any}
              defaultValue={typed[field]}
              error={errorOf(field)}
              options={values.map((value) => ({
                value,
                label: t(`mail.${field === "state" ? "states" : "kinds"}.${value}` as "mail.states.sent"),
              }))}
            />
          ))}
        </div>
        <fieldset className="payment-search-dates">
          <legend>{t("mail.fields.dates")}</legend>
          {(["from", "to"] as const).map((field) => (
            <TextField
              key={field}
              id={fieldId(field)}
              name={field}
              type="date"
              label={t(`mail.fields.${field}`)}
              hint={t(`mail.fields.${field}Hint`)}
              defaultValue={typed[field]}
              error={errorOf(field)}
            />
          ))}
        </fieldset>
        <p className="actions">
          <button type="submit" className="button">
            {t("mail.search")}
          </button>{" "}
          <Link to="/back-office/mail">{t("mail.clear")}</Link>
        </p>
      </Form>

      <SearchResults
        id="mail-results"
        heading={t("mail.resultsHeading")}
        found={result ? t("mail.found", { count: result.total }) : null}
        notSearched={t("mail.notSearched")}
        empty={result && result.rows.length === 0 ? t("mail.empty") : null}
        caption={result ? t("mail.caption", { page: result.page, pages: result.pages }) : ""}
        tableClassName="receipt-bills stacked-table payment-timeline"
        columns={COLUMNS.map((column) => (
          <th key={column} scope="col" className={column === "attempts" ? "numeric" : undefined}>
            {t(`mail.columns.${column}`)}
          </th>
        ))}
        after={
          result ? (
            <Pagination
              label={t("mail.pagination")}
              page={result.page}
              pages={result.pages}
              linkTo={pageLink}
              previous={t("mail.previousPage")}
              next={t("mail.nextPage")}
              current={t("mail.pageOf", { page: result.page, pages: result.pages })}
            />
          ) : null
        }
      >
        {result?.rows.map((row) => (
          <tr key={row.id}>
            <StackedCell label={t("mail.columns.createdAt")}>
              <Link to={`/back-office/mail/${row.id}`}>{formatDateTime(row.createdAt, locale)}</Link>
            </StackedCell>
            <StackedCell label={t("mail.columns.kind")}>{t(`mail.kinds.${row.kind}`)}</StackedCell>
            <StackedCell label={t("mail.columns.subject")}>{row.subject}</StackedCell>
            <StackedCell label={t("mail.columns.to")} className="identifier">
              {row.toAddressMasked}
            </StackedCell>
            <StackedCell label={t("mail.columns.state")}>
              <span className={`status-tag mail-state-${row.state}`}>{t(`mail.states.${row.state}`)}</span>
            </StackedCell>
            <StackedCell label={t("mail.columns.attempts")} className="numeric">
              {row.attempts}
            </StackedCell>
            <StackedCell label={t("mail.columns.sentAt")}>
              {row.sentAt ? formatDateTime(row.sentAt, locale) : t("mail.detail.none")}
            </StackedCell>
            <StackedCell label={t("mail.columns.lastError")}>{row.lastError ?? t("mail.detail.none")}</StackedCell>
          </tr>
        ))}
      </SearchResults>
    </>
  );
}
