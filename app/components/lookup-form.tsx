import { Form, Link, useNavigation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { localized } from "~/i18n";
import { IdentifierField, TextField } from "./forms";

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

export const LOOKUP_FIELD_IDS = { writeOffNumber: "writeOffNumber", captchaAnswer: "captchaAnswer" } as const;

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
  const captchaQuery = new URLSearchParams({ token: captchaToken });
  const audioQuery = new URLSearchParams({ token: captchaToken, lng: locale });

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
      <fieldset className="captcha" aria-describedby="captcha-purpose">
        <legend>{t("lookup.captcha.legend")}</legend>
        <p id="captcha-purpose" className="hint">
          {t("lookup.captcha.purpose")}
        </p>
        <WaysWithoutCaptcha memberLogin={memberLogin} />
        <div className="captcha-challenge">
          <img
            src={`/captcha/image?${captchaQuery}`}
            alt={t("lookup.captcha.imageAlt")}
            width={200}
            height={70}
            className="captcha-image"
          />
          <button type="submit" name="intent" value="refresh" className="button button-secondary-dark" formNoValidate>
            {t("lookup.captcha.refresh")}
          </button>
        </div>
        <div className="captcha-audio">
          <p id="captcha-audio-label">{t("lookup.captcha.audioLabel")}</p>
          <audio controls preload="none" src={`/captcha/audio?${audioQuery}`} aria-labelledby="captcha-audio-label">
            <a href={`/captcha/audio?${audioQuery}`}>{t("lookup.captcha.audioDownload")}</a>
          </audio>
        </div>
        <TextField
          // A new challenge starts with an empty answer.
          key={captchaToken}
          id={LOOKUP_FIELD_IDS.captchaAnswer}
          name="captchaAnswer"
          label={t("lookup.fields.captchaAnswer")}
          defaultValue={values?.captchaAnswer}
          error={errors?.captchaAnswer}
          inputMode="numeric"
          autoComplete="off"
          maxLength={10}
          className="input-short"
          required
        />
      </fieldset>
      <input type="hidden" name="captchaToken" value={captchaToken} />
      <button type="submit" name="intent" value="lookup" className="button" disabled={busy}>
        {t("lookup.submit", { billType: localized(billType, locale) })}
      </button>
    </Form>
  );
}

/** For those who can use neither the image nor the audio: every way to a bill that asks no captcha. */
function WaysWithoutCaptcha({ memberLogin }: { memberLogin: boolean }) {
  const { t } = useTranslation();
  return (
    <div className="captcha-alternatives">
      <p>{t("lookup.captcha.withoutCaptcha.intro")}</p>
      <ul>
        <li>
          <Link to="/scan">{t("lookup.captcha.withoutCaptcha.scanLink")}</Link>
          {t("lookup.captcha.withoutCaptcha.scan")}
        </li>
        {memberLogin ? (
          <li>
            <a href="/login?returnTo=%2Faccount">{t("lookup.captcha.withoutCaptcha.memberLink")}</a>
            {t("lookup.captcha.withoutCaptcha.member")}
          </li>
        ) : null}
        <li>
          <a href="tel:1999">{t("lookup.captcha.withoutCaptcha.hotlineLink")}</a>
          {t("lookup.captcha.withoutCaptcha.hotline")}
        </li>
      </ul>
    </div>
  );
}
