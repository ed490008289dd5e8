import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { DEFAULT_KEY_OVERLAP_DAYS, MAX_KEY_OVERLAP_DAYS } from "~/domain/agency-api";
import { DEFAULT_SECRET_OVERLAP_DAYS, MAX_SECRET_OVERLAP_DAYS } from "~/domain/agency-credentials";
import { formatDateTime } from "~/domain/format";
import { agencyForAdmin } from "~/agencies/catalogue-admin.server";
import { answerIntegrationIntent, integrationPage } from "~/back-office/integrations.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, TextField, type FieldError } from "~/components/forms";
import { StepUpConfirmation } from "~/components/passkey";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("integrations.title") };
export const headers = routeHeaders;

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not found", { status: 404, headers: noStore });

async function agencyOf(code: string | undefined) {
  const found = await agencyForAdmin(getDb(), code ?? "");
  if (!found) throw notFound();
  return { code: found.agency.code, nameZh: found.agency.nameZh, nameEn: found.agency.nameEn };
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "integrations.view" });
  const agency = await agencyOf(params.agency);
  const before = Number(new URL(request.url).searchParams.get("before") ?? "");
  const page = await integrationPage(getDb(), staff, agency.code, Number.isSafeInteger(before) && before > 0 ? before : undefined);
  return json({ agency, ...page }, { headers: noStore });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "integrations.manage" });
  const agency = await agencyOf(params.agency);
  const answer = await answerIntegrationIntent(staff, agency.code, await readForm(request), context.logger);
  if (!answer) throw new Response("Bad request", { status: 400, headers: noStore });
  const status = answer.stage === "receiver" || answer.stage === "refused" ? 400 : 200;
  return json({ answer }, { status, headers: noStore });
}

export default function IntegrationPage() {
  const { agency, receiver, secrets, keys, log, canManage } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const answer = data?.answer;
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  const name = locale === "en" ? agency.nameEn : agency.nameZh;
  const when = (iso: string | null) => (iso ? formatDateTime(iso, locale) : "—");

  if (answer?.stage === "confirm") {
    const act = answer.act;
    return (
      <>
        <h1>{t("integrations.heading", { agency: name })}</h1>
        <StepUpConfirmation options={answer.options} fields={<input type="hidden" name="intent" value="confirm-credential" />}>
          <p>{t(`integrations.signing.${act.action}`, act)}</p>
        </StepUpConfirmation>
        <p>
          <Link to={`/back-office/catalogue/${agency.code}/integration`}>{t("integrations.cancel")}</Link>
        </p>
      </>
    );
  }

  const receiverAnswer = answer?.stage === "receiver" ? answer : undefined;
  const errors: FieldError[] = [];
  if (answer?.stage === "refused")
    errors.push({ message: t(`integrations.refusals.${answer.refusal}` as "integrations.refusals.keyNotFound") });
  for (const field of ["url", "enabled"] as const) {
    const problem = receiverAnswer?.errors[field];
    if (problem) errors.push({ fieldId: `receiver-${field}`, message: t(`integrations.errors.${problem}`) });
  }
  const done = answer?.stage === "done" ? answer : undefined;
  const urlValue = receiverAnswer?.values.url ?? receiver?.url ?? "";
  const enabledValue = receiverAnswer ? receiverAnswer.values.enabled === "on" : (receiver?.enabled ?? true);

  return (
    <>
      <p>
        <Link to={`/back-office/catalogue/${agency.code}`}>{name}</Link>
      </p>
      <ErrorSummary errors={errors} />
      <h1>{t("integrations.heading", { agency: name })}</h1>
      {done ? (
        <div role="status" className="notice">
          <p>{t(`integrations.done.${done.done}`, { until: when(done.until ?? null) })}</p>
          {done.answer ? (
            <p>
              {done.answer.error === null
                ? t("integrations.answerOk", { status: done.answer.statusCode, ms: done.answer.durationMs })
                : t("integrations.answerFailed", { error: done.answer.error, ms: done.answer.durationMs })}
            </p>
          ) : null}
          {done.shown ? (
            <>
              <p>{t("integrations.shownOnce")}</p>
              <dl>
                <dt>{t("integrations.shownId")}</dt>
                <dd>
                  <code className="identifier">{done.shown.id}</code>
                </dd>
                <dt>{t("integrations.shownSecret")}</dt>
                <dd>
                  <code className="identifier">{done.shown.secret}</code>
                </dd>
              </dl>
            </>
          ) : null}
        </div>
      ) : null}

      <h2 id="receiver-heading">{t("integrations.receiverHeading")}</h2>
      {receiver ? null : <p>{t("integrations.noReceiver")}</p>}
      {canManage ? (
        <Form method="post" noValidate aria-labelledby="receiver-heading">
          <input type="hidden" name="intent" value="save-receiver" />
          <TextField
            id="receiver-url"
            name="url"
            label={t("integrations.fields.url")}
            hint={t("integrations.fields.urlHint")}
            defaultValue={urlValue}
            error={errors.find((e) => e.fieldId === "receiver-url")?.message}
            maxLength={500}
            required
          />
          <div className="checkbox">
            <input type="checkbox" id="receiver-enabled" name="enabled" defaultChecked={enabledValue} />
            <label htmlFor="receiver-enabled">{t("integrations.fields.enabled")}</label>
          </div>
          <button type="submit" className="button">
            {t("integrations.saveReceiver")}
          </button>
        </Form>
      ) : receiver ? (
        <p>
          <code className="identifier">{receiver.url}</code> — {receiver.enabled ? t("integrations.enabled") : t("integrations.disabled")}
        </p>
      ) : null}
      {canManage && receiver ? (
        <Form method="post">
          <input type="hidden" name="intent" value="ping" />
          <button type="submit" className="button button-secondary">
            {t("integrations.ping")}
          </button>
        </Form>
      ) : null}

      <h2 id="secrets-heading">{t("integrations.secretsHeading")}</h2>
      <div className="table-scroll" role="region" aria-labelledby="secrets-caption" tabIndex={0}>
        <table>
          <caption id="secrets-caption">{t("integrations.secretsCaption", { count: secrets.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("integrations.columns.secret")}</th>
              <th scope="col">{t("integrations.columns.created")}</th>
              <th scope="col">{t("integrations.columns.state")}</th>
            </tr>
          </thead>
          <tbody>
            {secrets.map((secret) => (
              <tr key={secret.id}>
                <td>
                  <code className="identifier">{secret.id.slice(0, 8)}</code>
                </td>
                <td>{when(secret.createdAt)}</td>
                <td>
                  {!secret.live
                    ? t("integrations.secretRetired", { at: when(secret.retiresAt) })
                    : secret.retiresAt
                      ? t("integrations.secretRetiring", { at: when(secret.retiresAt) })
                      : t("integrations.secretSigning")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canManage ? (
        <Form method="post" noValidate aria-labelledby="secrets-heading">
          <input type="hidden" name="intent" value="rotate-secret" />
          <TextField
            id="secret-overlapDays"
            name="overlapDays"
            inputMode="numeric"
            label={t("integrations.fields.overlapDays")}
            hint={t("integrations.fields.overlapHint", { default: DEFAULT_SECRET_OVERLAP_DAYS, max: MAX_SECRET_OVERLAP_DAYS })}
            defaultValue={String(DEFAULT_SECRET_OVERLAP_DAYS)}
            maxLength={3}
          />
          <button type="submit" className="button">
            {secrets.length === 0 ? t("integrations.issueSecret") : t("integrations.rotateSecret")}
          </button>
        </Form>
      ) : null}

      <h2 id="keys-heading">{t("integrations.keysHeading")}</h2>
      <div className="table-scroll" role="region" aria-labelledby="keys-caption" tabIndex={0}>
        <table>
          <caption id="keys-caption">{t("integrations.keysCaption", { count: keys.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("integrations.columns.keyId")}</th>
              <th scope="col">{t("integrations.columns.label")}</th>
              <th scope="col">{t("integrations.columns.created")}</th>
              <th scope="col">{t("integrations.columns.lastUsed")}</th>
              <th scope="col">{t("integrations.columns.state")}</th>
              {canManage ? <th scope="col">{t("integrations.columns.actions")}</th> : null}
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>
                  <code className="identifier">{key.id}</code>
                </td>
                <td>{key.label || "—"}</td>
                <td>
                  {when(key.createdAt)}
                  {key.createdBy ? ` (${key.createdBy})` : null}
                </td>
                <td>{key.lastUsedAt ? when(key.lastUsedAt) : t("integrations.neverUsed")}</td>
                <td>{t(`integrations.keyStates.${key.status.state}`, { at: when(key.status.at) })}</td>
                {canManage ? (
                  <td>
                    {key.status.state === "active" || key.status.state === "overlap" ? (
                      <>
                        <Form method="post" className="inline-form">
                          <input type="hidden" name="intent" value="rotate-key" />
                          <input type="hidden" name="keyId" value={key.id} />
                          <label htmlFor={`overlap-${key.id}`}>{t("integrations.fields.keyOverlapDays")}</label>{" "}
                          <input
                            id={`overlap-${key.id}`}
                            name="overlapDays"
                            inputMode="numeric"
                            size={3}
                            maxLength={3}
                            defaultValue={String(DEFAULT_KEY_OVERLAP_DAYS)}
                            aria-describedby="key-overlap-hint"
                          />{" "}
                          <button type="submit" className="button button-secondary">
                            {t("integrations.rotateKey")}
                            <span className="visually-hidden"> {key.id}</span>
                          </button>
                        </Form>{" "}
                        <Form method="post" className="inline-form">
                          <input type="hidden" name="intent" value="revoke-key" />
                          <input type="hidden" name="keyId" value={key.id} />
                          <button type="submit" className="button button-secondary">
                            {t("integrations.revokeKey")}
                            <span className="visually-hidden"> {key.id}</span>
                          </button>
                        </Form>
                      </>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canManage ? (
        <>
          <p id="key-overlap-hint" className="hint">
            {t("integrations.fields.overlapHint", { default: DEFAULT_KEY_OVERLAP_DAYS, max: MAX_KEY_OVERLAP_DAYS })}
          </p>
          <Form method="post" noValidate aria-labelledby="keys-heading">
            <input type="hidden" name="intent" value="issue-key" />
            <TextField
              id="key-label"
              name="label"
              label={t("integrations.fields.label")}
              hint={t("integrations.fields.labelHint")}
              maxLength={60}
            />
            <button type="submit" className="button">
              {t("integrations.issueKey")}
            </button>
          </Form>
        </>
      ) : null}

      <h2 id="log-heading">{t("integrations.logHeading")}</h2>
      <div className="table-scroll" role="region" aria-labelledby="log-caption" tabIndex={0}>
        <table>
          <caption id="log-caption">{t("integrations.logCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("integrations.columns.attemptedAt")}</th>
              <th scope="col">{t("integrations.columns.kind")}</th>
              <th scope="col">{t("integrations.columns.notice")}</th>
              <th scope="col">{t("integrations.columns.result")}</th>
              <th scope="col">{t("integrations.columns.duration")}</th>
              <th scope="col">{t("integrations.columns.requestedBy")}</th>
              {canManage ? <th scope="col">{t("integrations.columns.actions")}</th> : null}
            </tr>
          </thead>
          <tbody>
            {log.lines.map((line) => (
              <tr key={line.id}>
                <td>{when(line.attemptedAt)}</td>
                <td>{t(`integrations.kinds.${line.kind}`)}</td>
                <td>
                  {line.noticeId ? (
                    <>
                      <code className="identifier">{line.noticeId.slice(0, 8)}</code> {line.noticeKind}
                    </>
                  ) : (
                    "—"
                  )}
                </td>
                <td>{line.error === null ? t("integrations.resultOk", { status: line.statusCode }) : line.error}</td>
                <td>{t("integrations.ms", { ms: line.durationMs })}</td>
                <td>{line.requestedBy ?? "—"}</td>
                {canManage ? (
                  <td>
                    {line.noticeId ? (
                      <Form method="post" className="inline-form">
                        <input type="hidden" name="intent" value="redeliver" />
                        <input type="hidden" name="noticeId" value={line.noticeId} />
                        <button type="submit" className="button button-secondary">
                          {t("integrations.redeliver")}
                          <span className="visually-hidden"> {line.noticeId}</span>
                        </button>
                      </Form>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {log.nextBefore ? (
        <p>
          <Link to={`?before=${log.nextBefore}`}>{t("integrations.olderLines")}</Link>
        </p>
      ) : null}
    </>
  );
}
