import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatDateTime } from "~/domain/format";
import { ErrorSummary, SelectField, type FieldError } from "~/components/forms";
import type { ProxyField, ProxyFormAnswer, ProxyListing } from "~/back-office/proxies.server";

/** Proxy periods as a table; those still running or to come may be ended with `intent` "revoke-proxy". */
export function ProxyTable({
  id,
  caption,
  periods,
  revocable,
  otherParty,
}: {
  id: string;
  caption: string;
  periods: ProxyListing[];
  revocable: boolean;
  otherParty: "proxy" | "principal";
}) {
  const { t, i18n } = useTranslation("backOffice");
  if (periods.length === 0)
    return (
      <p>
        {caption}: {t("proxies.none")}
      </p>
    );
  return (
    <div className="table-scroll" role="region" aria-labelledby={id} tabIndex={0}>
      <table>
        <caption id={id}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{otherParty === "proxy" ? t("proxies.columns.proxy") : t("proxies.columns.principal")}</th>
            <th scope="col">{t("proxies.columns.role")}</th>
            <th scope="col">{t("proxies.columns.period")}</th>
            <th scope="col">{t("proxies.columns.state")}</th>
            {revocable ? <th scope="col">{t("proxies.columns.action")}</th> : null}
          </tr>
        </thead>
        <tbody>
          {periods.map((period) => (
            <tr key={period.id}>
              <td>{otherParty === "proxy" ? period.proxyName : period.principalName}</td>
              <td>
                {t(`roles.${period.role}`)}（{period.agencyCode}）
              </td>
              <td>
                {formatDateTime(period.startsAt, i18n.language)} – {formatDateTime(period.endsAt, i18n.language)}
              </td>
              <td>{t(`proxies.states.${period.state}`)}</td>
              {revocable ? (
                <td>
                  {period.state === "active" || period.state === "upcoming" ? (
                    <Form method="post" className="inline-form">
                      <input type="hidden" name="intent" value="revoke-proxy" />
                      <input type="hidden" name="periodId" value={period.id} />
                      <button type="submit" className="button button-secondary">
                        {t("proxies.revoke")}
                        <span className="visually-hidden"> {otherParty === "proxy" ? period.proxyName : period.principalName}</span>
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
  );
}

type ProxyFormState = ProxyFormAnswer;

/** Setting a proxy period (`intent` "set-proxy"): a colleague, one of the principal's agency roles, start and end in Taiwan time. */
export function ProxyForm({
  choices,
  state,
}: {
  choices: { roles: Array<{ role: string; agencyCode: string }>; colleagues: Array<{ id: string; name: string; agencyCode: string }> };
  state: ProxyFormState | undefined;
}) {
  const { t } = useTranslation("backOffice");
  const message = (field: ProxyField) => {
    const problem = state?.errors[field];
    return problem ? t(`proxies.errors.${problem}`) : undefined;
  };
  const fieldId = (field: ProxyField) => `proxy-${field}`;
  const errors: FieldError[] = (["proxyId", "grant", "startsAt", "endsAt"] as const).flatMap((field) => {
    const text = message(field);
    return text ? [{ fieldId: fieldId(field), message: text }] : [];
  });
  if (choices.roles.length === 0) return <p>{t("proxies.noAgencyRoles")}</p>;
  return (
    <>
      <ErrorSummary errors={errors} />
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="set-proxy" />
        <SelectField
          id={fieldId("proxyId")}
          name="proxyId"
          label={t("proxies.fields.proxy")}
          hint={t("proxies.fields.proxyHint")}
          placeholder="—"
          defaultValue={state?.values.proxyId}
          error={message("proxyId")}
          options={choices.colleagues.map((c) => ({ value: c.id, label: `${c.name}（${c.agencyCode}）` }))}
          required
        />
        <SelectField
          id={fieldId("grant")}
          name="grant"
          label={t("proxies.fields.role")}
          placeholder="—"
          defaultValue={state?.values.grant}
          error={message("grant")}
          options={choices.roles.map((r) => ({
            value: `${r.role}:${r.agencyCode}`,
            label: `${t(`roles.${r.role}` as "roles.handler")}（${r.agencyCode}）`,
          }))}
          required
        />
        <DateTimeField
          id={fieldId("startsAt")}
          name="startsAt"
          label={t("proxies.fields.startsAt")}
          state={state}
          error={message("startsAt")}
        />
        <DateTimeField id={fieldId("endsAt")} name="endsAt" label={t("proxies.fields.endsAt")} state={state} error={message("endsAt")} />
        <button type="submit" className="button">
          {t("proxies.set")}
        </button>
      </Form>
    </>
  );
}

function DateTimeField({
  id,
  name,
  label,
  state,
  error,
}: {
  id: string;
  name: "startsAt" | "endsAt";
  label: string;
  state: ProxyFormState | undefined;
  error: string | undefined;
}) {
  const { t } = useTranslation("backOffice");
  const hintId = `${id}-hint`;
  return (
    <div className={error ? "form-group form-group-error" : "form-group"}>
      <label htmlFor={id}>{label}</label>
      <span id={hintId} className="hint">
        {t("proxies.fields.dateTimeHint")}
      </span>
      {error ? (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      ) : null}
      <input
        id={id}
        name={name}
        type="datetime-local"
        defaultValue={state?.values[name]}
        aria-describedby={error ? `${hintId} ${id}-error` : hintId}
        aria-invalid={error ? true : undefined}
        required
      />
    </div>
  );
}
