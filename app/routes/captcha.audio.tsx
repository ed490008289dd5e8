import type { LoaderFunctionArgs } from "@remix-run/node";
import { DEFAULT_LOCALE, isLocale } from "~/i18n";
import { captchaAudio } from "~/lookup/captcha.server";
import { getEnv } from "~/base/env.server";
import { getVisitorSession } from "~/base/session.server";

/** The captcha read aloud (WAV) in the page's language; only for the session it was issued to. */
export async function loader({ request }: LoaderFunctionArgs) {
  const query = new URL(request.url).searchParams;
  const lng = query.get("lng");
  const sessionId = (await getVisitorSession(request)).get("sid");
  const audio = sessionId
    ? await captchaAudio(getEnv().CAPTCHA_SECRET, query.get("token") ?? "", sessionId, isLocale(lng) ? lng : DEFAULT_LOCALE)
    : null;
  if (!audio) return new Response("", { status: 404, headers: { "Cache-Control": "no-store" } });
  return new Response(audio, {
    headers: {
      "Content-Type": "audio/wav",
      "Content-Disposition": 'inline; filename="captcha.wav"',
      "Cache-Control": "no-store",
    },
  });
}
