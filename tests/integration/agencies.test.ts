import type { Server } from "node:http";
import { randomBytes } from "node:crypto";
import { and, count, desc, eq } from "drizzle-orm";
import express from "express";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyStatus } from "~/domain/agency-credentials";
import { issueApiKey, listApiKeys, revokeApiKey, rotateApiKey, apiKeyBinding } from "~/agencies/api-keys.server";
import { listenForSettingsChanges } from "~/agencies/changes.server";
import {
  billTypeForAdmin,
  createAgency,
  parseAgencyForm,
  parseBillTypeForm,
  parseNewAgencyForm,
  saveBillType,
  updateAgency,
} from "~/agencies/catalogue-admin.server";
import {
  deliveryLog,
  findReceiver,
  parseReceiverForm,
  rotateWebhookSecret,
  saveReceiver,
  sendPing,
} from "~/agencies/webhook-receivers.server";
import { openCredential } from "~/base/credentials.server";
import { openDatabase, schema, type Database } from "~/base/db.server";
import { verifyWebhook } from "~/base/signatures.server";
import { findBillType, getCatalogue } from "~/bills/catalogue.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { deliverWriteOffNotices, redeliverNotice } from "~/payments/write-off-notices.server";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";
import { capturedLogger, listen } from "../support/payments";
import { receiverAt } from "../support/webhooks";

/**
 * The city administrator's catalogue and agencies' credentials: edits are
 * checked, audited and seen at once (here and, through NOTIFY, by another
 * instance); a rule that would strand unpaid bills is refused; notices are
 * signed with every live secret of the receiver in the database; pings and
 * redeliveries are logged; API keys go through their states.
 */

const env = demoEnv();

function form(fields: Record<string, string | string[]>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) data.append(name, one);
  return data;
}

const TRAFFIC_FINE = {
  nameZh: "交通違規罰鍰",
  nameEn: "Traffic fine",
  category: "fine",
  subjectKind: "vehicle_plate",
  collectionItemCode: "",
  writeOffPrefix: "GF",
  writeOffLength: "10",
  writeOffCharset: "digits",
  writeOffCheck: "mod10-137",
  writeOffHintZh: "右上角",
  writeOffHintEn: "Top right",
  paymentTools: ["credit_card", "line_pay"],
  active: "on",
  sortOrder: "0",
};

/** A receiver that records what it was sent and answers `status`. */
async function recordingReceiver() {
  const received: Array<{ body: string; signature: string }> = [];
  const state = { status: 200 };
  const app = express();
  app.post("/hook", express.text({ type: "application/json" }), (req, res) => {
    received.push({ body: String(req.body), signature: req.header("X-Portal-Signature") ?? "" });
    res.status(state.status).json({ ok: state.status < 300 });
  });
  const { server, url } = await listen(app);
  return { received, state, url: `${url}/hook`, server };
}

describeEachDatabase(
  "agencies' catalogue and credentials",
  (database) => {
    const db = () => database().db;
    let admin: { staffId: string; requestId: string };
    let receiver: Awaited<ReturnType<typeof recordingReceiver>>;
    beforeAll(async () => {
      const [row] = await db().select().from(schema.staff).where(eq(schema.staff.subject, "st-city-admin"));
      admin = { staffId: row!.id, requestId: "req-admin" };
      receiver = await recordingReceiver();
    });
    afterAll(async () => {
      await new Promise((resolve) => (receiver.server as Server).close(resolve));
    });

    const auditOf = async (action: string) =>
      db().select().from(schema.auditLog).where(eq(schema.auditLog.action, action)).orderBy(desc(schema.auditLog.seq));

    it("saves an agency's details checked field by field, audited with before and after, and serves them at once", async () => {
      const bad = parseAgencyForm(form({ nameZh: "", nameEn: "x".repeat(81), phone: "call us", websiteUrl: "http://x", sortOrder: "-1" }));
      expect(bad.ok).toBe(false);
      if (!bad.ok) {
        expect(bad.errors).toEqual({
          nameZh: "nameRequired",
          nameEn: "nameTooLong",
          phone: "phoneInvalid",
          websiteUrl: "websiteInvalid",
          sortOrder: "orderInvalid",
        });
        expect(bad.values.phone).toBe("call us");
      }
      await getCatalogue(db()); // cached now
      const parsed = parseAgencyForm(
        form({
          nameZh: "臺中市政府警察局（新）",
          nameEn: "Police",
          phone: "04-2328-9111",
          websiteUrl: "https://www.police.taichung.gov.tw",
          sortOrder: "0",
        }),
      );
      if (!parsed.ok) throw new Error("valid form refused");
      expect(await updateAgency(db(), admin, "police", parsed.input)).toEqual({ ok: true });
      expect((await getCatalogue(db())).find((agency) => agency.code === "police")?.nameZh).toBe("臺中市政府警察局（新）");
      const [entry] = await auditOf("agency.updated");
      expect(entry).toMatchObject({ actorId: admin.staffId, targetId: "police" });
      expect((entry!.details as { before: { nameZh: string } }).before.nameZh).not.toBe("臺中市政府警察局（新）");
      expect((entry!.details as { after: { phone: string } }).after.phone).toBe("04-2328-9111");
    });

    it("adds an agency, audited, refusing a code taken or one that could not name its API keys", async () => {
      expect(
        parseNewAgencyForm(form({ code: "Fire Dept", kind: "ministry", nameZh: "消防局", nameEn: "Fire", sortOrder: "9" })),
      ).toMatchObject({
        ok: false,
        errors: { code: "agencyCodeInvalid", kind: "kindRequired" },
      });
      const parsed = parseNewAgencyForm(
        form({
          code: "fire",
          kind: "city_government",
          nameZh: "臺中市政府消防局",
          nameEn: "Fire Bureau",
          phone: "",
          websiteUrl: "",
          sortOrder: "20",
        }),
      );
      if (!parsed.ok) throw new Error("valid form refused");
      expect(await createAgency(db(), admin, parsed.input)).toEqual({ ok: true });
      expect(await createAgency(db(), admin, parsed.input)).toEqual({ ok: false, refusal: "agencyCodeTaken" });
      expect((await auditOf("agency.created"))[0]).toMatchObject({ targetId: "fire", actorId: admin.staffId });
      // No bill types yet: residents see nothing of it; its keys can be issued.
      expect((await getCatalogue(db())).some((agency) => agency.code === "fire")).toBe(false);
      expect((await issueApiKey(db(), env, admin, "fire", "")).keyId).toMatch(/^fire\.[a-z2-7]{16}$/);
    });

    it("refuses a bill type's bad fields each with its own problem, and an inconsistent rule with the reason", async () => {
      const bad = parseBillTypeForm(
        form({
          code: "Bad Code",
          nameZh: "",
          nameEn: "n",
          category: "tax",
          subjectKind: "",
          collectionItemCode: "ab",
          writeOffPrefix: "G1",
          writeOffLength: "17",
          writeOffCharset: "hex",
          writeOffCheck: "luhn",
          writeOffHintZh: "",
          writeOffHintEn: "x".repeat(201),
          paymentTools: ["cash"],
          sortOrder: "x",
        }),
        null,
      );
      expect(bad.ok).toBe(false);
      if (!bad.ok)
        expect(bad.errors).toEqual({
          code: "codeInvalid",
          nameZh: "nameRequired",
          category: "categoryRequired",
          subjectKind: "subjectKindRequired",
          collectionItemCode: "collectionCodeInvalid",
          writeOffPrefix: "prefixInvalid",
          writeOffLength: "lengthInvalid",
          writeOffCharset: "charsetRequired",
          writeOffCheck: "checkRequired",
          writeOffHintZh: "hintRequired",
          writeOffHintEn: "hintTooLong",
          paymentTools: "toolsRequired",
          sortOrder: "orderInvalid",
        });
      // Prefix of 4 and a check digit leave one character of body in 6.
      const inconsistent = parseBillTypeForm(
        form({ ...TRAFFIC_FINE, code: "short-one", collectionItemCode: "Z01", writeOffPrefix: "ABCD", writeOffLength: "6" }),
        null,
      );
      expect(inconsistent.ok ? null : inconsistent.errors).toEqual({ writeOffLength: "ruleInconsistent" });
    });

    it("creates a bill type offered at once, and refuses a collection item code another type has", async () => {
      const taken = (await findBillType(db(), "traffic-fine"))!.billType.collectionItemCode;
      const clash = parseBillTypeForm(form({ ...TRAFFIC_FINE, code: "parking-fine", collectionItemCode: taken }), null);
      if (!clash.ok) throw new Error("valid form refused");
      expect(await saveBillType(db(), admin, "police", null, clash.input)).toEqual({
        ok: false,
        refusal: { field: "collectionItemCode", problem: "collectionCodeTaken" },
      });
      const parsed = parseBillTypeForm(form({ ...TRAFFIC_FINE, code: "parking-fine", collectionItemCode: "q7z" }), null);
      if (!parsed.ok) throw new Error("valid form refused");
      expect(await saveBillType(db(), admin, "police", null, parsed.input)).toEqual({ ok: true, code: "parking-fine" });
      expect((await findBillType(db(), "parking-fine"))?.billType).toMatchObject({
        collectionItemCode: "Q7Z",
        // In the catalogue's own order of tools, whatever the order posted.
        paymentTools: ["line_pay", "credit_card"],
      });
      expect(await auditOf("bill_type.created")).toHaveLength(1);
    });

    it("refuses a rule under which unpaid bills would no longer validate, saying how many; a rule they all meet passes", async () => {
      const current = (await billTypeForAdmin(db(), "police", "traffic-fine"))!;
      const [{ n: unpaid }] = (await db()
        .select({ n: count() })
        .from(schema.bills)
        .where(and(eq(schema.bills.billTypeCode, "traffic-fine"), eq(schema.bills.status, "unpaid")))) as [{ n: number }];
      expect(unpaid).toBeGreaterThan(0);
      const fields = { ...TRAFFIC_FINE, collectionItemCode: current.collectionItemCode };
      const longer = parseBillTypeForm(form({ ...fields, writeOffLength: "11" }), "traffic-fine");
      if (!longer.ok) throw new Error("valid form refused");
      expect(await saveBillType(db(), admin, "police", "traffic-fine", longer.input)).toEqual({
        ok: false,
        refusal: { field: "writeOffLength", problem: "ruleStrandsBills", strandedBills: unpaid },
      });
      expect((await findBillType(db(), "traffic-fine"))!.billType.writeOffRule.length).toBe(10);
      // Dropping the check digit keeps every number valid: allowed, and seen at once.
      const looser = parseBillTypeForm(form({ ...fields, writeOffCheck: "none", nameEn: "Traffic fines" }), "traffic-fine");
      if (!looser.ok) throw new Error("valid form refused");
      expect(await saveBillType(db(), admin, "police", "traffic-fine", looser.input)).toEqual({ ok: true, code: "traffic-fine" });
      expect((await findBillType(db(), "traffic-fine"))!.billType).toMatchObject({
        nameEn: "Traffic fines",
        writeOffRule: { check: "none" },
      });
      const [entry] = await auditOf("bill_type.updated");
      expect(entry!.details).toMatchObject({
        before: { writeOffRule: { check: "mod10-137" } },
        after: { writeOffRule: { check: "none" } },
      });
      // Another agency's bill type is not reached through this one.
      expect(await saveBillType(db(), admin, "water", "traffic-fine", looser.input)).toEqual({
        ok: false,
        refusal: { field: null, problem: "not_found" },
      });
    });

    it("signs with both secrets during a rotation's overlap and with the new one only after it, logging each ping", async () => {
      expect(parseReceiverForm(form({ url: "ftp://x", enabled: "on" }))).toMatchObject({ ok: false, errors: { url: "urlInvalid" } });
      expect(parseReceiverForm(form({ url: "https://user:pw@x.example/hook" }))).toMatchObject({
        ok: false,
        errors: { url: "urlInvalid" },
      });
      expect(await sendPing(db(), env, admin, "environment")).toEqual({ ok: false, refusal: "receiverMissing" });
      await saveReceiver(db(), admin, "environment", { url: receiver.url, enabled: true });
      const first = await rotateWebhookSecret(db(), env, admin, "environment", 3);
      const ping = await sendPing(db(), env, admin, "environment");
      expect(ping).toMatchObject({ ok: true, answer: { statusCode: 200, error: null } });
      const oneSecret = receiver.received.at(-1)!;
      expect(JSON.parse(oneSecret.body)).toMatchObject({ type: "ping", agency: "environment" });
      expect(oneSecret.signature.match(/v1=/g)).toHaveLength(1);
      expect(verifyWebhook(first.secret, oneSecret.body, oneSecret.signature)).toBe(true);

      const now = new Date();
      const second = await rotateWebhookSecret(db(), env, admin, "environment", 3, now);
      expect(second.secret).not.toBe(first.secret);
      await sendPing(db(), env, admin, "environment");
      const overlap = receiver.received.at(-1)!;
      expect(overlap.signature.match(/v1=/g)).toHaveLength(2);
      expect(verifyWebhook(first.secret, overlap.body, overlap.signature)).toBe(true);
      expect(verifyWebhook(second.secret, overlap.body, overlap.signature)).toBe(true);
      expect(verifyWebhook("someone-else's-secret", overlap.body, overlap.signature)).toBe(false);
      // After the old secret retires, only the new one signs.
      const later = new Date(now.getTime() + 3 * 86_400_000 + 1000);
      expect((await findReceiver(db(), env, "environment", later))!.secrets).toEqual([second.secret]);
      // Rotating with no overlap stops the others at once.
      const third = await rotateWebhookSecret(db(), env, admin, "environment", 0);
      await sendPing(db(), env, admin, "environment");
      const after = receiver.received.at(-1)!;
      expect(after.signature.match(/v1=/g)).toHaveLength(1);
      expect(verifyWebhook(third.secret, after.body, after.signature)).toBe(true);
      expect(verifyWebhook(second.secret, after.body, after.signature)).toBe(false);

      const log = await deliveryLog(db(), "environment");
      expect(log.lines.map((line) => line.kind)).toEqual(["ping", "ping", "ping"]);
      expect(log.lines[0]).toMatchObject({ statusCode: 200, error: null, url: receiver.url, noticeId: null, requestedBy: "周雅惠" });
      expect(log.lines[0]!.id).toBeGreaterThan(log.lines[1]!.id);
      const page = await deliveryLog(db(), "environment", { limit: 2 });
      expect(page.lines).toHaveLength(2);
      expect((await deliveryLog(db(), "environment", { before: page.nextBefore!, limit: 2 })).lines).toHaveLength(1);
      // The secrets are kept sealed, each bound to its own row.
      const rows = await db().select().from(schema.agencyWebhookSecrets).where(eq(schema.agencyWebhookSecrets.agencyCode, "environment"));
      expect(rows.map((row) => row.secretSealed).join()).not.toContain(first.secret);
      expect(() => openCredential(env, `webhook-secret:${rows[0]!.id}`, rows[1]!.secretSealed)).toThrow();
    });

    it("redelivers a notice now, logged with who asked; a pending one is delivered by it, a disabled receiver keeps it waiting", async () => {
      const [bill] = await db().select().from(schema.bills).where(eq(schema.bills.billTypeCode, "traffic-fine")).limit(1);
      const [order] = await db()
        .insert(schema.paymentOrders)
        .values({
          reference: `PO${randomBytes(6).toString("hex").toUpperCase()}`,
          paymentTool: "line_pay",
          provider: "line_pay",
          totalAmount: bill!.amount,
          idempotencyKey: randomBytes(12).toString("hex"),
          expiresAt: new Date(Date.now() + 600_000),
        })
        .returning();
      const [notice] = await db()
        .insert(schema.writeOffNotices)
        .values({
          orderId: order!.id,
          billId: bill!.id,
          agencyCode: "police",
          payload: { type: "bill.paid", writeOffNumber: bill!.writeOffNumber },
        })
        .returning();
      const { logger } = capturedLogger("info");
      const ctx = { db: db(), env, logger };
      await saveReceiver(db(), admin, "police", { url: receiver.url, enabled: false });
      await rotateWebhookSecret(db(), env, admin, "police", 3);
      // The outbox's own run: a disabled receiver is not called, the notice waits and the attempt is logged.
      expect(await deliverWriteOffNotices(ctx, new Date(Date.now() + 1000))).toEqual({ attempted: 1, delivered: 0 });
      expect((await deliveryLog(db(), "police")).lines[0]).toMatchObject({
        kind: "notice",
        noticeId: notice!.id,
        error: "webhook receiver of agency police is disabled",
      });
      const waiting = await redeliverNotice(ctx, { agencyCode: "police", noticeId: notice!.id, requestedBy: admin.staffId });
      expect(waiting).toMatchObject({ ok: true, delivered: false, answer: { error: "webhook receiver of agency police is disabled" } });
      await saveReceiver(db(), admin, "police", { url: receiver.url, enabled: true });
      const sent = await redeliverNotice(ctx, { agencyCode: "police", noticeId: notice!.id, requestedBy: admin.staffId });
      expect(sent).toMatchObject({ ok: true, delivered: true, answer: { statusCode: 200, error: null } });
      expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ noticeId: notice!.id, type: "bill.paid" });
      const [after] = await db().select().from(schema.writeOffNotices).where(eq(schema.writeOffNotices.id, notice!.id));
      expect(after!.state).toBe("delivered");
      // Delivered, it can still be sent again (the agency lost it).
      expect(await redeliverNotice(ctx, { agencyCode: "police", noticeId: notice!.id, requestedBy: admin.staffId })).toMatchObject({
        ok: true,
        delivered: true,
      });
      const log = await deliveryLog(db(), "police");
      expect(log.lines.slice(0, 3).map((line) => [line.kind, line.noticeId, line.requestedBy])).toEqual([
        ["redelivery", notice!.id, "周雅惠"],
        ["redelivery", notice!.id, "周雅惠"],
        ["redelivery", notice!.id, "周雅惠"],
      ]);
      // Another agency's notice is not found through this one.
      expect(await redeliverNotice(ctx, { agencyCode: "water", noticeId: notice!.id, requestedBy: admin.staffId })).toEqual({
        ok: false,
        refusal: "not_found",
      });
    });

    it("issues, rotates and revokes API keys: shown once, sealed, with their states", async () => {
      const issued = await issueApiKey(db(), env, admin, "water", "billing system");
      expect(issued.keyId).toMatch(/^water\.[a-z2-7]{16}$/);
      const [row] = await db().select().from(schema.agencyApiKeys).where(eq(schema.agencyApiKeys.id, issued.keyId));
      expect(row!.secretSealed).not.toContain(issued.secret);
      expect(openCredential(env, apiKeyBinding(issued.keyId), row!.secretSealed)).toBe(issued.secret);
      expect(await listApiKeys(db(), "water")).toEqual([
        expect.objectContaining({ id: issued.keyId, label: "billing system", status: { state: "active", at: null }, lastUsedAt: null }),
      ]);
      expect(JSON.stringify(await listApiKeys(db(), "water"))).not.toContain(issued.secret);

      const now = new Date();
      const rotated = await rotateApiKey(db(), env, admin, "water", issued.keyId, 7, now);
      if (!rotated.ok) throw new Error("rotation refused");
      expect(rotated.oldKeyExpiresAt.getTime()).toBe(now.getTime() + 7 * 86_400_000);
      const keys = await listApiKeys(db(), "water", now);
      expect(keys.map((key) => [key.id, key.status.state])).toEqual([
        [rotated.issued.keyId, "active"],
        [issued.keyId, "overlap"],
      ]);
      expect(keys[0]!.label).toBe("billing system");
      const [old] = await db().select().from(schema.agencyApiKeys).where(eq(schema.agencyApiKeys.id, issued.keyId));
      expect(apiKeyStatus(old!, new Date(now.getTime() + 8 * 86_400_000)).state).toBe("expired");

      expect(await revokeApiKey(db(), admin, "water", rotated.issued.keyId)).toEqual({ ok: true });
      expect((await listApiKeys(db(), "water")).find((key) => key.id === rotated.issued.keyId)?.status.state).toBe("revoked");
      expect(await revokeApiKey(db(), admin, "water", rotated.issued.keyId)).toEqual({ ok: false, refusal: "not_found" });
      expect(await rotateApiKey(db(), env, admin, "water", rotated.issued.keyId, 7)).toEqual({ ok: false, refusal: "not_usable" });
      // Another agency's key is out of reach.
      expect(await revokeApiKey(db(), admin, "police", issued.keyId)).toEqual({ ok: false, refusal: "not_found" });
      expect((await auditOf("api_key.issued"))[0]!.details).toEqual({ keyId: issued.keyId, label: "billing system" });
      expect(JSON.stringify(await db().select().from(schema.auditLog))).not.toContain(issued.secret);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 30 });
    await seedDemoStaff(handle.db);
  },
);

/**
 * Two instances of the portal on one PostgreSQL database: a change made
 * through one is seen by the other within a second (NOTIFY), not when its
 * cache's minute runs out.
 */
describe.runIf(process.env.TEST_DATABASE_URL)("a change reaches every instance [postgres]", () => {
  const name = `portal_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
  let instances: Array<Awaited<ReturnType<typeof openDatabase>>> = [];
  let stops: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    instances = [await openDatabase({ url: url.toString(), poolSize: 2 }), await openDatabase({ url: url.toString(), poolSize: 2 })];
    await instances[0]!.migrate();
    await seedDemoDataIfEmpty(instances[0]!.db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 5 });
    await seedDemoStaff(instances[0]!.db);
    stops = await Promise.all(instances.map((instance) => listenForSettingsChanges(instance)));
  });
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
    await Promise.all(instances.map((instance) => instance.close()));
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });

  async function within(ms: number, seen: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    while (!(await seen())) {
      if (Date.now() - started > ms) throw new Error(`not seen within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Date.now() - started;
  }

  it("forgets the other instance's catalogue and receivers at once", async () => {
    const [a, b] = instances.map((instance) => instance.db) as [Database, Database];
    const [row] = await a.select().from(schema.staff).where(eq(schema.staff.subject, "st-city-admin"));
    const actor = { staffId: row!.id, requestId: null };
    expect((await getCatalogue(b)).find((agency) => agency.code === "water")?.nameEn).not.toBe("Taichung Water (renamed)");
    const parsed = parseAgencyForm(form({ nameZh: "臺水", nameEn: "Taichung Water (renamed)", phone: "", websiteUrl: "", sortOrder: "3" }));
    if (!parsed.ok) throw new Error("valid form refused");
    await updateAgency(a, actor, "water", parsed.input);
    const tookMs = await within(
      1000,
      async () => (await getCatalogue(b)).find((agency) => agency.code === "water")?.nameEn === "Taichung Water (renamed)",
    );
    expect(tookMs).toBeLessThan(1000);

    expect(await findReceiver(b, env, "water")).toBeNull();
    await receiverAt(a, env, "water", "https://water.example.gov.tw/hook", "w".repeat(43));
    await within(1000, async () => (await findReceiver(b, env, "water"))?.url === "https://water.example.gov.tw/hook");
    await saveReceiver(a, actor, "water", { url: "https://water.example.gov.tw/hook", enabled: false });
    await within(1000, async () => (await findReceiver(b, env, "water"))?.enabled === false);
  });
});
