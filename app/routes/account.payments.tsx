import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import { HistoryTable } from "~/components/history-table";
import { Pagination } from "~/components/pagination";
import { formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import { historyRequest } from "~/members/history-request.server";
import { MAX_RECEIPTS_PER_PDF, RECORD_STATUSES } from "~/domain/payment-records";
import { historyQuery, memberHistoryPage } from "~/payments/records.server";
import type { RouteHandle } from "~/route-handle";
import { catalogueForChooser } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("history.title") };
export const headers = routeHeaders;

export async function loader({ request }: LoaderFunctionArgs) {
  const { session, owner, filters, typed, problems, page } = await historyRequest(request);
  // Back from "download selected receipts" with nothing ticked.
  const noneSelected = new URL(request.url).searchParams.get("none") === "1";
  const history = await memberHistoryPage(getDb(), owner, filters, page);
  return json(
    {
      history,
      noneSelected,
      verified: session.member.identityVerified,
      typed,
      problems,
      query: historyQuery(filters),
      billTypes: (await catalogueForChooser(getDb())).flatMap((agency) => agency.billTypes),
    },
    { headers: { "Cache-Control": "private, no-store" } },
  );
}

export default function PaymentHistory() {
  const { history, noneSelected, verified, typed, problems, query, billTypes } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const errors: FieldError[] = [
    ...problems.map((problem) => ({ fieldId: `filter-${problem.field}`, message: t(`history.problems.${problem.code}`) })),
    ...(noneSelected ? [{ message: t("history.problems.none_selected") }] : []),
  ];
  const fieldError = (field: string) => errors.find((error) => error.fieldId === `filter-${field}`)?.message;
  const withQuery = (path: string, extra = "") => `${path}${query || extra ? `?${[query, extra].filter(Boolean).join("&")}` : ""}`;
  const pageLink = (page: number) => withQuery("/account/payments", `page=${page}`);

  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("history.title")}</h1>
      <p className="lead no-print">{t("history.intro")}</p>
      <section className="no-print" aria-labelledby="contains-heading">
        <h2 id="contains-heading">{t("history.containsHeading")}</h2>
        <ul>
          <li>{t("history.containsMember")}</li>
          <li>{t("history.containsBrowser")}</li>
          <li>{verified ? t("history.containsIdentity") : t("history.containsIdentityUnverified")}</li>
          <li>{t("history.containsElsewhere")}</li>
        </ul>
      </section>

      <Form method="get" className="history-filters no-print" aria-labelledby="filters-heading">
        <h2 id="filters-heading">{t("history.filtersHeading")}</h2>
        <div className="filter-fields">
          <TextField
            id="filter-from"
            name="from"
            type="date"
            label={t("history.from")}
            defaultValue={typed.from}
            error={fieldError("from")}
          />
          <TextField id="filter-to" name="to" type="date" label={t("history.to")} defaultValue={typed.to} error={fieldError("to")} />
          <SelectField
            id="filter-billType"
            name="billType"
            label={t("records.columns.billType")}
            placeholder={t("history.anyBillType")}
            defaultValue={typed.billType}
            options={billTypes.map((billType) => ({ value: billType.code, label: localized(billType, locale) }))}
          />
          <SelectField
            id="filter-status"
            name="status"
            label={t("records.columns.status")}
            placeholder={t("history.anyStatus")}
            defaultValue={typed.status}
            options={RECORD_STATUSES.map((status) => ({ value: status, label: t(`records.status.${status}`) }))}
          />
        </div>
        <p className="actions">
          <button type="submit" className="button">
            {t("history.apply")}
          </button>{" "}
          <Link to="/account/payments">{t("history.clear")}</Link>
        </p>
      </Form>

      <p className="total" role="status">
        {t("history.summary", { count: history.total, paid: formatMoney(history.paidAmount, locale) })}
      </p>

      {history.total > 0 ? (
        <>
          <ul className="actions no-print">
            <li>
              <a href={withQuery("/account/payments.csv")} download>
                {t("history.downloadCsv")}
              </a>
            </li>
            <li>
              <a href={withQuery("/account/payments/receipts.pdf", "all=1")} download>
                {t("history.downloadAllReceipts")}
              </a>
            </li>
            <li>
              <Link to={withQuery("/account/payments/print")}>{t("history.printable")}</Link>
            </li>
          </ul>
          <form method="get" action="/account/payments/receipts.pdf">
            <div className="table-scroll" role="region" aria-labelledby="history-caption" tabIndex={0}>
              <HistoryTable
                records={history.records}
                caption={t("history.caption", { page: history.page, pages: history.pages })}
                interactive
              />
            </div>
            {history.records.some((record) => record.receiptNumber) ? (
              <p className="no-print">
                <span className="hint">{t("history.receiptsLimit", { max: MAX_RECEIPTS_PER_PDF })}</span>{" "}
                <button type="submit" className="button button-secondary">
                  {t("history.downloadSelected")}
                </button>
              </p>
            ) : null}
          </form>
          <Pagination
            className="pagination no-print"
            label={t("history.pagination")}
            page={history.page}
            pages={history.pages}
            linkTo={pageLink}
            previous={t("history.previous")}
            next={t("history.next")}
            current={t("history.pageOf", { page: history.page, pages: history.pages })}
          />
        </>
      ) : (
        <p>{t("history.empty")}</p>
      )}
      <p className="no-print">
        <Link to="/account">{t("member.bindings.backToDashboard")}</Link>
      </p>
    </>
  );
}
