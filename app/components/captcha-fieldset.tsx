import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { TextField } from "./forms";

export const CAPTCHA_ANSWER_FIELD_ID = "captchaAnswer";

interface CaptchaFieldsetProps {
  captchaToken: string;
  /** What the captcha protects, said above it. */
  purpose: string;
  /** For those who can use neither the image nor the audio: the ways to the same thing that ask no captcha. */
  waysWithoutCaptcha: ReactNode;
  value?: string;
  /** An already-translated message shown at the answer. */
  error?: string;
}

/**
 * The image check (captcha) of a public look-up, with its audio alternative.
 * "New image" submits the form it is in (intent "refresh"), so what was typed
 * in the form's other fields comes along and is kept. The form also carries
 * the token, in a hidden field.
 */
export function CaptchaFieldset({ captchaToken, purpose, waysWithoutCaptcha, value, error }: CaptchaFieldsetProps) {
  const { t, i18n } = useTranslation();
  const captchaQuery = new URLSearchParams({ token: captchaToken });
  const audioQuery = new URLSearchParams({ token: captchaToken, lng: i18n.language });
  return (
    <>
      <fieldset className="captcha" aria-describedby="captcha-purpose">
        <legend>{t("lookup.captcha.legend")}</legend>
        <p id="captcha-purpose" className="hint">
          {purpose}
        </p>
        {waysWithoutCaptcha}
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
          id={CAPTCHA_ANSWER_FIELD_ID}
          name="captchaAnswer"
          label={t("lookup.fields.captchaAnswer")}
          defaultValue={value}
          error={error}
          inputMode="numeric"
          autoComplete="off"
          maxLength={10}
          className="input-short"
          required
        />
      </fieldset>
      <input type="hidden" name="captchaToken" value={captchaToken} />
    </>
  );
}

/**
 * The ways without a captcha, as a list: `before` (ways of this look-up
 * only), then logging in (where members can) and the citizen hotline; each
 * link followed by what it gives here.
 */
export function WaysWithoutCaptcha({
  intro,
  before,
  login,
  hotline,
}: {
  intro: string;
  before?: ReactNode;
  /** Null where this portal has no member login. */
  login: { returnTo: string; gives: string } | null;
  hotline: string;
}) {
  const { t } = useTranslation();
  return (
    <div className="captcha-alternatives">
      <p>{intro}</p>
      <ul>
        {before}
        {login ? (
          <li>
            <a href={`/login?${new URLSearchParams({ returnTo: login.returnTo })}`}>{t("lookup.captcha.withoutCaptcha.memberLink")}</a>
            {login.gives}
          </li>
        ) : null}
        <li>
          <a href="tel:1999">{t("lookup.captcha.withoutCaptcha.hotlineLink")}</a>
          {hotline}
        </li>
      </ul>
    </div>
  );
}
