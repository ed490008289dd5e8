import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import { and, eq, isNull } from "drizzle-orm";
import { expect, it } from "vitest";
import { auditCsvStream, parseAuditSearch } from "~/back-office/audit-view.server";
import { parseProxyForm, proxiesOf, revokeProxy, setProxy } from "~/back-office/proxies.server";
import { createStaff, grantRole, parseRoleGrant, revokeRole, setStaffActive } from "~/back-office/staff-admin.server";
import { loadRoles } from "~/back-office/staff-sessions.server";
import { recordAudit, searchAudit, verifyAuditChain } from "~/base/audit.server";
import { schema, type Database } from "~/base/db.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { describeEachDatabase } from "../support/databases";

/**
 * Staff administration and proxies as the city and the agencies depend on
 * them: what a proxy period gives and when it stops, who may be a proxy, and
 * every change on the audit trail with who made it and what it changed.
 */

const HOUR = 3600_000;

async function staffId(db: Database, subject: string): Promise<string> {
  const [row] = await db.select({ id: schema.staff.id }).from(schema.staff).where(eq(schema.staff.subject, subject));
  return row!.id;
}

async function lastEntry(db: Database, action: string) {
  const [entry] = await searchAudit(db, { action }, { limit: 1 });
  return entry!;
}

const actingFor = (roles: Awaited<ReturnType<typeof loadRoles>>, principal: string) => roles.filter((r) => r.actingFor === principal);

describeEachDatabase(
  "back-office administration and proxies",
  (database) => {
    const db = () => database().db;
    const admin = async () => ({ staffId: await staffId(db(), "st-city-admin"), requestId: "req-admin" });

    it("gives a proxy the principal's role only while the period runs", async () => {
      const reviewer = await staffId(db(), "st-police-reviewer");
      const handler2 = await staffId(db(), "st-police-handler-2");
      const now = new Date();
      const stored = await setProxy(
        db(),
        { staffId: reviewer, requestId: "req-1" },
        reviewer,
        { proxyId: handler2, role: "reviewer", agencyCode: "police", startsAt: now, endsAt: new Date(now.getTime() + 2 * HOUR) },
        now,
      );
      expect(stored.ok).toBe(true);
      expect(actingFor(await loadRoles(db(), handler2, new Date(now.getTime() + HOUR)), reviewer)).toEqual([
        { role: "reviewer", agencyCode: "police", actingFor: reviewer },
      ]);
      // After the end the period no longer acts, and is shown as ended.
      const later = new Date(now.getTime() + 2 * HOUR + 1000);
      expect(actingFor(await loadRoles(db(), handler2, later), reviewer)).toEqual([]);
      const { received } = await proxiesOf(db(), handler2, later);
      expect(received.find((p) => p.principalId === reviewer)?.state).toBe("ended");

      const entry = await lastEntry(db(), "staff.proxy_set");
      expect(entry).toMatchObject({ actorType: "staff", actorId: reviewer, targetType: "staff_proxy" });
      expect(entry.details).toMatchObject({ before: null, after: { principalId: reviewer, proxyId: handler2, role: "reviewer" } });
    });

    it("stops a proxy's role as soon as the principal's own role is revoked", async () => {
      const releaser = await staffId(db(), "st-police-releaser");
      const handler = await staffId(db(), "st-police-handler");
      const now = new Date();
      const stored = await setProxy(
        db(),
        { staffId: releaser, requestId: null },
        releaser,
        { proxyId: handler, role: "releaser", agencyCode: "police", startsAt: now, endsAt: new Date(now.getTime() + 24 * HOUR) },
        now,
      );
      expect(stored.ok).toBe(true);
      expect(actingFor(await loadRoles(db(), handler), releaser)).toHaveLength(1);
      const [grant] = await db()
        .select({ id: schema.staffRoles.id })
        .from(schema.staffRoles)
        .where(and(eq(schema.staffRoles.staffId, releaser), isNull(schema.staffRoles.revokedAt)));
      expect(await revokeRole(db(), await admin(), releaser, grant!.id)).toEqual({ ok: true });
      expect(actingFor(await loadRoles(db(), handler), releaser)).toEqual([]);
    });

    it("refuses a proxy from another agency, for a role not held, and periods that cannot be", async () => {
      const policeHead = await staffId(db(), "st-police-head");
      const waterHandler = await staffId(db(), "st-water-handler");
      const policeHandler = await staffId(db(), "st-police-handler");
      const now = new Date();
      const period = { startsAt: now, endsAt: new Date(now.getTime() + HOUR) };
      const actor = { staffId: policeHead, requestId: null };
      const ask = (request: Partial<Parameters<typeof setProxy>[3]>) =>
        setProxy(
          db(),
          actor,
          policeHead,
          { proxyId: policeHandler, role: "agency_head", agencyCode: "police", ...period, ...request },
          now,
        );
      expect(await ask({ proxyId: waterHandler })).toEqual({ ok: false, refusal: "proxy_elsewhere" });
      expect(await ask({ role: "releaser" })).toEqual({ ok: false, refusal: "not_holder" });
      expect(await ask({ proxyId: policeHead })).toEqual({ ok: false, refusal: "self" });
      expect(await ask({ endsAt: new Date(now.getTime() - HOUR), startsAt: new Date(now.getTime() - 2 * HOUR) })).toEqual({
        ok: false,
        refusal: "in_the_past",
      });
      expect(await ask({ endsAt: new Date(now.getTime() + 91 * 24 * HOUR) })).toEqual({ ok: false, refusal: "too_long" });
      expect(await db().select().from(schema.staffProxies).where(eq(schema.staffProxies.principalId, policeHead))).toEqual([]);
      // Someone else's period cannot be revoked as one's own; the administrator can.
      const stored = await ask({});
      expect(stored.ok).toBe(true);
      const id = (stored as { id: string }).id;
      expect(await revokeProxy(db(), { staffId: policeHandler, requestId: null }, id, policeHandler)).toEqual({
        ok: false,
        refusal: "not_found",
      });
      expect(await revokeProxy(db(), await admin(), id, null)).toEqual({ ok: true });
      expect(actingFor(await loadRoles(db(), policeHandler), policeHead)).toEqual([]);
      expect((await lastEntry(db(), "staff.proxy_revoked")).details).toMatchObject({
        principalId: policeHead,
        after: { revokedAt: expect.any(String) },
      });
    });

    it("reads the proxy form's times as Taiwan time and says what is missing", () => {
      const form = new FormData();
      for (const [k, v] of Object.entries({
        proxyId: "00000000-0000-4000-8000-000000000001",
        grant: "reviewer:police",
        startsAt: "2026-12-01T09:00",
        endsAt: "2026-12-05T18:00",
      }))
        form.set(k, v);
      const parsed = parseProxyForm(form);
      expect(parsed.ok && parsed.input.startsAt.toISOString()).toBe("2026-12-01T01:00:00.000Z");
      form.set("endsAt", "2026-02-31T10:00");
      form.set("grant", "auditor:police");
      expect(parseProxyForm(form)).toMatchObject({ ok: false, errors: { endsAt: "dateTimeInvalid", grant: "grantRequired" } });
    });

    it("audits role grants and revocations with the actor and before and after", async () => {
      const actor = await admin();
      const created = await createStaff(db(), actor, { subject: "st-new-clerk", displayName: "王小明", agencyCode: "water" });
      expect(created.ok).toBe(true);
      const id = (created as { id: string }).id;
      expect(await createStaff(db(), actor, { subject: "st-new-clerk", displayName: "另一位", agencyCode: null })).toEqual({
        ok: false,
        problem: "subjectTaken",
      });
      expect(await grantRole(db(), actor, id, { role: "handler", agencyCode: "water" })).toEqual({ ok: true });
      expect(await grantRole(db(), actor, id, { role: "handler", agencyCode: "water" })).toEqual({ ok: false, refusal: "already_held" });
      // A water clerk never gets a police role: agency roles stay in the staff member's own agency.
      expect(await grantRole(db(), actor, id, { role: "reviewer", agencyCode: "police" })).toEqual({ ok: false, refusal: "other_agency" });
      const granted = await lastEntry(db(), "staff.role_granted");
      expect(granted).toMatchObject({
        actorType: "staff",
        actorId: actor.staffId,
        requestId: "req-admin",
        targetType: "staff",
        targetId: id,
      });
      expect(granted.details).toEqual({ role: "handler", agencyCode: "water", before: { roles: [] }, after: { roles: ["handler@water"] } });
      expect(await loadRoles(db(), id)).toEqual([{ role: "handler", agencyCode: "water", actingFor: null }]);

      const [grant] = await db().select().from(schema.staffRoles).where(eq(schema.staffRoles.staffId, id));
      expect(await revokeRole(db(), actor, id, grant!.id)).toEqual({ ok: true });
      expect((await lastEntry(db(), "staff.role_revoked")).details).toEqual({
        role: "handler",
        agencyCode: "water",
        before: { roles: ["handler@water"] },
        after: { roles: [] },
      });
      expect(await loadRoles(db(), id)).toEqual([]);
      const [row] = await db().select().from(schema.staffRoles).where(eq(schema.staffRoles.id, grant!.id));
      expect(row).toMatchObject({ revokedBy: actor.staffId, grantedBy: actor.staffId });
    });

    it("keeps the administrator's own city_admin role and account, and deactivation takes every role away", async () => {
      const actor = await admin();
      const [own] = await db()
        .select()
        .from(schema.staffRoles)
        .where(
          and(eq(schema.staffRoles.staffId, actor.staffId), eq(schema.staffRoles.role, "city_admin"), isNull(schema.staffRoles.revokedAt)),
        );
      expect(await revokeRole(db(), actor, actor.staffId, own!.id)).toEqual({ ok: false, refusal: "own_city_admin" });
      expect(await setStaffActive(db(), actor, actor.staffId, false)).toEqual({ ok: false, refusal: "own_account" });
      expect((await loadRoles(db(), actor.staffId)).map((r) => r.role)).toEqual(["city_admin"]);

      const waterReviewer = await staffId(db(), "st-water-reviewer");
      expect(await setStaffActive(db(), actor, waterReviewer, false)).toEqual({ ok: true });
      expect(await loadRoles(db(), waterReviewer)).toEqual([]);
      expect((await lastEntry(db(), "staff.deactivated")).details).toEqual({ before: { active: true }, after: { active: false } });
      expect(await setStaffActive(db(), actor, waterReviewer, true)).toEqual({ ok: true });
      expect((await lastEntry(db(), "staff.reactivated")).targetId).toBe(waterReviewer);
    });

    it("checks a role's agency in the form as the database's scope rule does", async () => {
      const form = (role: string, agencyCode: string) => {
        const data = new FormData();
        data.set("role", role);
        data.set("agencyCode", agencyCode);
        return parseRoleGrant(data, ["police", "water"]);
      };
      expect(form("reviewer", "")).toMatchObject({ ok: false, errors: { agencyCode: "agencyRequired" } });
      expect(form("auditor", "police")).toMatchObject({ ok: false, errors: { agencyCode: "agencyNotForCityRole" } });
      expect(form("handler", "nowhere")).toMatchObject({ ok: false, errors: { agencyCode: "agencyUnknown" } });
      expect(form("", "")).toMatchObject({ ok: false, errors: { role: "roleRequired" } });
      expect(form("auditor", "")).toMatchObject({ ok: true, input: { role: "auditor", agencyCode: null } });
    });

    it("exports every matching entry with its hashes, re-checkable offline and safe in a spreadsheet", async () => {
      const actor = await admin();
      await recordAudit(db(), {
        actorType: "staff",
        actorId: actor.staffId,
        action: "staff.noted",
        targetType: '=HYPERLINK("http://evil")',
        targetId: "@SUM(A1)",
        details: { note: "+1", actingFor: await staffId(db(), "st-police-handler") },
      });
      const { filters } = parseAuditSearch(new URLSearchParams({ text: "staff." }));
      const bytes = Buffer.from(await new Response(auditCsvStream(db(), filters)).arrayBuffer());
      // The byte-order mark Excel needs to read UTF-8 (Response.text() would drop it).
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const rows = parse(bytes.subarray(3).toString("utf8"), { columns: true }) as Array<Record<string, string>>;
      const matching = [];
      for (let before: number | undefined; ;) {
        const page = await searchAudit(db(), filters, { limit: 100, beforeSeq: before });
        matching.push(...page);
        if (page.length < 100) break;
        before = page[page.length - 1]!.seq;
      }
      expect(rows.map((r) => Number(r.seq))).toEqual(matching.map((e) => e.seq).reverse());
      const unwrap = (cell: string) => cell.replace(/^="(.*)"$/, "$1");
      for (const row of rows) {
        const entry = matching.find((e) => e.seq === Number(row.seq))!;
        expect(unwrap(row.hash!)).toBe(entry.hash);
        expect(unwrap(row.prev_hash!)).toBe(entry.prevHash);
        expect(
          createHash("sha256")
            .update(unwrap(row.prev_hash!) + row.entry_text!, "utf8")
            .digest("hex"),
        ).toBe(entry.hash);
      }
      const noted = rows.find((r) => r.action === "staff.noted")!;
      expect(noted.target_type).toBe('\'=HYPERLINK("http://evil")');
      expect(noted.target_id).toBe("'@SUM(A1)");
      expect(noted.actor_name).toBe("周雅惠");
      // No cell but the identifiers' own ="…" begins like a formula.
      for (const row of rows)
        for (const cell of Object.values(row)) expect(/^[=+\-@\t\r]/.test(cell) && !/^="[0-9A-Za-z-]+"$/.test(cell)).toBe(false);
    });

    it("leaves the chain intact after all of it", async () => {
      expect(await verifyAuditChain(db())).toMatchObject({ ok: true });
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "test-pii-key-test-pii-key-test-pii-key", billsPerType: 1, residents: 1 });
    await seedDemoStaff(handle.db);
  },
);
