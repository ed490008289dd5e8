import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listDuplicatePayments, parseDuplicateFilters } from "~/back-office/duplicates.server";
import { inboxMessage, listInbox, parseInboxFilters, senderRevealTarget, workOnMessage } from "~/back-office/inbox.server";
import type { StaffActor } from "~/back-office/listing.server";
import { loadRoles } from "~/back-office/staff-sessions.server";
import { verifyAuditChain } from "~/base/audit.server";
import { schema } from "~/base/db.server";
import { addressDigest } from "~/mail/unsubscribe.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { feedbackAgencies, parseFeedback, submitFeedback } from "~/feedback/feedback.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { applyTransition } from "~/payments/orders/transitions.server";
import { openRefundCasesForBillsPaidTwice } from "~/payments/refund-cases.server";
import { describeEachDatabase } from "../support/databases";
import { startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/**
 * The back office's inbox and duplicate payments (issue 14): where a resident's
 * message goes, who sees it, how work on it is recorded, and the refund cases
 * of each agency with both payments.
 */

const PII_KEY = "test-pii-key-test-pii-key-test-pii-key";
const SENDER = { name: "林美芯", email: "mei.lin@example.tw", phone: "0912-345-678" };
let keyCounter = 0;
const newKey = () => `00000000-0000-4000-a000-${String(++keyCounter).padStart(12, "0")}`;

function form(values: Record<string, string>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(values)) data.set(key, value);
  return data;
}

describeEachDatabase("back-office inbox and duplicate payments", (database) => {
  const db = () => database().db;
  let world: PaymentWorld;
  const staff: Record<string, StaffActor> = {};
  const messages: Record<"police" | "water" | "unrouted", string> = { police: "", water: "", unrouted: "" };
  let address = 0;

  async function send(agency: string, topic = "bill_question") {
    const agencies = (await feedbackAgencies(db())).map((a) => a.code);
    const parsed = parseFeedback(form({ topic, agency, ...SENDER, message: "我的帳單金額好像不對，請協助確認。" }), agencies);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const sent = await submitFeedback(db(), parsed.input, {
      locale: "zh-TW",
      requestId: "test",
      clientAddress: `192.0.2.${++address}`,
      limit: { limit: 10, windowSeconds: 3600 },
    });
    if (!sent.ok) throw new Error("rate limited");
    const [row] = await db().select().from(schema.feedbackMessages).where(eq(schema.feedbackMessages.reference, sent.reference));
    return row!;
  }

  beforeAll(async () => {
    await seedDemoDataIfEmpty(db(), { piiHmacKey: PII_KEY });
    await seedDemoStaff(db());
    for (const username of ["police-handler", "police-accounting", "water-handler", "auditor", "city-admin"]) {
      const [row] = await db()
        .select()
        .from(schema.staff)
        .where(eq(schema.staff.subject, `st-${username}`));
      staff[username] = { staffId: row!.id, roles: await loadRoles(db(), row!.id), requestId: `req-${username}` };
    }
    messages.police = (await send("police")).id;
    messages.water = (await send("water")).id;
    messages.unrouted = (await send("", "website")).id;
    world = await startPaymentWorld(db());
  });
  afterAll(async () => {
    await world?.close();
  });

  const listed = async (who: string, query = "") =>
    (await listInbox(db(), staff[who]!, parseInboxFilters(new URLSearchParams(query)))).items.map((item) => item.id);
  const auditOf = (messageId: string, action: string) =>
    db()
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.targetId, messageId), eq(schema.auditLog.action, action)));

  // ---- Routing --------------------------------------------------------------------------

  it("routes a message to the agency chosen, and one naming none to the portal's own team", async () => {
    const rows = await db().select().from(schema.feedbackMessages);
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(messages.police)).toMatchObject({ agencyCode: "police", status: "new" });
    expect(byId.get(messages.water)).toMatchObject({ agencyCode: "water", status: "new" });
    expect(byId.get(messages.unrouted)).toMatchObject({ agencyCode: null, topic: "website" });
    const agencies = (await feedbackAgencies(db())).map((a) => a.code);
    expect(agencies).toContain("police");
    const unknown = parseFeedback(form({ topic: "bill_question", agency: "nowhere", ...SENDER, message: "0123456789ab" }), agencies);
    expect(unknown.ok ? null : unknown.errors).toEqual({ agency: { code: "agencyUnknown" } });
    // Each message's arrival is in the audit chain, without the sender's data.
    const [received] = await auditOf(messages.police, "feedback.received");
    expect(received).toMatchObject({ actorType: "system", details: { topic: "bill_question", agencyCode: "police" } });
    for (const value of Object.values(SENDER)) expect(JSON.stringify(received)).not.toContain(value);
  });

  // ---- Scope ------------------------------------------------------------------------------

  it("shows police staff the police's messages only, by list and by id, and audits the search", async () => {
    expect(await listed("police-handler")).toEqual([messages.police]);
    expect(await listed("police-accounting")).toEqual([messages.police]);
    expect(await inboxMessage(db(), staff["police-handler"]!, messages.water)).toBeNull();
    expect(await inboxMessage(db(), staff["police-handler"]!, messages.unrouted)).toBeNull();
    expect(await inboxMessage(db(), staff["police-handler"]!, "not-a-uuid")).toBeNull();
    expect(await senderRevealTarget(db(), staff["police-handler"]!, messages.water)).toBe("not_found");
    expect((await workOnMessage(db(), staff["police-handler"]!, messages.water, form({ intent: "note", note: "x" }))).kind).toBe(
      "not_found",
    );
    expect(await listed("water-handler")).toEqual([messages.water]);
    const searches = await db()
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.action, "inbox.searched"), eq(schema.auditLog.actorId, staff["police-handler"]!.staffId)))
      .orderBy(schema.auditLog.seq);
    expect(searches[0]!.details).toMatchObject({ results: 1, status: null, topic: null });
  });

  it("shows the city administrator the unrouted messages only, and the auditor every message, read only", async () => {
    expect(await listed("city-admin")).toEqual([messages.unrouted]);
    expect(await inboxMessage(db(), staff["city-admin"]!, messages.police)).toBeNull();
    const own = await inboxMessage(db(), staff["city-admin"]!, messages.unrouted);
    expect(own?.may).toEqual({ work: true, reveal: true });
    expect(new Set(await listed("auditor"))).toEqual(new Set(Object.values(messages)));
    const read = await inboxMessage(db(), staff.auditor!, messages.water);
    expect(read?.may.work).toBe(false);
    expect(read?.statusChanges).toEqual([]);
    expect((await workOnMessage(db(), staff.auditor!, messages.water, form({ intent: "status", status: "in_progress" }))).kind).toBe(
      "forbidden",
    );
    // The accounting head reads the agency's messages but does not work them.
    expect((await workOnMessage(db(), staff["police-accounting"]!, messages.police, form({ intent: "note", note: "x" }))).kind).toBe(
      "forbidden",
    );
  });

  it("masks the sender until revealed, and offers the reveal for the message's own agency", async () => {
    const shown = await inboxMessage(db(), staff["police-handler"]!, messages.police);
    expect(shown?.sender).toEqual({ name: "林○芯", email: "m******@e******.tw", phone: "09**-***-*78" });
    expect(JSON.stringify(shown)).not.toContain(SENDER.email);
    const reveal = await senderRevealTarget(db(), staff["police-handler"]!, messages.police);
    expect(reveal).toEqual({
      target: { type: "feedback_message", id: messages.police, agencyCode: "police", fields: ["name", "email", "phone"] },
      actingFor: null,
    });
    expect((await auditOf(messages.police, "inbox.message_viewed")).length).toBeGreaterThan(0);
  });

  // ---- Work: status, notes, replies ------------------------------------------------------

  it("moves a status only as the table allows, and never to answered without a reply", async () => {
    const handler = staff["police-handler"]!;
    const refusedAnswered = await workOnMessage(db(), handler, messages.police, form({ intent: "status", status: "answered" }));
    expect(refusedAnswered).toMatchObject({ kind: "invalid", errors: { status: "statusNotAllowed" } });
    const bad = await workOnMessage(db(), handler, messages.police, form({ intent: "status", status: "spam" }));
    expect(bad).toMatchObject({ kind: "invalid", errors: { status: "statusRequired" } });
    expect(await workOnMessage(db(), handler, messages.police, form({ intent: "status", status: "in_progress" }))).toMatchObject({
      kind: "done",
      status: "in_progress",
    });
    const again = await workOnMessage(db(), handler, messages.police, form({ intent: "status", status: "in_progress" }));
    expect(again).toMatchObject({ kind: "invalid", errors: { status: "statusNotAllowed" } });
    expect((await workOnMessage(db(), handler, messages.police, form({ intent: "close" }))).kind).toBe("bad_request");
    const [changed] = await auditOf(messages.police, "inbox.status_changed");
    expect(changed!.details).toMatchObject({ from: "new", to: "in_progress" });
    expect(changed!.actorId).toBe(handler.staffId);
  });

  it("records a note and a reply, sets the message answered, and keeps the sender's data and the texts out of the audit", async () => {
    const handler = staff["police-handler"]!;
    const noteText = `已致電 ${SENDER.phone} 聯絡 ${SENDER.name}，待回電。`;
    expect(await workOnMessage(db(), handler, messages.police, form({ intent: "note", note: "   " }))).toMatchObject({
      kind: "invalid",
      errors: { note: "noteRequired" },
    });
    expect((await workOnMessage(db(), handler, messages.police, form({ intent: "note", note: noteText }))).kind).toBe("done");
    const noChannel = await workOnMessage(db(), handler, messages.police, form({ intent: "reply", reply: "已說明計算方式。" }));
    expect(noChannel).toMatchObject({ kind: "invalid", errors: { channel: "channelRequired" }, values: { reply: "已說明計算方式。" } });
    const replyText = `以電話向 ${SENDER.name} 說明罰鍰的計算方式。`;
    expect(
      await workOnMessage(db(), handler, messages.police, form({ intent: "reply", reply: replyText, channel: "phone" })),
    ).toMatchObject({
      kind: "done",
      status: "answered",
    });

    const message = await inboxMessage(db(), handler, messages.police);
    expect(message?.status).toBe("answered");
    expect(message?.actions.map((a) => [a.kind, a.status, a.replyChannel])).toEqual([
      ["status", "in_progress", null],
      ["note", null, null],
      ["reply", "answered", "phone"],
    ]);
    expect(message?.actions[2]).toMatchObject({ body: replyText, staffName: "陳建宏" });

    const entries = await db().select().from(schema.auditLog).where(eq(schema.auditLog.targetId, messages.police));
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(["inbox.note_added", "inbox.reply_recorded"]));
    const audited = JSON.stringify(entries.map((e) => e.details));
    for (const secret of [SENDER.name, SENDER.email, SENDER.phone, noteText, replyText]) expect(audited).not.toContain(secret);
    const [reply] = await auditOf(messages.police, "inbox.reply_recorded");
    expect(reply!.details).toMatchObject({ channel: "phone", from: "in_progress", to: "answered" });
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });

  it("replies by e-mail: queued to the sender in their language with their message quoted, and recorded as the reply, in one act", async () => {
    const handler = staff["water-handler"]!;
    const mailEnv = { PUBLIC_URL: "https://pay.example.tw", PII_HMAC_KEY: PII_KEY };
    const english = await send("water");
    await db().update(schema.feedbackMessages).set({ locale: "en" }).where(eq(schema.feedbackMessages.id, english.id));
    const empty = await workOnMessage(db(), handler, english.id, form({ intent: "email_reply", reply: " " }), new Date(), mailEnv);
    expect(empty).toMatchObject({ kind: "invalid", errors: { reply: "replyRequired" } });
    // Without the mail's configuration the act is refused, never recorded as mailed.
    expect((await workOnMessage(db(), handler, english.id, form({ intent: "email_reply", reply: "x" }))).kind).toBe("bad_request");
    // Another agency's handler does not reach it.
    expect(
      (await workOnMessage(db(), staff["police-handler"]!, english.id, form({ intent: "email_reply", reply: "x" }), new Date(), mailEnv))
        .kind,
    ).toBe("not_found");

    const replyText = "Your bill was checked: the amount is right.\n\nThe meter was read on 3 November.";
    const done = await workOnMessage(db(), handler, english.id, form({ intent: "email_reply", reply: replyText }), new Date(), mailEnv);
    expect(done).toMatchObject({ kind: "done", status: "answered" });
    const message = await inboxMessage(db(), handler, english.id);
    expect(message?.actions.map((a) => [a.kind, a.replyChannel])).toEqual([["reply", "email"]]);
    const [mail] = await db().select().from(schema.emailOutbox).where(eq(schema.emailOutbox.feedbackMessageId, english.id));
    expect(mail).toMatchObject({
      kind: "contact_reply",
      toAddress: SENDER.email,
      locale: "en",
      dedupeKey: `contact_reply:${message!.actions[0]!.id}`,
    });
    expect(mail!.subject).toContain(english.reference);
    expect(mail!.textBody).toContain("The meter was read on 3 November.");
    expect(mail!.textBody).toContain("> 我的帳單金額好像不對");
    const [reply] = await auditOf(english.id, "inbox.reply_recorded");
    expect(reply!.details).toMatchObject({ channel: "email", to: "answered" });
    expect(JSON.stringify(reply!.details)).not.toContain("meter");
  });

  it("refuses to mail a sender who stopped contact replies, keeping the reply typed", async () => {
    const handler = staff["water-handler"]!;
    const mailEnv = { PUBLIC_URL: "https://pay.example.tw", PII_HMAC_KEY: PII_KEY };
    const message = await send("water");
    await db()
      .insert(schema.emailOptOuts)
      .values({ addressDigest: addressDigest(mailEnv, SENDER.email), kind: "contact_reply" });
    try {
      const refused = await workOnMessage(
        db(),
        handler,
        message.id,
        form({ intent: "email_reply", reply: "已確認。" }),
        new Date(),
        mailEnv,
      );
      expect(refused).toMatchObject({ kind: "invalid", errors: { reply: "emailNotPossible" }, values: { reply: "已確認。" } });
      expect((await inboxMessage(db(), handler, message.id))?.status).toBe("new");
      expect(await db().select().from(schema.emailOutbox).where(eq(schema.emailOutbox.feedbackMessageId, message.id))).toEqual([]);
    } finally {
      await db().delete(schema.emailOptOuts).where(eq(schema.emailOptOuts.kind, "contact_reply"));
    }
  });

  it("refuses a reply to a closed message until it is reopened", async () => {
    const admin = staff["city-admin"]!;
    expect((await workOnMessage(db(), admin, messages.unrouted, form({ intent: "status", status: "closed" }))).kind).toBe("done");
    const refused = await workOnMessage(db(), admin, messages.unrouted, form({ intent: "reply", reply: "已修正。", channel: "other" }));
    expect(refused).toMatchObject({ kind: "invalid", errors: { reply: "replyNotAllowed" } });
    expect((await workOnMessage(db(), admin, messages.unrouted, form({ intent: "status", status: "in_progress" }))).kind).toBe("done");
    expect((await workOnMessage(db(), admin, messages.unrouted, form({ intent: "reply", reply: "已修正。", channel: "other" }))).kind).toBe(
      "done",
    );
    expect(await listed("city-admin", "status=answered")).toEqual([messages.unrouted]);
    expect(await listed("city-admin", "status=new")).toEqual([]);
    expect(await listed("auditor", "topic=website")).toEqual([messages.unrouted]);
  });

  // ---- Duplicate payments ---------------------------------------------------------------

  it("lists each agency's refund cases with both payments side by side, and no other agency's", async () => {
    // Police: a traffic fine paid by a second order after the first was given up, then paid late all the same.
    const [fine] = await unpaidBills(db(), "traffic-fine", 1);
    const first = await createPaymentOrder(world.ctx, { billIds: [fine!.id], tool: "credit_card", idempotencyKey: newKey() });
    if (first.kind !== "created") throw new Error(first.kind);
    await applyTransition(world.ctx, first.order.id, "pending", { source: "system" });
    await applyTransition(world.ctx, first.order.id, "cancelled", { source: "payer" });
    const second = await createPaymentOrder(world.ctx, { billIds: [fine!.id], tool: "line_pay", idempotencyKey: newKey() });
    if (second.kind !== "created") throw new Error(second.kind);
    await applyTransition(world.ctx, second.order.id, "pending", { source: "system" });
    await applyTransition(world.ctx, second.order.id, "paid", { source: "provider_notification" });
    await applyTransition(world.ctx, first.order.id, "paid", { source: "provider_notification" });

    // Water: a bill paid here that its source then reports paid at a store.
    const [water] = await unpaidBills(db(), "water-bill", 1);
    const paid = await createPaymentOrder(world.ctx, { billIds: [water!.id], tool: "line_pay", idempotencyKey: newKey() });
    if (paid.kind !== "created") throw new Error(paid.kind);
    await applyTransition(world.ctx, paid.order.id, "pending", { source: "system" });
    await applyTransition(world.ctx, paid.order.id, "paid", { source: "provider_notification" });
    const settledAt = "2026-01-05T09:30:00+08:00";
    await openRefundCasesForBillsPaidTwice(db(), [{ billId: water!.id, source: "water", channel: "convenience_store", settledAt }]);

    const police = await listDuplicatePayments(db(), staff["police-handler"]!, parseDuplicateFilters(new URLSearchParams()));
    expect(police.cases).toHaveLength(1);
    expect(police.cases[0]).toMatchObject({
      billTypeCode: "traffic-fine",
      writeOffNumber: fine!.writeOffNumber,
      amount: fine!.amount,
      reason: "bill_paid_by_another_order",
      state: "open",
      portalPayment: { orderId: first.order.id, reference: first.order.reference, paymentTool: "credit_card", amount: fine!.amount },
      otherPayment: { kind: "portal", order: { orderId: second.order.id, reference: second.order.reference, paymentTool: "line_pay" } },
    });
    expect(police.cases[0]!.portalPayment.paidAt).not.toBeNull();

    const waterCases = await listDuplicatePayments(db(), staff["water-handler"]!, parseDuplicateFilters(new URLSearchParams("state=open")));
    expect(waterCases.cases).toMatchObject([
      {
        billTypeCode: "water-bill",
        reason: "source_reports_other_payment",
        portalPayment: { orderId: paid.order.id, reference: paid.order.reference },
        otherPayment: { kind: "elsewhere", source: "water", channel: "convenience_store", at: settledAt },
      },
    ]);
    expect(
      (await listDuplicatePayments(db(), staff["water-handler"]!, parseDuplicateFilters(new URLSearchParams("state=refunded")))).total,
    ).toBe(0);
    const all = await listDuplicatePayments(db(), staff.auditor!, parseDuplicateFilters(new URLSearchParams("state=bogus")));
    expect(all.cases.map((c) => c.agencyCode).sort()).toEqual(["police", "water"]);
    const viewed = await db()
      .select()
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.action, "duplicates.searched"), eq(schema.auditLog.actorId, staff["water-handler"]!.staffId)))
      .orderBy(schema.auditLog.seq);
    expect(viewed.map((entry) => entry.details)).toEqual([
      { state: "open", page: 1, results: 1 },
      { state: "refunded", page: 1, results: 0 },
    ]);
  });
});
