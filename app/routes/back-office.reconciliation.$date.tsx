import { json, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { reconciliationDay, resolveReconciliationItem, type ResolveResult } from "~/back-office/reconciliation.server";
import { forbidden, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, TextAreaField, type FieldError } from "~/components/forms";
import { StackedCell } from "~/components/stacked-cell";
import { ItemSideList, OutcomeHeaders, ReconciliationOutcomeCells } from "~/components/back-office/reconciliation";
import { formatDateTime } from "~/domain/format";
import { PAYMENT_PROVIDERS } from "~/domain/payment-order";
import { RECONCILIATION_OUTCOMES } from "~/domain/reconciliation";
import { isCalendarDate } from "~/payments/records.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-payments.css";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) => {
    const date = (data as { businessDate?: string } | undefined)?.businessDate;
    return date ? t("reconciliation.day.title", { date }) : t("reconciliation.title");
  },
};
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not Found", { status: 404, headers: noStore });

function dayOf(params: { date?: string }): string {
  const date = params.date ?? "";
  if (!isCalendarDate(date)) throw notFound();
  return date;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const businessDate = dayOf(params);
  const staff = await requireStaff(request, context, { permission: "reconciliation.view" });
  return json(await reconciliationDay(getDb(), staff, businessDate), { headers: noStore });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const businessDate = dayOf(params);
  const staff = await requireStaff(request, context, { permission: "reconciliation.work" });
  const form = await readForm(request);
  if (form.get("intent") !== "resolve") throw new Response("Bad Request", { status: 400, headers: noStore });
  const result = await resolveReconciliationItem(getDb(), staff, businessDate, form);
  switch (result.kind) {
    case "resolved":
      return redirect(`/back-office/reconciliation/${businessDate}?resolved=${result.itemId}`, { status: 303, headers: noStore });
    case "invalid":
    case "not_open":
      return json<ResolveResult>(result, { status: result.kind === "invalid" ? 400 : 409, headers: noStore });
    case "forbidden":
      throw forbidden();
    default:
      throw notFound();
  }
}

export default function ReconciliationDay() {
  const { businessDate, files, counts, items, more } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  const noteId = (itemId: number) => `resolve-note-${itemId}`;
  const invalid = answer?.kind === "invalid" ? answer : undefined;
  const errors: FieldError[] = invalid
    ? [{ fieldId: noteId(invalid.itemId), message: t(`reconciliation.resolve.${invalid.errors.note}`) }]
    : [];
  const resolved = Number(searchParams.get("resolved"));
  const outcomes = RECONCILIATION_OUTCOMES.filter((outcome) => outcome !== "matched" && items.some((item) => item.outcome === outcome));

  return (
    <>
      <ErrorSummary errors={errors} />
      <p>
        <Link to="/back-office/reconciliation">{t("reconciliation.day.back")}</Link>
      </p>
      <h1>{t("reconciliation.day.title", { date: businessDate })}</h1>
      {resolved > 0 ? (
        <p role="status" className="notice">
          {t("reconciliation.resolve.done")}
        </p>
      ) : null}
      {answer?.kind === "not_open" ? (
        <p role="status" className="notice">
          {t("reconciliation.resolve.notOpen")}
        </p>
      ) : null}

      <h2 id="reconciliation-files-heading">{t("reconciliation.day.filesHeading")}</h2>
      {files.length === 0 ? (
        <p>{t("reconciliation.day.noFiles")}</p>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby="reconciliation-files-caption" tabIndex={0}>
          <table className="receipt-bills stacked-table">
            <caption id="reconciliation-files-caption">{t("reconciliation.day.filesCaption", { date: businessDate })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("reconciliation.columns.provider")}</th>
                <th scope="col">{t("reconciliation.columns.fileName")}</th>
                <th scope="col">{t("reconciliation.columns.origin")}</th>
                <th scope="col">{t("reconciliation.columns.importedAt")}</th>
                <th scope="col" className="numeric">
                  {t("reconciliation.columns.lines")}
                </th>
                <th scope="col">{t("reconciliation.columns.fileState")}</th>
              </tr>
            </thead>
            <tbody>
              {files.map((file) => (
                <tr key={file.id}>
                  <th scope="row">{t(`payments.providers.${file.provider}`)}</th>
                  <StackedCell label={t("reconciliation.columns.fileName")} className="identifier">
                    {file.fileName}
                  </StackedCell>
                  <StackedCell label={t("reconciliation.columns.origin")}>
                    {file.origin === "uploaded"
                      ? t("reconciliation.origins.uploadedBy", { name: file.uploadedBy ?? "" })
                      : t("reconciliation.origins.fetched")}
                  </StackedCell>
                  <StackedCell label={t("reconciliation.columns.importedAt")}>{formatDateTime(file.importedAt, locale)}</StackedCell>
                  <StackedCell label={t("reconciliation.columns.lines")} className="numeric">
                    {file.lineCount}
                  </StackedCell>
                  <StackedCell label={t("reconciliation.columns.fileState")}>
                    {file.supersededAt
                      ? t("reconciliation.day.superseded", { time: formatDateTime(file.supersededAt, locale) })
                      : t("reconciliation.day.current")}
                  </StackedCell>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="reconciliation-counts-heading">{t("reconciliation.day.countsHeading")}</h2>
      <div className="table-scroll" role="region" aria-labelledby="reconciliation-counts-caption" tabIndex={0}>
        <table className="receipt-bills stacked-table">
          <caption id="reconciliation-counts-caption">{t("reconciliation.day.countsCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("reconciliation.columns.provider")}</th>
              <OutcomeHeaders />
            </tr>
          </thead>
          <tbody>
            {PAYMENT_PROVIDERS.map((provider) => (
              <tr key={provider}>
                <th scope="row">{t(`payments.providers.${provider}`)}</th>
                <ReconciliationOutcomeCells counts={counts[provider]} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {outcomes.length === 0 ? <p className="payment-search-empty">{t("reconciliation.day.noMismatches")}</p> : null}
      {more ? <p className="notice">{t("reconciliation.day.more", { count: items.length })}</p> : null}
      {outcomes.map((outcome) => {
        const ofOutcome = items.filter((item) => item.outcome === outcome);
        return (
          <section key={outcome} aria-labelledby={`outcome-${outcome}`}>
            <h2 id={`outcome-${outcome}`}>{t(`reconciliation.outcomes.${outcome}.title`)}</h2>
            <p>{t(`reconciliation.outcomes.${outcome}.explain`)}</p>
            <div className="table-scroll" role="region" aria-labelledby={`outcome-${outcome}-caption`} tabIndex={0}>
              <table className="receipt-bills stacked-table reconciliation-items">
                <caption id={`outcome-${outcome}-caption`}>
                  {t("reconciliation.day.itemsCaption", {
                    outcome: t(`reconciliation.outcomes.${outcome}.title`),
                    count: ofOutcome.length,
                  })}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{t("reconciliation.columns.item")}</th>
                    <th scope="col">{t("reconciliation.columns.expected")}</th>
                    <th scope="col">{t("reconciliation.columns.found")}</th>
                    <th scope="col">{t("reconciliation.columns.state")}</th>
                  </tr>
                </thead>
                <tbody>
                  {ofOutcome.map((item) => (
                    <tr key={item.id}>
                      <th scope="row">
                        {t(`payments.providers.${item.provider}`)}{" "}
                        {item.orderId && item.orderReference ? (
                          <Link to={`/back-office/payments/${item.orderId}`} className="identifier">
                            {item.orderReference}
                          </Link>
                        ) : (
                          t("reconciliation.day.noOrder")
                        )}
                        {item.refundNumber ? (
                          <span className="identifier"> {t("reconciliation.day.refund", { number: item.refundNumber })}</span>
                        ) : null}
                      </th>
                      <StackedCell label={t("reconciliation.columns.expected")}>
                        <ItemSideList side={item.expected} empty={t("reconciliation.side.nothingHere")} />
                      </StackedCell>
                      <StackedCell label={t("reconciliation.columns.found")}>
                        <ItemSideList side={item.found} empty={t("reconciliation.side.noLine")} />
                      </StackedCell>
                      <StackedCell label={t("reconciliation.columns.state")}>
                        {item.state === "resolved" && item.resolution ? (
                          <>
                            <p>
                              <strong>{t("reconciliation.states.resolved")}</strong>{" "}
                              {t("reconciliation.resolve.by", {
                                name: item.resolution.by,
                                time: formatDateTime(item.resolution.at, locale),
                              })}
                            </p>
                            <p className="inbox-message-text">{item.resolution.note}</p>
                            {item.fromEarlierFile ? <p>{t("reconciliation.day.fromEarlierFile")}</p> : null}
                          </>
                        ) : (
                          <>
                            <p>
                              <strong>{t("reconciliation.states.open")}</strong>
                            </p>
                            {item.mayResolve ? (
                              <Form method="post" noValidate>
                                <input type="hidden" name="intent" value="resolve" />
                                <input type="hidden" name="itemId" value={item.id} />
                                <TextAreaField
                                  id={noteId(item.id)}
                                  name="note"
                                  label={t("reconciliation.resolve.note")}
                                  hint={t("reconciliation.resolve.noteHint")}
                                  rows={3}
                                  defaultValue={invalid?.itemId === item.id ? invalid.values.note : undefined}
                                  error={invalid?.itemId === item.id ? t(`reconciliation.resolve.${invalid.errors.note}`) : undefined}
                                  required
                                />
                                <button type="submit" className="button">
                                  {t("reconciliation.resolve.submit")}
                                </button>
                              </Form>
                            ) : (
                              <p>{t("reconciliation.resolve.notYours")}</p>
                            )}
                          </>
                        )}
                      </StackedCell>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        );
      })}
    </>
  );
}
