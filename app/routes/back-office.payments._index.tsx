import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { parsePaymentSearch, paymentSearchQuery, searchPayments } from "~/back-office/payments.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { ErrorSummary, IdentifierField, SelectField, TextField, type FieldError } from "~/components/forms";
import { Pagination } from "~/components/pagination";
import { StackedCell } from "~/components/stacked-cell";
import { formatDateTime, formatMoney } from "~/domain/format";
import { ENTRY_CHANNELS, PAYMENT_ORDER_STATES } from "~/domain/payment-order";
import { PAYMENT_TOOLS } from "~/domain/payment-tools";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-payments.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("payments.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "payments.view" });
  const search = parsePaymentSearch(new URL(request.url).searchParams);
  const noStore = { headers: { "Cache-Control": "no-store" } };
  // 400: the search was refused, so the page's title begins "Error:" even without JavaScript.
  if (!search.ok) return json({ typed: search.typed, problems: search.problems, result: null, query: "" }, { ...noStore, status: 400 });
  const result = await searchPayments(getDb(), staff, search.filters, search.page);
  return json({ typed: search.typed, problems: {}, result, query: paymentSearchQuery(search.filters, 1) }, noStore);
}

export default function PaymentSearch() {
  const { typed, problems, result, query } = useLoaderData<typeof loader>();
  const { t } = useTranslation("backOffice");
  const { t: residents, i18n } = useTranslation();
  const locale = i18n.language;
  const fieldId = (field: string) => `search-${field}`;
  const errors: FieldError[] = Object.entries(problems).map(([field, problem]) => ({
    fieldId: fieldId(field),
    message: t(`payments.problems.${problem}` as "payments.problems.dateInvalid"),
  }));
  const errorOf = (field: string) => errors.find((error) => error.fieldId === fieldId(field))?.message;
  const pageLink = (page: number) => `/back-office/payments?${[query, page > 1 ? `page=${page}` : ""].filter(Boolean).join("&")}`;
  const any = t("payments.fields.any");

  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("payments.title")}</h1>
      <p className="lead">{t("payments.intro")}</p>

      <Form method="get" className="payment-search" aria-labelledby="payment-search-heading" noValidate>
        <h2 id="payment-search-heading">{t("payments.searchHeading")}</h2>
        <div className="payment-search-fields">
          <IdentifierField
            id={fieldId("writeOffNumber")}
            name="writeOffNumber"
            label={t("payments.fields.writeOffNumber")}
            hint={t("payments.fields.writeOffNumberHint")}
            defaultValue={typed.writeOffNumber}
            error={errorOf("writeOffNumber")}
          />
          <IdentifierField
            id={fieldId("reference")}
            name="reference"
            label={t("payments.fields.reference")}
            hint={t("payments.fields.referenceHint")}
            defaultValue={typed.reference}
            error={errorOf("reference")}
          />
          <IdentifierField
            id={fieldId("receiptNumber")}
            name="receiptNumber"
            label={t("payments.fields.receiptNumber")}
            hint={t("payments.fields.receiptNumberHint")}
            defaultValue={typed.receiptNumber}
            error={errorOf("receiptNumber")}
          />
          <IdentifierField
            id={fieldId("providerTransactionId")}
            name="providerTransactionId"
            label={t("payments.fields.providerTransactionId")}
            hint={t("payments.fields.providerTransactionIdHint")}
            defaultValue={typed.providerTransactionId}
            error={errorOf("providerTransactionId")}
          />
        </div>
        <fieldset className="payment-search-dates">
          <legend>{t("payments.fields.dates")}</legend>
          <TextField
            id={fieldId("from")}
            name="from"
            type="date"
            label={t("payments.fields.from")}
            hint={t("payments.fields.fromHint")}
            defaultValue={typed.from}
            error={errorOf("from")}
          />
          <TextField
            id={fieldId("to")}
            name="to"
            type="date"
            label={t("payments.fields.to")}
            hint={t("payments.fields.toHint")}
            defaultValue={typed.to}
            error={errorOf("to")}
          />
        </fieldset>
        <div className="payment-search-fields">
          <SelectField
            id={fieldId("status")}
            name="status"
            label={t("payments.fields.status")}
            placeholder={any}
            defaultValue={typed.status}
            error={errorOf("status")}
            options={PAYMENT_ORDER_STATES.map((state) => ({ value: state, label: t(`payments.states.${state}`) }))}
          />
          <SelectField
            id={fieldId("tool")}
            name="tool"
            label={t("payments.fields.tool")}
            placeholder={any}
            defaultValue={typed.tool}
            error={errorOf("tool")}
            options={PAYMENT_TOOLS.map((tool) => ({ value: tool, label: residents(`paymentTools.${tool}`) }))}
          />
          <SelectField
            id={fieldId("channel")}
            name="channel"
            label={t("payments.fields.channel")}
            placeholder={any}
            defaultValue={typed.channel}
            error={errorOf("channel")}
            options={ENTRY_CHANNELS.map((channel) => ({ value: channel, label: t(`payments.channels.${channel}`) }))}
          />
        </div>
        <p className="actions">
          <button type="submit" className="button">
            {t("payments.search")}
          </button>{" "}
          <Link to="/back-office/payments">{t("payments.clear")}</Link>
        </p>
      </Form>

      <h2 id="payment-results-heading">{t("payments.resultsHeading")}</h2>
      <p className="total" role="status">
        {result ? t("payments.found", { count: result.total }) : t("payments.notSearched")}
      </p>
      {result && result.rows.length === 0 ? <p className="payment-search-empty">{t("payments.empty")}</p> : null}
      {result && result.rows.length > 0 ? (
        <>
          <div className="table-scroll" role="region" aria-labelledby="payment-results-caption" tabIndex={0}>
            <table className="receipt-bills stacked-table payment-results">
              <caption id="payment-results-caption">{t("payments.caption", { page: result.page, pages: result.pages })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("payments.columns.reference")}</th>
                  <th scope="col">{t("payments.columns.createdAt")}</th>
                  <th scope="col">{t("payments.columns.bills")}</th>
                  <th scope="col">{t("payments.columns.payer")}</th>
                  <th scope="col" className="numeric">
                    {t("payments.columns.amount")}
                  </th>
                  <th scope="col">{t("payments.columns.status")}</th>
                  <th scope="col">{t("payments.columns.tool")}</th>
                  <th scope="col">{t("payments.columns.channel")}</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((row) => (
                  <tr key={row.id}>
                    <StackedCell label={t("payments.columns.reference")} className="identifier">
                      <Link to={`/back-office/payments/${row.id}`}>{row.reference}</Link>
                    </StackedCell>
                    <StackedCell label={t("payments.columns.createdAt")}>{formatDateTime(row.createdAt, locale)}</StackedCell>
                    <StackedCell label={t("payments.columns.bills")}>
                      <ul className="payment-bills">
                        {row.bills.map((bill) => (
                          <li key={bill.writeOffNumber}>
                            {localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale)}{" "}
                            <span className="identifier">{bill.writeOffNumber}</span>
                          </li>
                        ))}
                      </ul>
                    </StackedCell>
                    <StackedCell label={t("payments.columns.payer")}>
                      {[...new Set(row.bills.map((bill) => bill.payerNameMasked))].join(residents("listSeparator"))}
                    </StackedCell>
                    <StackedCell label={t("payments.columns.amount")} className="numeric">
                      {formatMoney(row.totalAmount, locale)}
                    </StackedCell>
                    <StackedCell label={t("payments.columns.status")}>
                      <span className={`status-tag order-state-${row.state}`}>{t(`payments.states.${row.state}`)}</span>
                    </StackedCell>
                    <StackedCell label={t("payments.columns.tool")}>{residents(`paymentTools.${row.paymentTool}`)}</StackedCell>
                    <StackedCell label={t("payments.columns.channel")}>{t(`payments.channels.${row.entryChannel ?? "none"}`)}</StackedCell>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination
            label={t("payments.pagination")}
            page={result.page}
            pages={result.pages}
            linkTo={pageLink}
            previous={t("payments.previousPage")}
            next={t("payments.nextPage")}
            current={t("payments.pageOf", { page: result.page, pages: result.pages })}
          />
        </>
      ) : null}
    </>
  );
}
