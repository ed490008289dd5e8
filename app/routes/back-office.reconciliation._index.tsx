import { json, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { pageNumber } from "~/back-office/listing.server";
import {
  SETTLEMENT_FILE_MAX_BYTES,
  actOnSettlementFile,
  mayWorkReconciliation,
  reconciliationDays,
  type FileFormResult,
} from "~/back-office/reconciliation.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import { Pagination } from "~/components/pagination";
import { StackedCell } from "~/components/stacked-cell";
import { OutcomeHeaders, ReconciliationOutcomeCells, fileProblemText } from "~/components/back-office/reconciliation";
import { addDays, taipeiDate } from "~/domain/dates";
import { formatDateTime } from "~/domain/format";
import { PAYMENT_PROVIDERS } from "~/domain/payment-order";
import { getPaymentContext } from "~/payments/context.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-payments.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("reconciliation.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

const noStore = { "Cache-Control": "no-store" };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "reconciliation.view" });
  const list = await reconciliationDays(getDb(), staff, pageNumber(new URL(request.url).searchParams));
  const providers = PAYMENT_PROVIDERS.filter((provider) => getPaymentContext(context.logger).providers.get(provider) !== undefined);
  return json(
    {
      ...list,
      mayWork: mayWorkReconciliation(staff),
      providers,
      today: taipeiDate(),
      maxMegabytes: SETTLEMENT_FILE_MAX_BYTES / 1024 / 1024,
    },
    { headers: noStore },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "reconciliation.work" });
  // The file's own limit is checked by the service, with a message; this bound leaves room for the form around it.
  const form = await readForm(request, { maxBytes: SETTLEMENT_FILE_MAX_BYTES + 64 * 1024 });
  const intent = form.get("intent");
  if (intent !== "upload" && intent !== "fetch") throw new Response("Bad Request", { status: 400, headers: noStore });
  const result = await actOnSettlementFile(getPaymentContext(context.logger), staff, intent, form);
  return json(result, { status: result.kind === "invalid" ? 400 : 200, headers: noStore });
}

export default function ReconciliationDays() {
  const { days, page, pageCount, mayWork, providers, today, maxMegabytes } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  const invalid = answer?.kind === "invalid" ? answer : undefined;
  const fieldId = (intent: string, field: string) => `reconciliation-${intent}-${field}`;
  const errors: FieldError[] = (invalid?.problems ?? []).map((problem) => ({
    fieldId: fieldId(invalid!.intent, problem.field),
    message: problem.code === "fileRefused" ? fileProblemText(t, problem.problem) : t(`reconciliation.form.problems.${problem.code}`),
  }));
  const errorOf = (intent: string, field: string) => errors.find((error) => error.fieldId === fieldId(intent, field))?.message;
  const typed = (intent: string, field: "provider" | "businessDate") => (invalid?.intent === intent ? invalid.values[field] : undefined);
  const providerOptions = providers.map((provider) => ({ value: provider, label: t(`payments.providers.${provider}`) }));
  const yesterday = addDays(today, -1);

  const fields = (intent: "upload" | "fetch") => (
    <>
      <SelectField
        id={fieldId(intent, "provider")}
        name="provider"
        label={t("reconciliation.form.provider")}
        placeholder={t("reconciliation.form.choose")}
        options={providerOptions}
        defaultValue={typed(intent, "provider")}
        error={errorOf(intent, "provider")}
        required
      />
      <TextField
        id={fieldId(intent, "businessDate")}
        name="businessDate"
        type="date"
        label={t("reconciliation.form.businessDate")}
        hint={t("reconciliation.form.businessDateHint")}
        defaultValue={typed(intent, "businessDate") ?? yesterday}
        error={errorOf(intent, "businessDate")}
        required
      />
    </>
  );

  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("reconciliation.title")}</h1>
      <p className="lead">{t("reconciliation.intro")}</p>
      {answer?.kind === "done" ? <DoneNotice answer={answer} /> : null}

      <h2 id="reconciliation-days-heading">{t("reconciliation.daysHeading")}</h2>
      {days.length === 0 ? (
        <p className="payment-search-empty">{t("reconciliation.noDays")}</p>
      ) : (
        <>
          <div className="table-scroll" role="region" aria-labelledby="reconciliation-days-caption" tabIndex={0}>
            <table className="receipt-bills stacked-table">
              <caption id="reconciliation-days-caption">{t("reconciliation.daysCaption", { page, pages: pageCount })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("reconciliation.columns.day")}</th>
                  <th scope="col">{t("reconciliation.columns.file")}</th>
                  <OutcomeHeaders />
                  <th scope="col" className="numeric">
                    {t("reconciliation.columns.open")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {days.flatMap((day) =>
                  day.providers.map((row) => (
                    <tr key={`${day.businessDate}-${row.provider}`}>
                      <th scope="row">
                        <Link to={`/back-office/reconciliation/${day.businessDate}`}>{day.businessDate}</Link>{" "}
                        {t(`payments.providers.${row.provider}`)}
                      </th>
                      <StackedCell label={t("reconciliation.columns.file")}>
                        {row.file
                          ? t(`reconciliation.fileSummary.${row.file.origin}`, {
                              count: row.file.lineCount,
                              time: formatDateTime(row.file.importedAt, locale),
                            })
                          : t("reconciliation.noFile")}
                      </StackedCell>
                      <ReconciliationOutcomeCells counts={row.counts} />
                      <StackedCell label={t("reconciliation.columns.open")} className="numeric">
                        {row.open > 0 ? (
                          <strong>{t("reconciliation.openCount", { count: row.open })}</strong>
                        ) : (
                          t("reconciliation.noneOpen")
                        )}
                      </StackedCell>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </div>
          <Pagination
            label={t("reconciliation.pagination")}
            page={page}
            pages={pageCount}
            linkTo={(to) => (to > 1 ? `/back-office/reconciliation?page=${to}` : "/back-office/reconciliation")}
            previous={t("reconciliation.previousPage")}
            next={t("reconciliation.nextPage")}
            current={t("reconciliation.pageOf", { page, pages: pageCount })}
          />
        </>
      )}

      {mayWork ? (
        <>
          <section aria-labelledby="reconciliation-upload-heading">
            <h2 id="reconciliation-upload-heading">{t("reconciliation.upload.heading")}</h2>
            <p>{t("reconciliation.upload.intro")}</p>
            <Form method="post" encType="multipart/form-data" noValidate>
              <input type="hidden" name="intent" value="upload" />
              {fields("upload")}
              <TextField
                id={fieldId("upload", "file")}
                name="file"
                type="file"
                accept=".csv,text/csv"
                label={t("reconciliation.upload.file")}
                hint={t("reconciliation.upload.fileHint", { megabytes: maxMegabytes })}
                error={errorOf("upload", "file")}
                required
              />
              <button type="submit" className="button">
                {t("reconciliation.upload.submit")}
              </button>
            </Form>
          </section>
          <section aria-labelledby="reconciliation-fetch-heading">
            <h2 id="reconciliation-fetch-heading">{t("reconciliation.fetch.heading")}</h2>
            <p>{t("reconciliation.fetch.intro")}</p>
            <Form method="post" noValidate>
              <input type="hidden" name="intent" value="fetch" />
              {fields("fetch")}
              <button type="submit" className="button">
                {t("reconciliation.fetch.submit")}
              </button>
            </Form>
          </section>
        </>
      ) : (
        <p>{t("reconciliation.readOnly")}</p>
      )}
    </>
  );
}

/** What became of an upload or a fetch, in words, with the way to the day. */
function DoneNotice({ answer }: { answer: Extract<FileFormResult, { kind: "done" }> }) {
  const { t } = useTranslation("backOffice");
  const { result } = answer;
  const provider = t(`payments.providers.${answer.provider}`);
  const words = { provider, date: answer.businessDate };
  const text =
    result.kind === "imported" || result.kind === "same_file"
      ? t(`reconciliation.done.${result.kind}`, {
          ...words,
          count: result.lines,
          mismatches: Object.entries(result.counts).reduce((sum, [outcome, n]) => (outcome === "matched" ? sum : sum + n), 0),
        })
      : result.kind === "refused"
        ? t("reconciliation.done.refused", { ...words, problem: fileProblemText(t, result.problem) })
        : t(`reconciliation.done.${result.kind}`, { ...words, reason: result.reason });
  return (
    <div role="status" className="notice">
      <p>{text}</p>
      {result.kind === "imported" || result.kind === "same_file" ? (
        <p>
          <Link to={`/back-office/reconciliation/${answer.businessDate}`}>
            {t("reconciliation.done.seeDay", { date: answer.businessDate })}
          </Link>
        </p>
      ) : null}
    </div>
  );
}
