import { redirect } from "@remix-run/node";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { oncePerRequest } from "~/base/request-scope.server";
import { currentMember, type MemberSession } from "./sessions.server";

/** The logged-in member of this request, if any; looked up once however many loaders ask. */
export function getMemberSession(request: Request): Promise<MemberSession | null> {
  return oncePerRequest(`member-session|${request.headers.get("cookie") ?? ""}`, () => currentMember(getDb(), getEnv(), request));
}

/** The logged-in member, or a redirect to log in that comes back to this page. */
export async function requireMember(request: Request): Promise<MemberSession> {
  const session = await getMemberSession(request);
  if (!session) {
    const url = new URL(request.url);
    throw redirect(`/login?returnTo=${encodeURIComponent(`${url.pathname}${url.search}`)}`, { headers: { "Cache-Control": "no-store" } });
  }
  return session;
}
