import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { getMemberSession } from "~/members/member-request.server";
import { providerLogoutUrl } from "~/members/oidc.server";
import { endMemberSession, recordMemberEvent } from "~/members/sessions.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.logout.title") };
export const headers = routeHeaders;

/** Logging out changes state, so it is a POST; the GET page only offers the button. */
export async function loader({ request }: LoaderFunctionArgs) {
  const session = await getMemberSession(request);
  if (!session) return redirect("/logged-out", { headers: { "Cache-Control": "no-store" } });
  return json({ name: session.member.displayName }, { headers: { "Cache-Control": "no-store" } });
}

/**
 * Ends the portal session for good (the row is revoked, the cookie removed),
 * then asks the city app to end its session too (RP-initiated logout), which
 * returns the member to /logged-out.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const env = getEnv();
  const db = getDb();
  const session = await getMemberSession(request);
  const headers = new Headers({ "Cache-Control": "no-store" });
  headers.append("Set-Cookie", await endMemberSession(db, env, session));
  if (!session) return redirect("/logged-out", { status: 303, headers });
  await recordMemberEvent(db, { memberId: session.member.id, action: "member.logout", requestId: context.requestId });
  const providerUrl = await providerLogoutUrl(env, session.idToken);
  return redirect(providerUrl ?? "/logged-out", { status: 303, headers });
}

export default function Logout() {
  const { name } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("member.logout.title")}</h1>
      <p>{t("member.logout.question", { name })}</p>
      <Form method="post" reloadDocument>
        <button type="submit" className="button">
          {t("member.logout.submit")}
        </button>
      </Form>
    </>
  );
}
