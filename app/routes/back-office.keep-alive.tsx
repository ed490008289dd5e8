import { json, type ActionFunctionArgs } from "@remix-run/node";
import { getStaffSession } from "~/back-office/staff-request.server";
import { keepStaffSessionAlive } from "~/back-office/staff-sessions.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { idleSecondsLeft } from "~/base/session-tokens.server";

/** "Stay signed in" from the idle warning. */
export async function action({ request }: ActionFunctionArgs) {
  const session = await getStaffSession(request);
  if (!session) return json({ ok: false as const }, { status: 401, headers: { "Cache-Control": "no-store" } });
  const idleExpiresAt = await keepStaffSessionAlive(getDb(), getEnv(), session);
  return json({ ok: true as const, idleSeconds: idleSecondsLeft({ idleExpiresAt }) }, { headers: { "Cache-Control": "no-store" } });
}

export function loader() {
  throw new Response("Not Found", { status: 404 });
}
