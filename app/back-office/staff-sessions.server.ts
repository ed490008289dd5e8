import { createCookie } from "@remix-run/node";
import { and, eq, gt, inArray, isNull } from "drizzle-orm";
import { effectiveRoles, type EffectiveRole, type ProxyPeriod, type RoleAssignment } from "~/domain/staff";
import { schema, type Database } from "~/base/db.server";
import { hashSessionToken, newSessionToken, nextIdleDeadline, sessionTokenOf } from "~/base/session-tokens.server";
import type { Env } from "~/base/env.server";

/**
 * Staff and their sessions: rows on the server, reached through a signed,
 * httpOnly cookie of their own (`back_office`, path /back-office), so a staff
 * session and a member session never share anything. Staff sessions end
 * sooner: STAFF_IDLE_MINUTES without activity, STAFF_SESSION_HOURS in any case.
 */

export type StaffMember = typeof schema.staff.$inferSelect;

type SessionEnv = Pick<Env, "SESSION_SECRET" | "backOfficeIsHttps" | "STAFF_IDLE_MINUTES" | "STAFF_SESSION_HOURS">;

function staffCookie(env: SessionEnv) {
  return createCookie("back_office", {
    path: "/back-office",
    httpOnly: true,
    // Lax, not strict: the way back from the identity provider is a cross-site redirect chain.
    // Cross-site writes are refused anyway (same-origin.server.ts).
    sameSite: "lax",
    secure: env.backOfficeIsHttps,
    maxAge: env.STAFF_SESSION_HOURS * 3600,
    secrets: [env.SESSION_SECRET],
  });
}

/** The staff member the identity provider named, if the city administrator registered them and they are active. */
export async function findStaffBySubject(db: Database, subject: string): Promise<StaffMember | null> {
  const [row] = await db.select().from(schema.staff).where(eq(schema.staff.subject, subject));
  return row?.active ? row : null;
}

export async function startStaffSession(
  db: Database,
  env: SessionEnv,
  staffId: string,
  details: { idToken: string | null; clientAddress: string },
  now = new Date(),
): Promise<string> {
  const { token, tokenHash } = newSessionToken();
  await db.insert(schema.staffSessions).values({
    tokenHash,
    staffId,
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: new Date(now.getTime() + env.STAFF_IDLE_MINUTES * 60_000),
    absoluteExpiresAt: new Date(now.getTime() + env.STAFF_SESSION_HOURS * 3600_000),
    idToken: details.idToken,
    clientAddress: details.clientAddress,
  });
  await db.update(schema.staff).set({ lastSignInAt: now }).where(eq(schema.staff.id, staffId));
  return staffCookie(env).serialize(token);
}

export interface StaffSession {
  staff: StaffMember;
  tokenHash: string;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  idToken: string | null;
}

/** The staff member behind the request's cookie, when the session is alive and they are still active. */
export async function currentStaffSession(db: Database, env: SessionEnv, request: Request, now = new Date()): Promise<StaffSession | null> {
  const token = sessionTokenOf(await staffCookie(env).parse(request.headers.get("Cookie")));
  if (!token) return null;
  const tokenHash = hashSessionToken(token);
  const [row] = await db
    .select({ session: schema.staffSessions, staff: schema.staff })
    .from(schema.staffSessions)
    .innerJoin(schema.staff, eq(schema.staffSessions.staffId, schema.staff.id))
    .where(
      and(
        eq(schema.staffSessions.tokenHash, tokenHash),
        isNull(schema.staffSessions.revokedAt),
        gt(schema.staffSessions.idleExpiresAt, now),
        gt(schema.staffSessions.absoluteExpiresAt, now),
        eq(schema.staff.active, true),
      ),
    );
  if (!row) return null;
  let idleExpiresAt = row.session.idleExpiresAt;
  if (now.getTime() - row.session.lastSeenAt.getTime() > 60_000) {
    idleExpiresAt = nextIdleDeadline(env.STAFF_IDLE_MINUTES, row.session.absoluteExpiresAt, now);
    await db.update(schema.staffSessions).set({ lastSeenAt: now, idleExpiresAt }).where(eq(schema.staffSessions.tokenHash, tokenHash));
  }
  return { staff: row.staff, tokenHash, idleExpiresAt, absoluteExpiresAt: row.session.absoluteExpiresAt, idToken: row.session.idToken };
}

export async function keepStaffSessionAlive(db: Database, env: SessionEnv, session: StaffSession, now = new Date()): Promise<Date> {
  const idleExpiresAt = nextIdleDeadline(env.STAFF_IDLE_MINUTES, session.absoluteExpiresAt, now);
  await db
    .update(schema.staffSessions)
    .set({ lastSeenAt: now, idleExpiresAt })
    .where(eq(schema.staffSessions.tokenHash, session.tokenHash));
  return idleExpiresAt;
}

export async function endStaffSession(db: Database, env: SessionEnv, session: StaffSession | null, now = new Date()): Promise<string> {
  if (session) await db.update(schema.staffSessions).set({ revokedAt: now }).where(eq(schema.staffSessions.tokenHash, session.tokenHash));
  return staffCookie(env).serialize("", { maxAge: 0 });
}

/** Live role grants and proxy periods that concern `staffId` (as holder, principal or proxy). */
export async function loadRoles(db: Database, staffId: string, now = new Date()): Promise<EffectiveRole[]> {
  const proxies: ProxyPeriod[] = await db
    .select({
      principalId: schema.staffProxies.principalId,
      proxyId: schema.staffProxies.proxyId,
      role: schema.staffProxies.role,
      agencyCode: schema.staffProxies.agencyCode,
      startsAt: schema.staffProxies.startsAt,
      endsAt: schema.staffProxies.endsAt,
      revokedAt: schema.staffProxies.revokedAt,
    })
    .from(schema.staffProxies)
    .where(and(eq(schema.staffProxies.proxyId, staffId), isNull(schema.staffProxies.revokedAt), gt(schema.staffProxies.endsAt, now)));
  const holders = [...new Set([staffId, ...proxies.map((p) => p.principalId)])];
  const assignments: RoleAssignment[] = await db
    .select({ staffId: schema.staffRoles.staffId, role: schema.staffRoles.role, agencyCode: schema.staffRoles.agencyCode })
    .from(schema.staffRoles)
    .innerJoin(schema.staff, eq(schema.staffRoles.staffId, schema.staff.id))
    .where(and(inArray(schema.staffRoles.staffId, holders), isNull(schema.staffRoles.revokedAt), eq(schema.staff.active, true)));
  return effectiveRoles(staffId, assignments, proxies, now);
}

export async function hasPasskey(db: Database, staffId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: schema.staffPasskeys.id })
    .from(schema.staffPasskeys)
    .where(eq(schema.staffPasskeys.staffId, staffId))
    .limit(1);
  return row !== undefined;
}
