import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { staffRelyingParty } from "~/back-office/staff-oidc.server";
import { getStaffSession } from "~/back-office/staff-request.server";
import { LoginUnavailable } from "~/base/oidc-login.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { getLocale } from "~/base/i18n.server";
import { safeRedirect } from "~/lib/safe-redirect";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("signIn.title") };
export const headers = routeHeaders;

const returnToOf = (request: Request) => safeRedirect(new URL(request.url).searchParams.get("returnTo"), "/back-office");

export async function loader({ request }: LoaderFunctionArgs) {
  const returnTo = returnToOf(request);
  if (await getStaffSession(request)) return redirect(returnTo, { headers: { "Cache-Control": "no-store" } });
  return json({ returnTo }, { headers: { "Cache-Control": "no-store" } });
}

/** A POST starts the sign-in at the staff identity provider (the state cookie is set on this answer). */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const returnTo = safeRedirect(form.get("returnTo"), "/back-office");
  try {
    const { url, setCookie } = await staffRelyingParty(getEnv()).beginLogin(returnTo, await getLocale(request));
    return redirect(url, { status: 303, headers: { "Set-Cookie": setCookie, "Cache-Control": "no-store" } });
  } catch (error) {
    if (!(error instanceof LoginUnavailable)) throw error;
    context.logger.error({ err: error }, "staff sign-in unavailable");
    return json({ unavailable: true }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}

export default function BackOfficeLogin() {
  const { returnTo } = useLoaderData<typeof loader>();
  const unavailable = useActionData<typeof action>()?.unavailable === true;
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("signIn.title")}</h1>
      {unavailable ? (
        <div className="error-summary" role="alert">
          <h2>{t("signIn.unavailableHeading")}</h2>
          <p>{t("signIn.unavailableText")}</p>
        </div>
      ) : null}
      <p>{t("signIn.intro")}</p>
      <Form method="post" reloadDocument>
        <input type="hidden" name="returnTo" value={returnTo} />
        <button type="submit" className="button">
          {t("signIn.submit")}
        </button>
      </Form>
    </>
  );
}
