import { json, redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { safeRedirect } from "~/lib/safe-redirect";
import { getMemberSession } from "~/members/member-request.server";
import { LoginUnavailable, beginLogin } from "~/members/oidc.server";
import type { RouteHandle } from "~/route-handle";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";
import { getLocale } from "~/base/i18n.server";

export const handle: RouteHandle = { pageTitle: (t) => t("member.login.title") };
export const headers = routeHeaders;

/**
 * Sends the visitor to the city app's login (the identity provider). Where
 * they go afterwards is a path on this site only; anything else is dropped.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const returnTo = safeRedirect(new URL(request.url).searchParams.get("returnTo"), "/account");
  if (await getMemberSession(request)) return redirect(returnTo, { headers: { "Cache-Control": "no-store" } });
  try {
    const { url, setCookie } = await beginLogin(getEnv(), returnTo, await getLocale(request));
    return redirect(url, { headers: { "Set-Cookie": setCookie, "Cache-Control": "no-store" } });
  } catch (error) {
    if (!(error instanceof LoginUnavailable)) throw error;
    context.logger.error({ err: error }, "login unavailable: identity provider unreachable or not configured");
    return json({ unavailable: true }, { status: 503, headers: { "Cache-Control": "no-store", "Retry-After": "60" } });
  }
}

export default function Login() {
  useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("member.login.unavailableHeading")}</h1>
      <p>{t("member.login.unavailableText")}</p>
      <ul>
        <li>
          <Link to="/lookup">{t("member.login.lookUpInstead")}</Link>
        </li>
        <li>
          <Link to="/scan">{t("member.login.scanInstead")}</Link>
        </li>
      </ul>
    </>
  );
}
