import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { CAPTCHA_ANSWER_FIELD_ID, CaptchaFieldset, WaysWithoutCaptcha } from "~/components/captcha-fieldset";
import { CaseCard } from "~/components/case-card";
import { ErrorSummary, IdentifierField, type FieldError } from "~/components/forms";
import type { CaseNumberProblem, CheckCodeProblem } from "~/domain/cases";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import { captchaToShowAgain, issueCaptcha } from "~/lookup/captcha.server";
import { queryCaseStatus, type CaseQueryOutcome } from "~/lookup/case-query.server";
import { openRefundCasesForBillsPaidTwice } from "~/payments/refund-cases.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { tooManyAttempts } from "~/base/rate-limit.server";
import { readForm } from "~/base/form.server";
import { commitVisitorSession, getVisitorSession, grantBill, visitorId } from "~/base/session.server";

/** 申辦案件進度查詢: an application's status and fees, by the case number and check code of its receipt. */
export const handle: RouteHandle = { pageTitle: (t) => t("applicationQuery.title") };

// The page's no-store, and a 429's Retry-After, reach a page posted without JavaScript too.
export const headers = routeHeaders;

const FIELD_IDS = { caseNumber: "caseNumber", checkCode: "checkCode", captchaAnswer: CAPTCHA_ANSWER_FIELD_ID } as const;
/** What identifies a case, in the order the receipt of application prints it; the check code is six digits. */
const QUERY_FIELDS = [
  { name: "caseNumber", inputMode: undefined },
  { name: "checkCode", inputMode: "numeric" },
] as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const env = getEnv();
  const session = await getVisitorSession(request);
  const captcha = issueCaptcha(env.CAPTCHA_SECRET, visitorId(session));
  return json(
    { captchaToken: captcha.token, memberLogin: env.oidc !== null },
    // Captcha tokens are per visitor and single use: never cache this page.
    { headers: { "Set-Cookie": await commitVisitorSession(session), "Cache-Control": "no-store" } },
  );
}

type Values = { caseNumber: string; checkCode: string; captchaAnswer: string };
type Errors = {
  caseNumber?: CaseNumberProblem | "no_match";
  checkCode?: CheckCodeProblem;
  captchaAnswer?: Extract<CaseQueryOutcome, { kind: "captcha" }>["check"];
  form?: { code: "rate_limited"; minutes: number } | { code: "unavailable" };
};

const text = (value: FormDataEntryValue | null, max: number) => (typeof value === "string" ? value.slice(0, max) : "");

export async function action({ request, context }: ActionFunctionArgs) {
  const env = getEnv();
  const db = getDb();
  const form = await readForm(request);
  const values: Values = {
    caseNumber: text(form.get("caseNumber"), 60),
    checkCode: text(form.get("checkCode"), 30),
    captchaAnswer: text(form.get("captchaAnswer"), 20),
  };
  const captchaToken = text(form.get("captchaToken"), 200);
  const session = await getVisitorSession(request);
  const sessionId = visitorId(session);
  const freshToken = () => issueCaptcha(env.CAPTCHA_SECRET, sessionId).token;
  // What was typed comes back; a used challenge's answer does not.
  const cleared = { ...values, captchaAnswer: "" };
  const reply = async (data: { values: Values; errors: Errors; captchaToken: string; refreshed?: boolean }, status = 400, extra = {}) =>
    json(
      { ...data, found: null },
      { status, headers: { "Set-Cookie": await commitVisitorSession(session), "Cache-Control": "no-store", ...extra } },
    );

  if (form.get("intent") === "refresh") return reply({ values: cleared, errors: {}, captchaToken: freshToken(), refreshed: true }, 200);

  const outcome = await queryCaseStatus(
    db,
    { env, clientAddress: context.clientAddress, sessionId, logger: context.logger },
    { ...values, captchaToken },
  );
  switch (outcome.kind) {
    case "found": {
      await openRefundCasesForBillsPaidTwice(db, outcome.paidTwice);
      // Its fees are this browser's to pay and print, as a bill looked up is.
      for (const fee of outcome.case.fees) if (fee.billId) grantBill(session, fee.billId, "case");
      return json(
        { values: cleared, errors: {} as Errors, captchaToken: freshToken(), refreshed: false, found: outcome.case },
        { headers: { "Set-Cookie": await commitVisitorSession(session), "Cache-Control": "no-store" } },
      );
    }
    case "invalid": {
      // The captcha was not used: keep it, and the answer typed, while it is still valid.
      const shown = captchaToShowAgain(env.CAPTCHA_SECRET, captchaToken, sessionId);
      return reply({ values: shown.kept ? values : cleared, errors: outcome.problems, captchaToken: shown.token });
    }
    case "captcha":
      return reply({ values: cleared, errors: { captchaAnswer: outcome.check }, captchaToken: freshToken() });
    case "no_match":
      // One answer whichever of the two was wrong: the e-counter does not say, and neither do we.
      return reply({ values: cleared, errors: { caseNumber: "no_match" }, captchaToken: freshToken() });
    case "unavailable":
      return reply({ values: cleared, errors: { form: { code: "unavailable" } }, captchaToken: freshToken() }, 503);
    case "rate_limited": {
      const refused = tooManyAttempts(outcome.retryAfterSeconds);
      return reply({ values: cleared, errors: { form: refused.error }, captchaToken: freshToken() }, refused.status, refused.headers);
    }
  }
}

function messages(t: TFunction, errors: Errors) {
  const caseNumber = {
    empty: "applicationQuery.errors.caseNumberEmpty",
    shape: "applicationQuery.errors.caseNumberShape",
    no_match: "applicationQuery.errors.noMatch",
  } as const;
  const checkCode = { empty: "applicationQuery.errors.checkCodeEmpty", shape: "applicationQuery.errors.checkCodeShape" } as const;
  return {
    form:
      errors.form?.code === "rate_limited"
        ? t("lookup.errors.rateLimited", { count: errors.form.minutes })
        : errors.form?.code === "unavailable"
          ? t("applicationQuery.errors.unavailable")
          : undefined,
    caseNumber: errors.caseNumber ? t(caseNumber[errors.caseNumber]) : undefined,
    checkCode: errors.checkCode ? t(checkCode[errors.checkCode]) : undefined,
    captchaAnswer: errors.captchaAnswer ? t(`lookup.errors.captcha_${errors.captchaAnswer}`) : undefined,
  };
}

export default function ApplicationQuery() {
  const loaded = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { t } = useTranslation();
  const busy = useNavigation().state === "submitting";
  const errors: Errors = actionData?.errors ?? {};
  const shown = messages(t, errors);
  const summary: FieldError[] = [
    ...(shown.form ? [{ message: shown.form }] : []),
    ...(["caseNumber", "checkCode", "captchaAnswer"] as const).flatMap((field) =>
      shown[field] ? [{ fieldId: FIELD_IDS[field], message: shown[field] }] : [],
    ),
  ];
  const found = actionData?.found ?? null;
  const values = actionData?.values;
  const captchaToken = actionData?.captchaToken ?? loaded.captchaToken;

  return (
    <>
      <ErrorSummary errors={summary} />
      <h1>{t("applicationQuery.title")}</h1>
      {found ? (
        <>
          <CaseCard found={found} audience="public" />
          <p className="notice">{t("applicationQuery.result.privacy")}</p>
          <p>
            <Link to="/applications">{t("applicationQuery.result.anotherCase")}</Link>
          </p>
        </>
      ) : (
        <>
          <p className="lead">{t("applicationQuery.intro")}</p>
          {errors.form?.code === "unavailable" ? <p className="notice">{t("applicationQuery.unavailableAdvice")}</p> : null}
          <div role="status" className="status-message">
            {actionData?.refreshed ? t("lookup.captcha.refreshed") : null}
          </div>
          <Form method="post" action="/applications" noValidate className="lookup-form">
            {/* The first submit button is the one Enter presses: make it the query, not "New image". */}
            <button type="submit" name="intent" value="query" hidden tabIndex={-1} aria-hidden="true" />
            {QUERY_FIELDS.map(({ name, inputMode }) => (
              <IdentifierField
                key={name}
                id={FIELD_IDS[name]}
                name={name}
                label={t(`applicationQuery.fields.${name}`)}
                hint={t(`applicationQuery.fields.${name}Hint`)}
                defaultValue={values?.[name]}
                error={shown[name]}
                inputMode={inputMode}
                required
              />
            ))}
            <CaptchaFieldset
              captchaToken={captchaToken}
              purpose={t("applicationQuery.captchaPurpose")}
              waysWithoutCaptcha={
                <WaysWithoutCaptcha
                  intro={t("applicationQuery.withoutCaptcha.intro")}
                  login={
                    loaded.memberLogin ? { returnTo: "/account/applications", gives: t("applicationQuery.withoutCaptcha.member") } : null
                  }
                  hotline={t("applicationQuery.withoutCaptcha.hotline")}
                />
              }
              value={values?.captchaAnswer}
              error={shown.captchaAnswer}
            />
            <button type="submit" name="intent" value="query" className="button" disabled={busy}>
              {t("applicationQuery.submit")}
            </button>
          </Form>
        </>
      )}
    </>
  );
}
