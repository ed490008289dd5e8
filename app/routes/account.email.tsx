import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { ErrorSummary, TextField, type FieldError } from "~/components/forms";
import { MAX_EMAIL_ADDRESS_LENGTH, MEMBER_EMAIL_KINDS } from "~/domain/email";
import { emailSettingsOf, readEmailSettingsForm, saveEmailSettings, type EmailSettingsProblem } from "~/members/email-settings.server";
import { requireMember } from "~/members/member-request.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { getLocale } from "~/base/i18n.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.emailSettings.title") };
export const headers = routeHeaders;

const noStore = { "Cache-Control": "private, no-store" };

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireMember(request);
  return json(
    {
      settings: emailSettingsOf(session.member),
      reminderDays: getEnv().DUE_REMINDER_DAYS,
      saved: new URL(request.url).searchParams.get("saved") === "1",
    },
    { headers: noStore },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await requireMember(request);
  const input = readEmailSettingsForm(await readForm(request));
  const saved = await saveEmailSettings(
    getDb(),
    { memberId: session.member.id, requestId: context.requestId },
    input,
    await getLocale(request),
  );
  if (saved.ok) return redirect("/account/email?saved=1", { status: 303, headers: noStore });
  // What was typed and ticked goes back with the problems.
  return json({ problems: saved.problems, echo: input }, { status: 400, headers: noStore });
}

export default function EmailSettings() {
  const { settings, reminderDays, saved } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const { t } = useTranslation();
  const savedRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (saved && !actionData) savedRef.current?.focus();
  }, [saved, actionData]);

  const shown = actionData?.echo ?? settings;
  const problemText = (problem: EmailSettingsProblem) => t(`member.emailSettings.problems.${problem}`);
  const errors: FieldError[] = (actionData?.problems ?? []).map((problem) => ({ fieldId: "email-address", message: problemText(problem) }));
  const addressError = errors.map((error) => error.message).join(" ") || undefined;

  return (
    <>
      <ErrorSummary errors={errors} />
      {saved && !actionData ? (
        <div ref={savedRef} className="confirmation" role="status" tabIndex={-1}>
          <p>{settings.email ? t("member.emailSettings.saved") : t("member.emailSettings.savedNone")}</p>
        </div>
      ) : null}
      <h1>{t("member.emailSettings.title")}</h1>
      <p className="lead">{t("member.emailSettings.intro")}</p>
      {!settings.email && !saved ? <p>{t("member.emailSettings.noAddress")}</p> : null}

      <Form method="post" noValidate>
        <TextField
          id="email-address"
          name="email"
          type="email"
          inputMode="email"
          autoComplete="email"
          spellCheck={false}
          autoCapitalize="none"
          maxLength={MAX_EMAIL_ADDRESS_LENGTH}
          label={t("member.emailSettings.addressLabel")}
          hint={t("member.emailSettings.addressHint")}
          defaultValue={shown.email}
          error={addressError}
        />
        <fieldset className="form-group">
          <legend>{t("member.emailSettings.kindsLegend")}</legend>
          {MEMBER_EMAIL_KINDS.map((kind) => (
            <div className="checkbox" key={kind}>
              <input
                type="checkbox"
                id={`kind-${kind}`}
                name="kinds"
                value={kind}
                defaultChecked={shown.kinds.includes(kind)}
                aria-describedby={`kind-${kind}-hint`}
              />
              <label htmlFor={`kind-${kind}`}>{t(`member.emailSettings.kinds.${kind}`)}</label>
              <span className="hint" id={`kind-${kind}-hint`}>
                {t(`member.emailSettings.kindHints.${kind}`, { days: reminderDays })}
              </span>
            </div>
          ))}
        </fieldset>
        <p className="hint">{t("member.emailSettings.contactNote")}</p>
        <button type="submit" className="button" disabled={navigation.state === "submitting"}>
          {t("member.emailSettings.submit")}
        </button>
      </Form>
      <p>
        <Link to="/account">{t("member.emailSettings.backToDashboard")}</Link>
      </p>
    </>
  );
}
