import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { staffRelyingParty } from "~/back-office/staff-oidc.server";
import { auditStaffAct, getStaffSession } from "~/back-office/staff-request.server";
import { endStaffSession } from "~/back-office/staff-sessions.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("signOutPage.title") };
export const headers = routeHeaders;

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await getStaffSession(request);
  if (!session) return redirect("/back-office/signed-out", { headers: { "Cache-Control": "no-store" } });
  return json({ name: session.staff.displayName }, { headers: { "Cache-Control": "no-store" } });
}

/** Ends the staff session for good, then at the staff identity provider too. */
export async function action({ request, context }: ActionFunctionArgs) {
  const env = getEnv();
  const session = await getStaffSession(request);
  const headers = new Headers({ "Cache-Control": "no-store" });
  headers.append("Set-Cookie", await endStaffSession(getDb(), env, session));
  if (!session) return redirect("/back-office/signed-out", { status: 303, headers });
  await auditStaffAct(
    { staffId: session.staff.id, requestId: context.requestId },
    { action: "staff.sign_out", targetType: "staff", targetId: session.staff.id },
  );
  const providerUrl = await staffRelyingParty(env).providerLogoutUrl(session.idToken);
  return redirect(providerUrl ?? "/back-office/signed-out", { status: 303, headers });
}

export default function StaffLogout() {
  const { name } = useLoaderData<typeof loader>();
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("signOutPage.title")}</h1>
      <p>{t("signOutPage.question", { name })}</p>
      <Form method="post" reloadDocument>
        <button type="submit" className="button">
          {t("signOutPage.submit")}
        </button>
      </Form>
    </>
  );
}
