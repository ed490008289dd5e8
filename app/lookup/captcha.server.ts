import { createHmac, randomBytes, randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import svgCaptcha from "svg-captcha";
import { encodeWav, joinClips, parseWav, type PcmClip } from "~/domain/wav";
import type { Locale } from "~/i18n";
import { schema, type Database } from "~/base/db.server";
import { commitVisitorSession, visitorId, visitorSessionOf } from "~/base/session.server";
import { safeEqual, shortSignature } from "~/base/signatures.server";

/**
 * The look-up captcha (圖形驗證碼): five digits, shown as a distorted image and
 * spoken in the page's language. A challenge is a signed token bound to the
 * visitor's session, valid for a few minutes and answerable once.
 *
 * The answer is derived from the secret and the challenge id, so the server
 * stores nothing until the challenge is answered; then its id is recorded as
 * used (single use across every instance).
 */

// svg-captcha's main export renders a given text; its typings only describe the helpers.
const renderCaptcha = svgCaptcha as unknown as (text: string, options: svgCaptcha.ConfigObject) => string;

const CAPTCHA_DIGITS = 5;
const CAPTCHA_TTL_SECONDS = 5 * 60;
const VERSION = "c1";

export interface CaptchaChallenge {
  token: string;
  expiresAt: number;
}

export type CaptchaCheck = "ok" | "wrong" | "expired" | "invalid" | "reused";

export function issueCaptcha(secret: string, sessionId: string, now = new Date()): CaptchaChallenge {
  const id = randomBytes(12).toString("base64url");
  const expiresAt = Math.floor(now.getTime() / 1000) + CAPTCHA_TTL_SECONDS;
  return { token: `${VERSION}.${id}.${expiresAt}.${shortSignature(secret, VERSION, id, String(expiresAt), sessionId)}`, expiresAt };
}

/** A captcha for the visitor a Cookie header names, and the session cookie it is bound to (a new visitor's, if none). */
export interface VisitorCaptcha {
  token: string;
  setCookie: string;
}

export async function captchaForVisitor(secret: string, cookieHeader: string | null, now = new Date()): Promise<VisitorCaptcha> {
  const session = await visitorSessionOf(cookieHeader);
  const { token } = issueCaptcha(secret, visitorId(session), now);
  return { token, setCookie: await commitVisitorSession(session) };
}

/** The challenge in a token, if the token is genuine and belongs to this session. */
function readCaptchaToken(secret: string, token: string, sessionId: string): { id: string; expiresAt: number } | null {
  const [version, id, expires, signature] = token.split(".");
  if (version !== VERSION || !id || !expires || !signature || !/^\d{1,12}$/.test(expires)) return null;
  if (!safeEqual(signature, shortSignature(secret, VERSION, id, expires, sessionId))) return null;
  return { id, expiresAt: Number(expires) };
}

/**
 * The challenge to show again after a refusal that did not use it (a typo in
 * the form): the same one, while it has half a minute left to be answered,
 * else a new one. `kept` says whether the answer typed to it still fits.
 */
export function captchaToShowAgain(secret: string, token: string, sessionId: string, now = new Date()): { token: string; kept: boolean } {
  const challenge = readCaptchaToken(secret, token, sessionId);
  if (challenge !== null && challenge.expiresAt * 1000 > now.getTime() + 30_000) return { token, kept: true };
  return { token: issueCaptcha(secret, sessionId, now).token, kept: false };
}

/** The digits of a challenge: whoever knows the secret and the id can tell them. */
export function captchaAnswer(secret: string, challengeId: string): string {
  const digest = createHmac("sha256", secret).update(`captcha-answer|${challengeId}`).digest();
  return Array.from(digest.subarray(0, CAPTCHA_DIGITS), (byte) => String(byte % 10)).join("");
}

/** Checks an answer and uses the challenge up, whether the answer was right or wrong. */
export async function checkCaptcha(
  db: Database,
  secret: string,
  input: { token: string; answer: string; sessionId: string },
  now = new Date(),
): Promise<CaptchaCheck> {
  const challenge = readCaptchaToken(secret, input.token, input.sessionId);
  if (!challenge) return "invalid";
  if (challenge.expiresAt * 1000 <= now.getTime()) return "expired";
  const recorded = await db
    .insert(schema.captchaUses)
    .values({ challengeId: challenge.id, expiresAt: new Date(challenge.expiresAt * 1000) })
    .onConflictDoNothing()
    .returning({ id: schema.captchaUses.challengeId });
  if (recorded.length === 0) return "reused";
  // Full-width digits and spaces are what phones and IMEs often produce.
  const given = input.answer.normalize("NFKC").replace(/\s+/g, "");
  return safeEqual(given, captchaAnswer(secret, challenge.id)) ? "ok" : "wrong";
}

/** The challenge drawn as an SVG image, or null when the token is not this session's. */
export function captchaSvg(secret: string, token: string, sessionId: string): string | null {
  const challenge = readCaptchaToken(secret, token, sessionId);
  if (!challenge) return null;
  return renderCaptcha(captchaAnswer(secret, challenge.id), {
    width: 200,
    height: 70,
    fontSize: 64,
    noise: 3,
    // Dark grey on the image's white background (no `background` option: it turns colour on).
    color: false,
  });
}

// Digit clips spoken by espeak-ng (regenerate with `node cli.js captcha-audio`).
export const CAPTCHA_AUDIO_DIR = path.resolve("app/assets/captcha-audio");
const clips = new Map<Locale, Promise<PcmClip[]>>();

/** The ten spoken digits of a language, loaded once. */
export function captchaDigitClips(locale: Locale): Promise<PcmClip[]> {
  let loaded = clips.get(locale);
  if (!loaded) {
    loaded = Promise.all(
      Array.from({ length: 10 }, async (_, digit) =>
        parseWav(new Uint8Array(await readFile(path.join(CAPTCHA_AUDIO_DIR, locale, `${digit}.wav`)))),
      ),
    );
    clips.set(locale, loaded);
  }
  return loaded;
}

export type AudioVariation = (position: number) => { silenceBeforeMs: number; gain: number };

/** Pauses and loudness vary from digit to digit, so recordings never repeat byte for byte. */
const randomVariation: AudioVariation = (position) => ({
  silenceBeforeMs: position === 0 ? 400 : randomInt(450, 800),
  gain: randomInt(75, 101) / 100,
});

/** The challenge read aloud as a WAV file, or null when the token is not this session's. */
export async function captchaAudio(
  secret: string,
  token: string,
  sessionId: string,
  locale: Locale,
  vary: AudioVariation = randomVariation,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const challenge = readCaptchaToken(secret, token, sessionId);
  if (!challenge) return null;
  const spoken = await captchaDigitClips(locale);
  const digits = [...captchaAnswer(secret, challenge.id)].map(Number);
  return encodeWav(joinClips(digits.map((digit, i) => ({ clip: spoken[digit]!, ...vary(i) }))));
}
