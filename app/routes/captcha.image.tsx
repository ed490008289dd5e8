import type { LoaderFunctionArgs } from "@remix-run/node";
import { captchaSvg } from "~/lookup/captcha.server";
import { getEnv } from "~/base/env.server";
import { getVisitorSession } from "~/base/session.server";

/** The captcha image; only the session the challenge was issued to can fetch it. */
export async function loader({ request }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  const sessionId = (await getVisitorSession(request)).get("sid");
  const svg = sessionId ? captchaSvg(getEnv().CAPTCHA_SECRET, token, sessionId) : null;
  if (!svg) return new Response("", { status: 404, headers: { "Cache-Control": "no-store" } });
  return new Response(svg, { headers: { "Content-Type": "image/svg+xml", "Cache-Control": "no-store" } });
}
