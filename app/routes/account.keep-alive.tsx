import { json, type ActionFunctionArgs } from "@remix-run/node";
import { getMemberSession } from "~/members/member-request.server";
import { idleSecondsLeft } from "~/base/session-tokens.server";
import { keepMemberSessionAlive, recordMemberEvent } from "~/members/sessions.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";

/** "Stay signed in" from the idle warning: the idle timer starts again. */
export async function action({ request, context }: ActionFunctionArgs) {
  const session = await getMemberSession(request);
  if (!session) return json({ ok: false as const }, { status: 401, headers: { "Cache-Control": "no-store" } });
  const idleExpiresAt = await keepMemberSessionAlive(getDb(), getEnv(), session);
  await recordMemberEvent(getDb(), { memberId: session.member.id, action: "member.session_extended", requestId: context.requestId });
  return json(
    { ok: true as const, idleSeconds: idleSecondsLeft({ ...session, idleExpiresAt }) },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export function loader() {
  throw new Response("Not Found", { status: 404 });
}
