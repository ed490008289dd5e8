import { count, eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { currentStaffSession, startStaffSession } from "~/back-office/staff-sessions.server";
import { schema, type Database } from "~/base/db.server";
import { sweepRetention } from "~/base/retention.server";
import { seedDemoApiKeys, seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { currentMember, startMemberSession, upsertMember } from "~/members/sessions.server";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";

/**
 * The hourly retention sweep: what stopped counting goes once its grace period
 * is over, what is within it stays, and a session still valid is never touched.
 */

const env = demoEnv({ PUBLIC_URL: "http://localhost:3000" });
const NOW = new Date("2026-12-02T08:00:00Z");
const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

const requestWith = (setCookie: string, path = "/") =>
  new Request(`http://localhost:3000${path}`, { headers: { cookie: setCookie.split(";")[0]! } });

async function sessionRow(
  db: Database,
  id: string,
  memberId: string,
  ended: { revokedAt?: Date; idleExpiresAt: Date; absoluteExpiresAt: Date },
) {
  await db.insert(schema.memberSessions).values({
    tokenHash: id,
    memberId,
    createdAt: at(-60 * DAY),
    lastSeenAt: at(-60 * DAY),
    idleExpiresAt: ended.idleExpiresAt,
    absoluteExpiresAt: ended.absoluteExpiresAt,
    revokedAt: ended.revokedAt ?? null,
  });
}

describeEachDatabase(
  "retention sweep",
  (database) => {
    const db = () => database().db;
    let memberId: string;
    let staffId: string;
    let keyId: string;

    beforeAll(async () => {
      const member = await upsertMember(db(), env, {
        issuer: "http://localhost:3003",
        subject: "retention-resident",
        name: "陳小華",
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/",
      });
      memberId = member.id;
      const [someStaff] = await db()
        .select({ id: schema.staff.id })
        .from(schema.staff)
        .where(eq(schema.staff.subject, "st-police-handler"));
      staffId = someStaff!.id;
      const [key] = await db().select({ id: schema.agencyApiKeys.id }).from(schema.agencyApiKeys).limit(1);
      keyId = key!.id;
    });

    it("deletes expired captcha uses, rate-limit windows and nonces in batches, and keeps those still counting", async () => {
      const expired = Array.from({ length: 7 }, (_, i) => ({ challengeId: `old-${i}`, expiresAt: at(-(i + 1) * MINUTE) }));
      await db()
        .insert(schema.captchaUses)
        .values([...expired, { challengeId: "fresh", expiresAt: at(MINUTE) }]);
      await db()
        .insert(schema.rateLimitCounters)
        .values([
          { bucket: "lookup:a", windowStart: at(-20 * MINUTE), hits: 3, expiresAt: at(-MINUTE) },
          { bucket: "lookup:a", windowStart: at(-10 * MINUTE), hits: 2, expiresAt: at(10 * MINUTE) },
        ]);
      await db()
        .insert(schema.agencyApiNonces)
        .values([
          { keyId, nonce: "n-old", expiresAt: at(-MINUTE) },
          { keyId, nonce: "n-new", expiresAt: at(MINUTE) },
        ]);

      // A batch of 3 needs three statements for 7 rows: the sweep goes on until a batch comes back short.
      const deleted = await sweepRetention(db(), NOW, 3);

      expect(deleted).toMatchObject({ captchaUses: 7, rateLimitCounters: 1, agencyApiNonces: 1 });
      const captcha = await db().select({ id: schema.captchaUses.challengeId }).from(schema.captchaUses);
      expect(captcha.map((row) => row.id)).toEqual(["fresh"]);
      const windows = await db().select({ start: schema.rateLimitCounters.windowStart }).from(schema.rateLimitCounters);
      expect(windows.map((row) => row.start)).toEqual([at(-10 * MINUTE)]);
      const nonces = await db().select({ nonce: schema.agencyApiNonces.nonce }).from(schema.agencyApiNonces);
      expect(nonces.map((row) => row.nonce)).toEqual(["n-new"]);
    });

    it("deletes a member's session 30 days after it ended (logged out, idle or at its limit), keeps it before, and never touches a valid one", async () => {
      const live = await startMemberSession(db(), env, memberId, null, at(-MINUTE));
      await sessionRow(db(), "logged-out-31d", memberId, {
        revokedAt: at(-31 * DAY),
        idleExpiresAt: at(-31 * DAY + MINUTE),
        absoluteExpiresAt: at(-30 * DAY),
      });
      await sessionRow(db(), "idle-31d", memberId, { idleExpiresAt: at(-31 * DAY), absoluteExpiresAt: at(-30 * DAY) });
      await sessionRow(db(), "limit-31d", memberId, { idleExpiresAt: at(-31 * DAY), absoluteExpiresAt: at(-31 * DAY) });
      await sessionRow(db(), "logged-out-29d", memberId, {
        revokedAt: at(-29 * DAY),
        idleExpiresAt: at(-29 * DAY + MINUTE),
        absoluteExpiresAt: at(-28 * DAY),
      });
      await sessionRow(db(), "idle-29d", memberId, { idleExpiresAt: at(-29 * DAY), absoluteExpiresAt: at(-28 * DAY) });

      const deleted = await sweepRetention(db(), NOW);

      expect(deleted.memberSessions).toBe(3);
      const left = await db()
        .select({ id: schema.memberSessions.tokenHash })
        .from(schema.memberSessions)
        .where(eq(schema.memberSessions.memberId, memberId));
      expect(left.map((row) => row.id)).toEqual(expect.arrayContaining(["idle-29d", "logged-out-29d"]));
      expect(left).toHaveLength(3);
      const session = await currentMember(db(), env, requestWith(live), NOW);
      expect(session?.member.id).toBe(memberId);
    });

    it("keeps ended staff sessions 90 days, passkey challenges a day past expiry, and a signed-in staff member stays signed in", async () => {
      const live = await startStaffSession(db(), env, staffId, { idToken: null, clientAddress: "127.0.0.1" }, at(-MINUTE));
      const staffSession = (tokenHash: string, endedAt: Date) => ({
        tokenHash,
        staffId,
        createdAt: at(-120 * DAY),
        lastSeenAt: endedAt,
        idleExpiresAt: endedAt,
        absoluteExpiresAt: new Date(endedAt.getTime() + 3_600_000),
      });
      await db()
        .insert(schema.staffSessions)
        .values([staffSession("staff-91d", at(-91 * DAY)), staffSession("staff-89d", at(-89 * DAY))]);
      await db()
        .insert(schema.staffChallenges)
        .values([
          { staffId, purpose: "register", challenge: "challenge-2d", expiresAt: at(-2 * DAY) },
          { staffId, purpose: "step_up", challenge: "challenge-1h", expiresAt: at(-60 * MINUTE), usedAt: at(-61 * MINUTE) },
        ]);

      const deleted = await sweepRetention(db(), NOW);

      expect(deleted).toMatchObject({ staffSessions: 1, staffChallenges: 1 });
      const sessions = await db().select({ id: schema.staffSessions.tokenHash }).from(schema.staffSessions);
      expect(sessions.map((row) => row.id)).toContain("staff-89d");
      expect(sessions.map((row) => row.id)).not.toContain("staff-91d");
      const challenges = await db().select({ challenge: schema.staffChallenges.challenge }).from(schema.staffChallenges);
      expect(challenges.map((row) => row.challenge)).toEqual(["challenge-1h"]);
      const session = await currentStaffSession(db(), env, requestWith(live, "/back-office"), NOW);
      expect(session?.staff.id).toBe(staffId);
    });

    it("deletes each row once when two instances sweep at the same time", async () => {
      await db()
        .insert(schema.captchaUses)
        .values(Array.from({ length: 20 }, (_, i) => ({ challengeId: `both-${i}`, expiresAt: at(-(i + 1) * MINUTE) })));
      const [first, second] = await Promise.all([sweepRetention(db(), NOW, 4), sweepRetention(db(), NOW, 4)]);
      expect(first!.captchaUses + second!.captchaUses).toBe(20);
      const left = await db().select({ id: schema.captchaUses.challengeId }).from(schema.captchaUses);
      expect(left.map((row) => row.id)).toEqual(["fresh"]);
    });

    it("finds nothing to delete when run again, as a second instance sweeping at the same time would", async () => {
      const again = await sweepRetention(db(), NOW);
      expect(Object.values(again).every((n) => n === 0)).toBe(true);
      const [{ n }] = (await db().select({ n: count() }).from(schema.captchaUses)) as [{ n: number }];
      expect(n).toBe(1);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 1, residents: 1 });
    await seedDemoStaff(handle.db);
    await seedDemoApiKeys(handle.db, env);
  },
);
