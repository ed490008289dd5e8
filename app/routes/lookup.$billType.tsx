import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { ErrorSummary, type FieldError } from "~/components/forms";
import { LOOKUP_FIELD_IDS, LookupForm, type LookupPurpose } from "~/components/lookup-form";
import type { WriteOffProblem } from "~/domain/write-off-number";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import { captchaForVisitor, captchaToShowAgain, issueCaptcha } from "~/lookup/captcha.server";
import { findBillType } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { tooManyAttempts } from "~/base/rate-limit.server";
import { readForm } from "~/base/form.server";
import { lookUpBill, type LookupOutcome } from "~/lookup/lookup.server";
import { commitVisitorSession, getVisitorSession, grantBill, visitorId } from "~/base/session.server";

export const handle: RouteHandle = {
  // A visitor without a session is given the page kept rendered, with a captcha and a session of its own.
  sameForEveryVisitor: "apart-from-captcha",
  pageTitle: (t, data, locale) => {
    const loaded = data as { billType?: { nameZh: string; nameEn: string }; purpose?: LookupPurpose } | undefined;
    if (!loaded?.billType) return t("lookup.chooseTitle");
    const billType = localized(loaded.billType, locale);
    return loaded.purpose === "records" ? t("records.lookupHeading", { billType }) : t("lookup.pageHeading", { billType });
  },
};

// The captcha page's no-store, and a 429's Retry-After, reach a page loaded or posted without JavaScript too.
export const headers = routeHeaders;

/** Looking a bill up for its payment records (?for=records) or, by default, to pay it. */
const purposeOf = (request: Request): LookupPurpose => (new URL(request.url).searchParams.get("for") === "records" ? "records" : "pay");

async function billTypeOr404(code: string | undefined) {
  const found = code ? await findBillType(getDb(), code) : null;
  if (!found) throw new Response(null, { status: 404 });
  return found;
}

/** What the form needs of a bill type, and nothing else. */
function formBillType({ billType, agency }: NonNullable<Awaited<ReturnType<typeof findBillType>>>) {
  return {
    code: billType.code,
    nameZh: billType.nameZh,
    nameEn: billType.nameEn,
    writeOffHintZh: billType.writeOffHintZh,
    writeOffHintEn: billType.writeOffHintEn,
    agencyNameZh: agency.nameZh,
    agencyNameEn: agency.nameEn,
  };
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const found = await billTypeOr404(params.billType);
  const captcha = context.visitorCaptcha ?? (await captchaForVisitor(getEnv().CAPTCHA_SECRET, request.headers.get("Cookie")));
  return json(
    { billType: formBillType(found), captchaToken: captcha.token, purpose: purposeOf(request), memberLogin: getEnv().oidc !== null },
    // Captcha tokens are per visitor and single use: never cache this page.
    { headers: { "Set-Cookie": captcha.setCookie, "Cache-Control": "no-store" } },
  );
}

type NumberError = WriteOffProblem | { code: "not_found" };
type CaptchaError = { code: Extract<LookupOutcome, { kind: "captcha" }>["check"] };
type FormError = { code: "rate_limited"; minutes: number };

interface LookupActionData {
  values: { writeOffNumber: string; captchaAnswer: string };
  errors: { writeOffNumber?: NumberError; captchaAnswer?: CaptchaError; form?: FormError };
  captchaToken: string;
  refreshed?: boolean;
}

const text = (value: FormDataEntryValue | null, max: number) => (typeof value === "string" ? value.slice(0, max) : "");

export async function action({ request, params, context }: ActionFunctionArgs) {
  const found = await billTypeOr404(params.billType);
  const env = getEnv();
  const form = await readForm(request);
  const writeOffNumber = text(form.get("writeOffNumber"), 100);
  const captchaAnswer = text(form.get("captchaAnswer"), 20);
  const captchaToken = text(form.get("captchaToken"), 200);
  const session = await getVisitorSession(request);
  const sessionId = visitorId(session);
  const headers = { "Set-Cookie": await commitVisitorSession(session), "Cache-Control": "no-store" };
  const freshToken = () => issueCaptcha(env.CAPTCHA_SECRET, sessionId).token;
  const reply = (data: LookupActionData, status = 400, extra: Record<string, string> = {}) =>
    json(data, { status, headers: { ...headers, ...extra } });

  if (form.get("intent") === "refresh") {
    return reply({ values: { writeOffNumber, captchaAnswer: "" }, errors: {}, captchaToken: freshToken(), refreshed: true }, 200);
  }

  const outcome = await lookUpBill(
    getDb(),
    { env, clientAddress: context.clientAddress, sessionId, logger: context.logger },
    { billType: found.billType, writeOffNumber, captchaToken, captchaAnswer },
  );
  const cleared = { writeOffNumber, captchaAnswer: "" };
  switch (outcome.kind) {
    case "found":
      grantBill(session, outcome.bill.id, "lookup");
      return redirect(purposeOf(request) === "records" ? `/records/bills/${outcome.bill.id}` : "/bills", {
        status: 303,
        headers: { "Set-Cookie": await commitVisitorSession(session) },
      });
    case "invalid_number": {
      // The captcha was not used: keep it, and the answer typed, while it is still valid.
      const shown = captchaToShowAgain(env.CAPTCHA_SECRET, captchaToken, sessionId);
      return reply({
        values: shown.kept ? { writeOffNumber, captchaAnswer } : cleared,
        errors: { writeOffNumber: outcome.problem },
        captchaToken: shown.token,
      });
    }
    case "captcha":
      return reply({ values: cleared, errors: { captchaAnswer: { code: outcome.check } }, captchaToken: freshToken() });
    case "not_found":
      return reply({ values: cleared, errors: { writeOffNumber: { code: "not_found" } }, captchaToken: freshToken() });
    case "rate_limited": {
      const refused = tooManyAttempts(outcome.retryAfterSeconds);
      return reply({ values: cleared, errors: { form: refused.error }, captchaToken: freshToken() }, refused.status, refused.headers);
    }
  }
}

function numberMessage(t: TFunction, error: NumberError, billType: string): string {
  switch (error.code) {
    case "empty":
      return t("lookup.errors.numberEmpty");
    case "length":
      return t("lookup.errors.numberLength", { expected: error.expected, actual: error.actual });
    case "characters":
      return error.charset === "digits" ? t("lookup.errors.numberDigitsOnly") : t("lookup.errors.numberCharacters");
    case "prefix":
      return t("lookup.errors.numberPrefix", { prefix: error.prefix });
    case "check_digit":
      return t("lookup.errors.numberCheckDigit");
    case "not_found":
      return t("lookup.errors.notFound", { billType });
  }
}

export default function LookupBill() {
  const { billType, captchaToken, purpose, memberLogin } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { t, i18n } = useTranslation();
  const name = localized(billType, i18n.language);
  const errors = actionData?.errors ?? {};
  const messages = {
    writeOffNumber: errors.writeOffNumber ? numberMessage(t, errors.writeOffNumber, name) : undefined,
    captchaAnswer: errors.captchaAnswer ? t(`lookup.errors.captcha_${errors.captchaAnswer.code}`) : undefined,
    form: errors.form ? t("lookup.errors.rateLimited", { count: errors.form.minutes }) : undefined,
  };
  const summary: FieldError[] = [
    ...(messages.form ? [{ message: messages.form }] : []),
    ...(messages.writeOffNumber ? [{ fieldId: LOOKUP_FIELD_IDS.writeOffNumber, message: messages.writeOffNumber }] : []),
    ...(messages.captchaAnswer ? [{ fieldId: LOOKUP_FIELD_IDS.captchaAnswer, message: messages.captchaAnswer }] : []),
  ];

  return (
    <>
      <ErrorSummary errors={summary} />
      <h1>{purpose === "records" ? t("records.lookupHeading", { billType: name }) : t("lookup.pageHeading", { billType: name })}</h1>
      {purpose === "records" ? <p className="lead">{t("records.lookupIntro")}</p> : null}
      <p>
        {t("lookup.issuedBy", { agency: localized({ nameZh: billType.agencyNameZh, nameEn: billType.agencyNameEn }, i18n.language) })}{" "}
        <Link to={purpose === "records" ? "/records" : "/lookup"}>{t("lookup.otherBillType")}</Link>
      </p>
      {errors.writeOffNumber?.code === "not_found" ? (
        <p className="notice">
          {t("lookup.notFoundAdvice")} <Link to="/lookup">{t("lookup.otherBillType")}</Link>
        </p>
      ) : null}
      <div role="status" className="status-message">
        {actionData?.refreshed ? t("lookup.captcha.refreshed") : null}
      </div>
      <LookupForm
        billType={billType}
        captchaToken={actionData?.captchaToken ?? captchaToken}
        values={actionData?.values}
        errors={{ writeOffNumber: messages.writeOffNumber, captchaAnswer: messages.captchaAnswer }}
        purpose={purpose}
        memberLogin={memberLogin}
      />
    </>
  );
}
