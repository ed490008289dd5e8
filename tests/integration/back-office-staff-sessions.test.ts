import { eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import {
  currentStaffSession,
  endStaffSession,
  findStaffBySubject,
  keepStaffSessionAlive,
  loadRoles,
  startStaffSession,
} from "~/back-office/staff-sessions.server";
import { schema, type Database } from "~/base/db.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { currentMember, startMemberSession, upsertMember } from "~/members/sessions.server";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";

/**
 * Staff sessions live apart from members': their own cookie, path and table,
 * shorter limits, and they end when the staff member is deactivated. A proxy
 * holds the principal's role only during the proxy period.
 */

const env = demoEnv({ PUBLIC_URL: "http://localhost:3000" });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The request a browser sends with the cookie a Set-Cookie header gave it (name=value only). */
const requestWith = (setCookie: string, path = "/back-office") =>
  new Request(`http://localhost:3000${path}`, { headers: { cookie: setCookie.split(";")[0]! } });

/** The same signed value under the other cookie's name. */
const renamed = (setCookie: string, name: string) => `${name}=${setCookie.split(";")[0]!.split("=").slice(1).join("=")}`;

async function staffId(db: Database, subject: string) {
  const [row] = await db.select({ id: schema.staff.id }).from(schema.staff).where(eq(schema.staff.subject, subject));
  return row!.id;
}

describeEachDatabase(
  "staff sessions",
  (database) => {
    const db = () => database().db;
    let handler: string;

    beforeAll(async () => {
      handler = await staffId(db(), "st-police-handler");
    });

    it("sets a cookie of their own: back_office, path /back-office, httpOnly, lax, as long as the session may last", async () => {
      expect(env.STAFF_IDLE_MINUTES).toBe(10);
      expect(env.STAFF_SESSION_HOURS).toBe(8);
      const cookie = await startStaffSession(db(), env, handler, { idToken: null, clientAddress: "127.0.0.1" });
      expect(cookie).toMatch(/^back_office=[^;]+; Max-Age=28800; Path=\/back-office; HttpOnly; SameSite=Lax$/);
      const session = await currentStaffSession(db(), env, requestWith(cookie));
      expect(session?.staff.id).toBe(handler);
    });

    it("is found only through its own cookie: never through a member's, and a member's session never through a staff cookie", async () => {
      const member = await upsertMember(db(), env, {
        issuer: "http://localhost:3003",
        subject: "resident-1",
        name: "王小明",
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/",
      });
      const memberCookie = await startMemberSession(db(), env, member.id, null);
      const staffCookie = await startStaffSession(db(), env, handler, { idToken: null, clientAddress: "127.0.0.1" });
      expect((await currentMember(db(), env, requestWith(memberCookie, "/")))?.member.id).toBe(member.id);

      // Both cookies are signed with the same secret: the value is accepted under either name, and finds nothing in the other table.
      for (const cookie of [memberCookie.split(";")[0]!, renamed(memberCookie, "back_office")]) {
        expect(await currentStaffSession(db(), env, new Request("http://localhost:3000/back-office", { headers: { cookie } }))).toBeNull();
      }
      for (const cookie of [staffCookie.split(";")[0]!, renamed(staffCookie, "portal_member")]) {
        expect(await currentMember(db(), env, new Request("http://localhost:3000/", { headers: { cookie } }))).toBeNull();
      }
      // A cookie signed with another secret, or not signed at all.
      const other = demoEnv({ PUBLIC_URL: "http://localhost:3000", SESSION_SECRET: "another-session-secret-0123456789abcdef" });
      const foreign = await startStaffSession(db(), other, handler, { idToken: null, clientAddress: "127.0.0.1" });
      expect(await currentStaffSession(db(), env, requestWith(foreign))).toBeNull();
      const token = Buffer.from(JSON.stringify("x".repeat(43))).toString("base64");
      expect(
        await currentStaffSession(
          db(),
          env,
          new Request("http://localhost:3000/back-office", { headers: { cookie: `back_office=${token}` } }),
        ),
      ).toBeNull();
    });

    it(`ends after ${env.STAFF_IDLE_MINUTES} minutes without activity; activity moves the deadline`, async () => {
      const start = new Date("2026-03-02T01:00:00Z");
      const at = (minutes: number) => new Date(start.getTime() + minutes * MINUTE);
      const idle = await startStaffSession(db(), env, handler, { idToken: null, clientAddress: "127.0.0.1" }, start);
      expect(await currentStaffSession(db(), env, requestWith(idle), at(9.9))).not.toBeNull();
      // That request counted as activity: the deadline is now ten minutes after it.
      expect(await currentStaffSession(db(), env, requestWith(idle), at(19.8))).not.toBeNull();
      expect(await currentStaffSession(db(), env, requestWith(idle), at(29.8))).toBeNull();

      const untouched = await startStaffSession(db(), env, handler, { idToken: null, clientAddress: "127.0.0.1" }, start);
      expect(await currentStaffSession(db(), env, requestWith(untouched), at(10))).toBeNull();
    });

    it(`ends ${env.STAFF_SESSION_HOURS} hours after sign-in however active the staff member is`, async () => {
      const start = new Date("2026-03-02T01:00:00Z");
      const cookie = await startStaffSession(db(), env, handler, { idToken: null, clientAddress: "127.0.0.1" }, start);
      let session = await currentStaffSession(db(), env, requestWith(cookie), start);
      for (let minutes = 9; minutes < env.STAFF_SESSION_HOURS * 60; minutes += 9) {
        const now = new Date(start.getTime() + minutes * MINUTE);
        session = await currentStaffSession(db(), env, requestWith(cookie), now);
        expect(session, `after ${minutes} minutes`).not.toBeNull();
        // "Stay signed in" never reaches past the absolute limit.
        expect((await keepStaffSessionAlive(db(), env, session!, now)).getTime()).toBeLessThanOrEqual(start.getTime() + 8 * HOUR);
      }
      expect(session!.absoluteExpiresAt).toEqual(new Date(start.getTime() + 8 * HOUR));
      expect(await currentStaffSession(db(), env, requestWith(cookie), new Date(start.getTime() + 8 * HOUR))).toBeNull();
    });

    it("stops when the staff member is deactivated, and when it is ended", async () => {
      const reviewer = await staffId(db(), "st-water-reviewer");
      const cookie = await startStaffSession(db(), env, reviewer, { idToken: null, clientAddress: "127.0.0.1" });
      const session = await currentStaffSession(db(), env, requestWith(cookie));
      expect(session?.staff.subject).toBe("st-water-reviewer");
      expect(await findStaffBySubject(db(), "st-water-reviewer")).not.toBeNull();

      await db().update(schema.staff).set({ active: false }).where(eq(schema.staff.id, reviewer));
      expect(await currentStaffSession(db(), env, requestWith(cookie))).toBeNull();
      // Nor may they sign in again.
      expect(await findStaffBySubject(db(), "st-water-reviewer")).toBeNull();

      await db().update(schema.staff).set({ active: true }).where(eq(schema.staff.id, reviewer));
      expect(await currentStaffSession(db(), env, requestWith(cookie))).not.toBeNull();
      const cleared = await endStaffSession(db(), env, session);
      expect(cleared).toMatch(/^back_office=; Max-Age=0; Path=\/back-office;/);
      expect(await currentStaffSession(db(), env, requestWith(cookie))).toBeNull();
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 1, residents: 2 });
    await seedDemoStaff(handle.db);
  },
);

describeEachDatabase(
  "roles in effect, with proxies",
  (database) => {
    const db = () => database().db;
    const start = new Date("2026-04-01T00:00:00Z");
    const day = (n: number) => new Date(start.getTime() + n * 24 * HOUR);
    let principal: string;
    let proxy: string;
    let proxyPeriod: string;

    beforeAll(async () => {
      principal = await staffId(db(), "st-police-reviewer");
      proxy = await staffId(db(), "st-police-handler-2");
      const [period] = await db()
        .insert(schema.staffProxies)
        .values({
          principalId: principal,
          proxyId: proxy,
          role: "reviewer",
          agencyCode: "police",
          startsAt: day(1),
          endsAt: day(3),
          createdBy: principal,
        })
        .returning({ id: schema.staffProxies.id });
      proxyPeriod = period!.id;
    });

    const own = { role: "handler", agencyCode: "police", actingFor: null };

    it("gives the proxy the principal's role during the period only (its end excluded)", async () => {
      expect(await loadRoles(db(), proxy, day(0))).toEqual([own]);
      expect(await loadRoles(db(), proxy, day(1))).toEqual([own, { role: "reviewer", agencyCode: "police", actingFor: principal }]);
      expect(await loadRoles(db(), proxy, day(2.9))).toEqual([own, { role: "reviewer", agencyCode: "police", actingFor: principal }]);
      expect(await loadRoles(db(), proxy, day(3))).toEqual([own]);
      // The principal keeps their own role meanwhile, and gains nothing of the proxy's.
      expect(await loadRoles(db(), principal, day(2))).toEqual([{ role: "reviewer", agencyCode: "police", actingFor: null }]);
    });

    it("gives nothing through a proxy for a role the principal does not hold, once revoked, or once the principal lost it", async () => {
      const head = await staffId(db(), "st-police-head");
      await db()
        .insert(schema.staffProxies)
        .values({
          principalId: head,
          proxyId: proxy,
          role: "releaser",
          agencyCode: "police",
          startsAt: day(1),
          endsAt: day(3),
          createdBy: head,
        });
      expect((await loadRoles(db(), proxy, day(2))).map((r) => r.role)).toEqual(["handler", "reviewer"]);

      const [grant] = await db()
        .update(schema.staffRoles)
        .set({ revokedAt: day(0) })
        .where(eq(schema.staffRoles.staffId, principal))
        .returning();
      expect(await loadRoles(db(), proxy, day(2))).toEqual([own]);
      await db().insert(schema.staffRoles).values({ staffId: principal, role: grant!.role, agencyCode: grant!.agencyCode });
      expect(await loadRoles(db(), proxy, day(2))).toHaveLength(2);

      await db().update(schema.staff).set({ active: false }).where(eq(schema.staff.id, principal));
      expect(await loadRoles(db(), proxy, day(2))).toEqual([own]);
      await db().update(schema.staff).set({ active: true }).where(eq(schema.staff.id, principal));

      await db()
        .update(schema.staffProxies)
        .set({ revokedAt: day(1.5) })
        .where(eq(schema.staffProxies.id, proxyPeriod));
      expect(await loadRoles(db(), proxy, day(2))).toEqual([own]);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 1, residents: 2 });
    await seedDemoStaff(handle.db);
  },
);
