import { createCookie } from "@remix-run/node";
import { and, eq, gt, isNull } from "drizzle-orm";
import { schema, type Database } from "~/base/db.server";
import { hashSessionToken, newSessionToken, nextIdleDeadline, sessionTokenOf } from "~/base/session-tokens.server";
import type { Env } from "~/base/env.server";
import { hashNationalId } from "~/base/pii.server";
import { applicantDigest } from "~/cases/ecounter.server";
import type { LoggedInIdentity } from "./oidc.server";

/**
 * Members and their sessions. A session is a row on the server (so logging out
 * ends it everywhere it is used) reached through a signed, httpOnly cookie
 * holding a random token; a new token at every login. Sessions end after
 * MEMBER_IDLE_MINUTES without activity, and after MEMBER_SESSION_HOURS in any
 * case.
 */

export type Member = typeof schema.members.$inferSelect;

type SessionEnv = Pick<
  Env,
  "SESSION_SECRET" | "publicUrlIsHttps" | "MEMBER_IDLE_MINUTES" | "MEMBER_SESSION_HOURS" | "PII_HMAC_KEY" | "ecounter"
>;

function memberCookie(env: SessionEnv) {
  return createCookie("portal_member", {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: env.publicUrlIsHttps,
    maxAge: env.MEMBER_SESSION_HOURS * 3600,
    secrets: [env.SESSION_SECRET],
  });
}

/**
 * Records the member (name and verification follow the provider at each login).
 * A verified member's applicant digest for the e-counter (服務e櫃檯) is made here,
 * from the national ID the identity provider vouched for and nothing typed; a
 * member no longer verified loses it, and with it their cases.
 */
export async function upsertMember(db: Database, env: SessionEnv, identity: LoggedInIdentity, now = new Date()): Promise<Member> {
  const verifiedId = identity.verified ? identity.nationalId : null;
  const values = {
    issuer: identity.issuer,
    subject: identity.subject,
    displayName: identity.name,
    nationalIdHash: identity.nationalId ? hashNationalId(identity.nationalId, env.PII_HMAC_KEY) : null,
    identityVerified: identity.verified,
    caseApplicantDigest: verifiedId && env.ecounter ? applicantDigest(verifiedId, env.ecounter.applicantKey) : null,
    lastLoginAt: now,
  };
  const [member] = await db
    .insert(schema.members)
    .values(values)
    .onConflictDoUpdate({ target: [schema.members.issuer, schema.members.subject], set: values })
    .returning();
  return member!;
}

/** A new session for a member who has just logged in; returns its Set-Cookie header. */
export async function startMemberSession(
  db: Database,
  env: SessionEnv,
  memberId: string,
  idToken: string | null,
  now = new Date(),
): Promise<string> {
  const { token, tokenHash } = newSessionToken();
  await db.insert(schema.memberSessions).values({
    tokenHash,
    memberId,
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: new Date(now.getTime() + env.MEMBER_IDLE_MINUTES * 60_000),
    absoluteExpiresAt: new Date(now.getTime() + env.MEMBER_SESSION_HOURS * 3600_000),
    idToken,
  });
  return memberCookie(env).serialize(token);
}

export interface MemberSession {
  member: Member;
  tokenHash: string;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  idToken: string | null;
}

/** The member behind the request's cookie, when the session is alive. Refreshes its idle timer. */
export async function currentMember(db: Database, env: SessionEnv, request: Request, now = new Date()): Promise<MemberSession | null> {
  const token = sessionTokenOf(await memberCookie(env).parse(request.headers.get("Cookie")));
  if (!token) return null;
  const tokenHash = hashSessionToken(token);
  const [row] = await db
    .select({ session: schema.memberSessions, member: schema.members })
    .from(schema.memberSessions)
    .innerJoin(schema.members, eq(schema.memberSessions.memberId, schema.members.id))
    .where(
      and(
        eq(schema.memberSessions.tokenHash, tokenHash),
        isNull(schema.memberSessions.revokedAt),
        gt(schema.memberSessions.idleExpiresAt, now),
        gt(schema.memberSessions.absoluteExpiresAt, now),
      ),
    );
  if (!row) return null;
  let idleExpiresAt = row.session.idleExpiresAt;
  // Activity moves the idle deadline; written at most once a minute.
  if (now.getTime() - row.session.lastSeenAt.getTime() > 60_000) {
    idleExpiresAt = nextIdleDeadline(env.MEMBER_IDLE_MINUTES, row.session.absoluteExpiresAt, now);
    await db.update(schema.memberSessions).set({ lastSeenAt: now, idleExpiresAt }).where(eq(schema.memberSessions.tokenHash, tokenHash));
  }
  return { member: row.member, tokenHash, idleExpiresAt, absoluteExpiresAt: row.session.absoluteExpiresAt, idToken: row.session.idToken };
}

/** "Stay signed in": the idle timer starts again now. */
export async function keepMemberSessionAlive(db: Database, env: SessionEnv, session: MemberSession, now = new Date()): Promise<Date> {
  const idleExpiresAt = nextIdleDeadline(env.MEMBER_IDLE_MINUTES, session.absoluteExpiresAt, now);
  await db
    .update(schema.memberSessions)
    .set({ lastSeenAt: now, idleExpiresAt })
    .where(eq(schema.memberSessions.tokenHash, session.tokenHash));
  return idleExpiresAt;
}

/** Ends the session for good; returns the Set-Cookie header that removes the cookie. */
export async function endMemberSession(db: Database, env: SessionEnv, session: MemberSession | null, now = new Date()): Promise<string> {
  if (session) await db.update(schema.memberSessions).set({ revokedAt: now }).where(eq(schema.memberSessions.tokenHash, session.tokenHash));
  return memberCookie(env).serialize("", { maxAge: 0 });
}

/** Logins and logouts in the audit log, with the request id to follow them in the logs. */
export async function recordMemberEvent(
  db: Database,
  event: {
    memberId: string;
    action: "member.login" | "member.logout" | "member.session_extended" | "member.payments_claimed";
    requestId: string | null;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  await db.insert(schema.auditLog).values({
    actorType: "member",
    actorId: event.memberId,
    action: event.action,
    targetType: "member",
    targetId: event.memberId,
    requestId: event.requestId,
    details: event.details ?? {},
  });
}
