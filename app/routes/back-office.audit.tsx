import { json, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatDateTime } from "~/domain/format";
import { AUDIT_ACTOR_TYPES } from "~/domain/audit";
import { auditPage, auditSearchQuery, filtersForAudit, parseAuditSearch, type AuditEntryView } from "~/back-office/audit-view.server";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { verifyAuditChain } from "~/base/audit.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import stylesheet from "~/styles/back-office-audit.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("audit.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

const noStore = { "Cache-Control": "no-store" };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "audit.view" });
  const search = parseAuditSearch(new URL(request.url).searchParams);
  const page = search.problems.length ? { entries: [], nextBeforeSeq: null } : await auditPage(getDb(), search.filters, search.beforeSeq);
  if (!search.problems.length) {
    await auditStaffAct(staff, {
      action: "audit.searched",
      targetType: "audit_log",
      details: { filters: filtersForAudit(search.filters), beforeSeq: search.beforeSeq ?? null, shown: page.entries.length },
    });
  }
  return json(
    {
      typed: search.typed,
      problems: search.problems,
      ...page,
      nextQuery: page.nextBeforeSeq ? auditSearchQuery(search.typed, { before: String(page.nextBeforeSeq) }) : null,
      csvQuery: auditSearchQuery(search.typed),
      paged: search.beforeSeq !== undefined,
    },
    // 400 for a refused search: the title says "Error:" without JavaScript too.
    { headers: noStore, status: search.problems.length ? 400 : 200 },
  );
}

/** The one write of this page: checking the whole chain, on request (it reads every entry). */
export async function action({ request, context }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "audit.view" });
  const form = await readForm(request);
  if (form.get("intent") !== "verify") throw new Response("Bad request", { status: 400 });
  const result = await verifyAuditChain(getDb());
  await auditStaffAct(staff, { action: "audit.verified", targetType: "audit_log", details: { ...result } });
  return json({ verification: result, verifiedAt: new Date().toISOString() }, { headers: noStore });
}

function Actor({ entry }: { entry: AuditEntryView }) {
  const { t } = useTranslation("backOffice");
  const type = t(`audit.actorTypes.${entry.actorType}`);
  const who = entry.actorName ?? entry.actorId;
  if (!who) return <>{type}</>;
  if (entry.actingFor) return <>{t("audit.actingFor", { type, actor: who, principal: entry.actingForName ?? entry.actingFor })}</>;
  return <>{`${type}: ${who}`}</>;
}

function Verification() {
  const data = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const result = data?.verification;
  return (
    <section aria-labelledby="audit-verify-heading">
      <h2 id="audit-verify-heading">{t("audit.verifyHeading")}</h2>
      <p>{t("audit.verifyIntro")}</p>
      {result ? (
        <div role="status" className={result.ok ? "audit-verified" : "audit-broken"}>
          {result.ok ? (
            <p>
              <strong>{t("audit.verifyOk", { count: result.checked })}</strong>
            </p>
          ) : (
            <p>
              <strong>
                {t("audit.verifyBroken", {
                  seq: result.brokenAtSeq,
                  problem: t(`audit.problems.${result.problem}`),
                  count: result.checked,
                })}
              </strong>
            </p>
          )}
          <dl>
            <dt>{t("audit.verifiedAt")}</dt>
            <dd>{formatDateTime(data.verifiedAt, i18n.language)}</dd>
            <dt>{t("audit.headSeq")}</dt>
            <dd>{result.headSeq}</dd>
            <dt>{t("audit.headHash")}</dt>
            <dd>
              <code className="audit-hash">{result.headHash}</code>
            </dd>
          </dl>
        </div>
      ) : null}
      <Form method="post">
        <input type="hidden" name="intent" value="verify" />
        <button type="submit" className="button button-secondary">
          {t("audit.verify")}
        </button>
      </Form>
    </section>
  );
}

export default function AuditTrail() {
  const data = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation("backOffice");
  const errors: FieldError[] = data.problems.map((problem) => ({
    fieldId: `audit-${problem.field}`,
    message: t(`audit.errors.${problem.code}`),
  }));
  const errorOf = (field: string) => {
    const problem = data.problems.find((p) => p.field === field);
    return problem ? t(`audit.errors.${problem.code}`) : undefined;
  };
  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("audit.title")}</h1>
      <p>{t("audit.intro")}</p>
      <Form method="get" noValidate className="audit-search" aria-labelledby="audit-search-heading">
        <h2 id="audit-search-heading">{t("audit.searchHeading")}</h2>
        <TextField
          id="audit-text"
          name="text"
          label={t("audit.fields.text")}
          hint={t("audit.fields.textHint")}
          defaultValue={data.typed.text}
          error={errorOf("text")}
        />
        <SelectField
          id="audit-actorType"
          name="actorType"
          label={t("audit.fields.actorType")}
          placeholder={t("audit.fields.anyActor")}
          defaultValue={data.typed.actorType}
          options={AUDIT_ACTOR_TYPES.map((type) => ({ value: type, label: t(`audit.actorTypes.${type}`) }))}
        />
        <TextField
          id="audit-action"
          name="action"
          label={t("audit.fields.action")}
          hint={t("audit.fields.actionHint")}
          defaultValue={data.typed.action}
          error={errorOf("action")}
        />
        <TextField
          id="audit-from"
          name="from"
          type="date"
          label={t("audit.fields.from")}
          defaultValue={data.typed.from}
          error={errorOf("from")}
        />
        <TextField id="audit-to" name="to" type="date" label={t("audit.fields.to")} defaultValue={data.typed.to} error={errorOf("to")} />
        <button type="submit" className="button">
          {t("audit.search")}
        </button>
      </Form>

      {data.problems.length === 0 ? (
        <section aria-labelledby="audit-results-heading">
          <h2 id="audit-results-heading">{t("audit.resultsHeading")}</h2>
          <p>
            <a href={`/back-office/audit.csv${data.csvQuery ? `?${data.csvQuery}` : ""}`} download>
              {t("audit.downloadCsv")}
            </a>
          </p>
          {data.entries.length === 0 ? (
            <p>{t("audit.noEntries")}</p>
          ) : (
            <div className="table-scroll" role="region" aria-labelledby="audit-caption" tabIndex={0}>
              <table className="audit-table">
                <caption id="audit-caption">{t("audit.caption", { count: data.entries.length })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("audit.columns.seq")}</th>
                    <th scope="col">{t("audit.columns.time")}</th>
                    <th scope="col">{t("audit.columns.actor")}</th>
                    <th scope="col">{t("audit.columns.action")}</th>
                    <th scope="col">{t("audit.columns.target")}</th>
                    <th scope="col">{t("audit.columns.requestId")}</th>
                    <th scope="col">{t("audit.columns.details")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.entries.map((entry) => (
                    <tr key={entry.seq}>
                      <td className="numeric">{entry.seq}</td>
                      <td>{formatDateTime(entry.occurredAt, i18n.language)}</td>
                      <td>
                        <Actor entry={entry} />
                      </td>
                      <td>
                        <code>{entry.action}</code>
                      </td>
                      <td>
                        {entry.targetType}
                        {entry.targetId ? (
                          <>
                            {" "}
                            <code className="identifier">{entry.targetId}</code>
                          </>
                        ) : null}
                      </td>
                      <td>{entry.requestId ? <code className="identifier">{entry.requestId}</code> : null}</td>
                      <td>
                        <pre className="audit-details">{entry.details}</pre>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p>
            {data.paged ? <Link to={`?${data.csvQuery}`}>{t("audit.newest")}</Link> : null}
            {data.paged && data.nextQuery ? " · " : null}
            {data.nextQuery ? <Link to={`?${data.nextQuery}`}>{t("audit.older")}</Link> : null}
          </p>
        </section>
      ) : null}
      <Verification />
    </>
  );
}
