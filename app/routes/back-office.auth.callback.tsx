import { json, redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { staffRelyingParty } from "~/back-office/staff-oidc.server";
import { getStaffSession } from "~/back-office/staff-request.server";
import { endStaffSession, findStaffBySubject, startStaffSession } from "~/back-office/staff-sessions.server";
import { recordAudit } from "~/base/audit.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { LoginFailed, LoginUnavailable } from "~/base/oidc-login.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("signIn.problemTitle") };
export const headers = routeHeaders;

type Problem = "cancelled" | "failed" | "unavailable" | "notRegistered";

/**
 * The staff identity provider sends the staff member back here. Only staff
 * the city administrator registered (and left active) get a session; every
 * sign-in, and every refused one, is in the audit chain.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const env = getEnv();
  const db = getDb();
  const problem = (kind: Problem, status: number) => json({ problem: kind }, { status, headers: { "Cache-Control": "no-store" } });
  if (new URL(request.url).searchParams.get("error") === "access_denied") return problem("cancelled", 200);
  let completed;
  try {
    completed = await staffRelyingParty(env).completeLogin(request);
  } catch (error) {
    if (error instanceof LoginFailed) {
      context.logger.warn({ reason: error.message.slice(0, 300) }, "staff sign-in rejected");
      return problem("failed", 400);
    }
    if (error instanceof LoginUnavailable) {
      context.logger.error({ err: error }, "staff sign-in unavailable at callback");
      return problem("unavailable", 503);
    }
    throw error;
  }
  const { login, clearCookie } = completed;
  const staff = await findStaffBySubject(db, login.subject);
  if (!staff) {
    await recordAudit(db, {
      actorType: "staff",
      actorId: null,
      action: "staff.sign_in_refused",
      targetType: "staff",
      targetId: login.subject,
      requestId: context.requestId,
      details: { address: context.clientAddress, reason: "not_registered" },
    });
    return json(
      { problem: "notRegistered" as Problem },
      { status: 403, headers: { "Set-Cookie": clearCookie, "Cache-Control": "no-store" } },
    );
  }
  const previous = await getStaffSession(request);
  const headers = new Headers({ "Cache-Control": "no-store" });
  headers.append("Set-Cookie", clearCookie);
  if (previous) headers.append("Set-Cookie", await endStaffSession(db, env, previous));
  headers.append(
    "Set-Cookie",
    await startStaffSession(db, env, staff.id, { idToken: login.idToken, clientAddress: context.clientAddress }),
  );
  await recordAudit(db, {
    actorType: "staff",
    actorId: staff.id,
    action: "staff.sign_in",
    targetType: "staff",
    targetId: staff.id,
    requestId: context.requestId,
    details: { address: context.clientAddress },
  });
  context.logger.info({ staffId: staff.id }, "staff signed in");
  return redirect(login.returnTo, { headers });
}

export default function StaffLoginCallback() {
  const { problem } = useLoaderData<typeof loader>();
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t(`signIn.${problem}Heading`)}</h1>
      <p>{t(`signIn.${problem}Text`)}</p>
      <p>
        <a href="/back-office/login" className="button">
          {t("signIn.tryAgain")}
        </a>
      </p>
    </>
  );
}
