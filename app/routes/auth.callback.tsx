import { json, redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { claimBrowserPayments } from "~/members/browser-claims.server";
import { getMemberSession } from "~/members/member-request.server";
import { LoginFailed, LoginUnavailable, completeLogin } from "~/members/oidc.server";
import { endMemberSession, recordMemberEvent, startMemberSession, upsertMember } from "~/members/sessions.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.login.problemTitle") };
export const headers = routeHeaders;

type Problem = "cancelled" | "failed" | "unavailable";

/**
 * The identity provider sends the member back here with a code. The code,
 * state, PKCE verifier and nonce are checked (openid-client); only then is a
 * new session started, under a new id, replacing any this browser had.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const env = getEnv();
  const db = getDb();
  const params = new URL(request.url).searchParams;
  const problem = (kind: Problem, status: number) => json({ problem: kind }, { status, headers: { "Cache-Control": "no-store" } });

  if (params.get("error") === "access_denied") return problem("cancelled", 200);
  let login;
  try {
    login = await completeLogin(env, request);
  } catch (error) {
    if (error instanceof LoginFailed) {
      context.logger.warn({ reason: error.message.slice(0, 300) }, "login rejected");
      return problem("failed", 400);
    }
    if (error instanceof LoginUnavailable) {
      context.logger.error({ err: error }, "login unavailable at callback");
      return problem("unavailable", 503);
    }
    throw error;
  }
  const previous = await getMemberSession(request);
  if (previous) await endMemberSession(db, env, previous);
  const member = await upsertMember(db, env, login.identity);
  const claimed = await claimBrowserPayments(db, member.id, request, context.requestId);
  const headers = new Headers({ "Cache-Control": "no-store" });
  headers.append("Set-Cookie", login.clearCookie);
  headers.append("Set-Cookie", await startMemberSession(db, env, member.id, login.identity.idToken));
  await recordMemberEvent(db, {
    memberId: member.id,
    action: "member.login",
    requestId: context.requestId,
    details: { verified: member.identityVerified },
  });
  context.logger.info({ memberId: member.id, verified: member.identityVerified, claimed: claimed.length }, "member logged in");
  return redirect(login.identity.returnTo, { headers });
}

export default function LoginCallback() {
  const { problem } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t(`member.login.${problem}Heading`)}</h1>
      <p>{t(`member.login.${problem}Text`)}</p>
      <p>
        <a href="/login" className="button">
          {t("member.login.tryAgain")}
        </a>
      </p>
      <p>
        <Link to="/lookup">{t("member.login.lookUpInstead")}</Link>
      </p>
    </>
  );
}
