import { Form, Link, useNavigation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { localized } from "~/i18n";
import { CAPTCHA_ANSWER_FIELD_ID, CaptchaFieldset, WaysWithoutCaptcha } from "./captcha-fieldset";
import { IdentifierField } from "./forms";

interface LookupFormBillType {
  code: string;
  nameZh: string;
  nameEn: string;
  writeOffHintZh: string;
  writeOffHintEn: string;
}

export interface LookupFormProps {
  billType: LookupFormBillType;
  captchaToken: string;
  values?: { writeOffNumber?: string; captchaAnswer?: string };
  /** Already-translated messages shown at the fields. */
  errors?: { writeOffNumber?: string; captchaAnswer?: string };
  /** What the bill is looked up for: paying it (the default) or its payment records. */
  purpose?: LookupPurpose;
  /** Whether members can log in here (one of the ways without a captcha). */
  memberLogin: boolean;
}

export type LookupPurpose = "pay" | "records";

export const LOOKUP_FIELD_IDS = { writeOffNumber: "writeOffNumber", captchaAnswer: CAPTCHA_ANSWER_FIELD_ID } as const;

/**
 * Write-off number and captcha. A plain form post: works without JavaScript.
 * "New image" is a submit button of the same form, so the number typed so far
 * comes along and is kept.
 */
export function LookupForm({ billType, captchaToken, values, errors, purpose = "pay", memberLogin }: LookupFormProps) {
  const { t, i18n } = useTranslation();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const locale = i18n.language;
  const hint = locale === "en" ? billType.writeOffHintEn : billType.writeOffHintZh;

  return (
    <Form
      method="post"
      action={`/lookup/${billType.code}${purpose === "records" ? "?for=records" : ""}`}
      noValidate
      className="lookup-form"
    >
      {/* The first submit button is the one Enter presses: make it "Look up", not "New image". */}
      <button type="submit" name="intent" value="lookup" hidden tabIndex={-1} aria-hidden="true" />
      <IdentifierField
        id={LOOKUP_FIELD_IDS.writeOffNumber}
        name="writeOffNumber"
        label={t("lookup.fields.writeOffNumber")}
        hint={`${hint} ${t("lookup.fields.writeOffNumberTolerance")}`}
        defaultValue={values?.writeOffNumber}
        error={errors?.writeOffNumber}
        required
      />
      <CaptchaFieldset
        captchaToken={captchaToken}
        purpose={t("lookup.captcha.purpose")}
        waysWithoutCaptcha={<BillWaysWithoutCaptcha memberLogin={memberLogin} />}
        value={values?.captchaAnswer}
        error={errors?.captchaAnswer}
      />
      <button type="submit" name="intent" value="lookup" className="button" disabled={busy}>
        {t("lookup.submit", { billType: localized(billType, locale) })}
      </button>
    </Form>
  );
}

/** For those who can use neither the image nor the audio: every way to a bill that asks no captcha. */
function BillWaysWithoutCaptcha({ memberLogin }: { memberLogin: boolean }) {
  const { t } = useTranslation();
  return (
    <WaysWithoutCaptcha
      intro={t("lookup.captcha.withoutCaptcha.intro")}
      before={
        <li>
          <Link to="/scan">{t("lookup.captcha.withoutCaptcha.scanLink")}</Link>
          {t("lookup.captcha.withoutCaptcha.scan")}
        </li>
      }
      login={memberLogin ? { returnTo: "/account", gives: t("lookup.captcha.withoutCaptcha.member") } : null}
      hotline={t("lookup.captcha.withoutCaptcha.hotline")}
    />
  );
}
