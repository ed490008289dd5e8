import { Form } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { REVEAL_REASONS } from "~/domain/staff";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import { StepUpConfirmation } from "~/components/passkey";

import type { RevealState } from "~/back-office/reveal.server";

/**
 * Asking to see masked personal data: a reason (a form that works without
 * JavaScript, with an error summary), then the passkey step-up over it.
 * The page's action takes `intent` "reveal-prepare" and "reveal-confirm".
 */
export function RevealPanel({
  fieldsLabel,
  state,
}: {
  fieldsLabel: string;
  state: Exclude<RevealState, { stage: "revealed" }> | undefined;
}) {
  const { t } = useTranslation("backOffice");
  if (state?.stage === "confirm") {
    return (
      <StepUpConfirmation options={state.options} fields={<input type="hidden" name="intent" value="reveal-confirm" />}>
        <ul>
          <li>{t("reveal.what", { fields: fieldsLabel })}</li>
          <li>
            {t("reveal.why", {
              reason: `${t(`reveal.reasons.${state.reason}` as "reveal.reasons.other")}${state.detail ? `：${state.detail}` : ""}`,
            })}
          </li>
        </ul>
      </StepUpConfirmation>
    );
  }
  const ask = state?.stage === "ask" ? state : undefined;
  const errors: FieldError[] = [];
  if (ask?.errors?.reason)
    errors.push({ fieldId: "reveal-reason", message: t(`reveal.errors.${ask.errors.reason}` as "reveal.errors.reasonRequired") });
  if (ask?.errors?.detail)
    errors.push({ fieldId: "reveal-detail", message: t(`reveal.errors.${ask.errors.detail}` as "reveal.errors.reasonRequired") });
  return (
    <section className="reveal-panel" aria-labelledby="reveal-heading">
      <h2 id="reveal-heading">{t("reveal.heading")}</h2>
      {state?.stage === "refused" ? (
        <p role="alert" className="field-error-text">
          {t("reveal.refused")}
        </p>
      ) : null}
      <ErrorSummary errors={errors} />
      <p>{t("reveal.intro")}</p>
      <Form method="post" noValidate>
        <input type="hidden" name="intent" value="reveal-prepare" />
        <SelectField
          id="reveal-reason"
          name="reason"
          label={t("reveal.reason")}
          hint={t("reveal.reasonHint")}
          placeholder="—"
          defaultValue={ask?.values?.reason}
          error={errors.find((e) => e.fieldId === "reveal-reason")?.message}
          options={REVEAL_REASONS.map((reason) => ({ value: reason, label: t(`reveal.reasons.${reason}`) }))}
          required
        />
        <TextField
          id="reveal-detail"
          name="detail"
          label={t("reveal.detail")}
          hint={t("reveal.detailHint")}
          maxLength={200}
          defaultValue={ask?.values?.detail}
          error={errors.find((e) => e.fieldId === "reveal-detail")?.message}
        />
        <button type="submit" className="button">
          {t("reveal.submit")}
        </button>
      </Form>
    </section>
  );
}
