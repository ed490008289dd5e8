import { maskWriteOffNumber } from "~/domain/masking";
import { and, eq, inArray, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, taipeiDate } from "~/domain/dates";
import { formatMoney } from "~/domain/format";
import { addBinding } from "~/members/bindings.server";
import { readEmailSettingsForm, saveEmailSettings } from "~/members/email-settings.server";
import { remindDueBills, reminderChecks } from "~/members/reminders.server";
import { upsertMember, type Member } from "~/members/sessions.server";
import { breakGlassRefund } from "~/money/refunds.server";
import { codeReminderChecks, remindOutstandingCodes } from "~/payments/code-reminders.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder, type CreateOrderResult } from "~/payments/orders/create.server";
import { changeBills } from "~/bills/lifecycle.server";
import { schema, type Database } from "~/base/db.server";
import { REMINDER_SHOWCASE_RESIDENT, generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import type { OutboxMail } from "~/mail/hooks.server";
import { describeEachDatabase } from "../support/databases";
import { startMemberWorld, type MemberWorld } from "../support/members";
import { followBack, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/**
 * What a resident is told by e-mail without asking each time (issue 17):
 * members' reminders of their bound numbers' bills (before the due date,
 * once overdue, never for a bill paid anywhere, never twice), the reminder
 * of a payment code about to expire, and the notice of a refund. Each is
 * asserted on the outbox, where the mail job picks mails up.
 */

const NOW = new Date("2026-12-02T01:00:00Z"); // 09:00 in Taiwan
const TODAY = taipeiDate(NOW);
const PLATE = "RMD-5501";
let keyCounter = 0;
const newKey = () => `00000000-0000-4000-b000-${String(++keyCounter).padStart(12, "0")}`;
let numberCounter = 0;

function identity(subject: string) {
  return { issuer: "https://id.example", subject, name: "林美芯", nationalId: null, verified: false, idToken: null, returnTo: "/account" };
}

/** A traffic fine for a plate, due on a day relative to today. */
async function fineFor(db: Database, plate: string, dueInDays: number, amount = 1200): Promise<{ id: string; writeOffNumber: string }> {
  const writeOffNumber = `GF9${String(++numberCounter).padStart(7, "0")}`;
  const dueDate = addDays(TODAY, dueInDays);
  const [bill] = await db
    .insert(schema.bills)
    .values({
      billTypeCode: "traffic-fine",
      writeOffNumber,
      payerName: "林美芯",
      subject: plate,
      amount,
      issuedOn: addDays(dueDate, -30),
      dueDate,
      period: "1512",
    })
    .returning({ id: schema.bills.id, writeOffNumber: schema.bills.writeOffNumber });
  return bill!;
}

const outboxOf = (db: Database, prefix: string) =>
  db
    .select()
    .from(schema.emailOutbox)
    .where(like(schema.emailOutbox.dedupeKey, `${prefix}%`));

describeEachDatabase(
  "e-mail reminders and notices",
  (database) => {
    const db = () => database().db;
    let world: MemberWorld;
    const reminders = () => ({ ...world.ctx, env: world.env });
    let payments: PaymentWorld;
    let everything: Member;
    let overdueOnly: Member;
    const bills: Record<"due" | "later" | "overdue" | "paidHere" | "paidAtSource", { id: string; writeOffNumber: string }> = {} as never;

    async function member(subject: string, settings: { email: string; kinds: string[]; locale?: "zh-TW" | "en" }) {
      const created = await upsertMember(db(), world.env, identity(subject));
      const form = new FormData();
      form.set("email", settings.email);
      for (const kind of settings.kinds) form.append("kinds", kind);
      expect(
        (
          await saveEmailSettings(
            db(),
            { memberId: created.id, requestId: "test" },
            readEmailSettingsForm(form),
            settings.locale ?? "zh-TW",
          )
        ).ok,
      ).toBe(true);
      expect(
        (await addBinding(db(), world.env, { memberId: created.id, requestId: "test" }, { kind: "vehicle_plate", value: PLATE, label: "" }))
          .ok,
      ).toBe(true);
      return created;
    }

    beforeAll(async () => {
      world = await startMemberWorld(db());
      payments = await startPaymentWorld(db());
      bills.due = await fineFor(db(), PLATE, 2);
      bills.later = await fineFor(db(), PLATE, 10);
      bills.overdue = await fineFor(db(), PLATE, -3);
      bills.paidHere = await fineFor(db(), PLATE, 1);
      bills.paidAtSource = await fineFor(db(), PLATE, 3);
      everything = await member("everything", {
        email: "mei.lin@example.tw",
        kinds: ["receipt", "refund_notice", "code_reminder", "due_reminder", "overdue_reminder"],
      });
      overdueOnly = await member("overdue-only", { email: "wang@example.tw", kinds: ["overdue_reminder"] });
      // No address: never looked at.
      await upsertMember(db(), world.env, identity("no-address"));
    });
    afterAll(async () => {
      await world?.close();
      await payments?.close();
    });

    describe("due-date reminders", () => {
      it("reminds a member of a bill due within the days set and of one overdue, in masked words, and not of a bill due later", async () => {
        const ran = await remindDueBills(reminders(), NOW);
        expect(ran.members).toBe(2);
        const mine = await outboxOf(db(), `due_reminder:${everything.id}:`);
        expect(mine.map((mail) => mail.billId).sort()).toEqual([bills.due.id, bills.paidHere.id, bills.paidAtSource.id].sort());
        const overdue = await outboxOf(db(), `overdue_reminder:${everything.id}:`);
        expect(overdue.map((mail) => mail.billId)).toEqual([bills.overdue.id]);

        const mail = mine.find((row) => row.billId === bills.due.id)!;
        expect(mail).toMatchObject({ kind: "due_reminder", toAddress: "mei.lin@example.tw", state: "queued", memberId: everything.id });
        expect(mail.subject).toContain("交通違規罰鍰");
        expect(mail.textBody).toContain(maskWriteOffNumber(bills.due.writeOffNumber));
        expect(mail.textBody).toContain(formatMoney(1200, "zh-TW"));
        expect(mail.textBody).toContain(`${world.env.PUBLIC_URL}/account`);
        // Only masked numbers: neither the whole payment number nor the plate.
        for (const body of [mail.textBody, mail.htmlBody]) {
          expect(body).not.toContain(bills.due.writeOffNumber);
          expect(body).not.toContain(PLATE);
        }
      });

      it("leaves out the kinds a member did not choose", async () => {
        expect(await outboxOf(db(), `due_reminder:${overdueOnly.id}:`)).toEqual([]);
        expect((await outboxOf(db(), `overdue_reminder:${overdueOnly.id}:`)).map((mail) => mail.billId)).toEqual([bills.overdue.id]);
      });

      it("looks at each member once a day, and reminds of an overdue bill once however many days it stays unpaid", async () => {
        expect(await remindDueBills(reminders(), new Date(NOW.getTime() + 3600_000))).toEqual({ members: 0, queued: 0 });
        const tomorrow = await remindDueBills(reminders(), new Date(NOW.getTime() + 86_400_000));
        expect(tomorrow.members).toBe(2);
        expect(await outboxOf(db(), `overdue_reminder:${everything.id}:`)).toHaveLength(1);
      });

      it("cancels a reminder whose bill was paid before it went, here or at its source, and never reminds of it again", async () => {
        const [paidHere] = await outboxOf(db(), `due_reminder:${everything.id}:${bills.paidHere.id}`);
        const [paidAtSource] = await outboxOf(db(), `due_reminder:${everything.id}:${bills.paidAtSource.id}`);
        const check = reminderChecks.due_reminder!;
        expect(await check(db(), paidHere as OutboxMail, NOW)).toEqual({ send: true });

        const cause = { actorType: "system" as const, actorId: null };
        await changeBills(db(), [bills.paidHere.id], { event: "paid_here", paidAt: NOW }, cause);
        await changeBills(db(), [bills.paidAtSource.id], { event: "paid_elsewhere", channel: "convenience_store", paidAt: NOW }, cause);
        expect(await check(db(), paidHere as OutboxMail, NOW)).toMatchObject({ send: false });
        expect(await check(db(), paidAtSource as OutboxMail, NOW)).toMatchObject({ send: false });
        // The overdue reminder of a paid bill is cancelled too.
        const [overdue] = await outboxOf(db(), `overdue_reminder:${everything.id}:`);
        await changeBills(db(), [bills.overdue.id], { event: "paid_elsewhere", channel: "bank", paidAt: NOW }, cause);
        expect(await reminderChecks.overdue_reminder!(db(), overdue as OutboxMail, NOW)).toMatchObject({ send: false });
      });

      it("cancels a reminder when the member cleared their address or unticked the kind", async () => {
        const [due] = await outboxOf(db(), `due_reminder:${everything.id}:${bills.due.id}`);
        const check = reminderChecks.due_reminder!;
        const save = (email: string, kinds: Member["emailKinds"]) =>
          saveEmailSettings(db(), { memberId: everything.id, requestId: "test" }, { email, kinds }, "zh-TW");
        await save("mei.lin@example.tw", ["overdue_reminder"]);
        expect(await check(db(), due as OutboxMail, NOW)).toMatchObject({ send: false });
        await save("", ["due_reminder", "overdue_reminder"]);
        expect(await check(db(), due as OutboxMail, NOW)).toMatchObject({ send: false });
        await save("mei.lin@example.tw", ["receipt", "refund_notice", "code_reminder", "due_reminder", "overdue_reminder"]);
        expect(await check(db(), due as OutboxMail, NOW)).toEqual({ send: true });
      });

      it("skips the bills of a source that does not answer that day, and reminds of them the day it answers", async () => {
        const now = new Date();
        const showcase = generateDemoData({ today: taipeiDate(now), billsPerType: 1 }).residents[REMINDER_SHOWCASE_RESIDENT]!;
        const member = await upsertMember(db(), world.env, identity("power-source"));
        await saveEmailSettings(
          db(),
          { memberId: member.id, requestId: "test" },
          { email: "power@example.tw", kinds: ["due_reminder"] },
          "zh-TW",
        );
        const account = { kind: "electricity_account" as const, value: showcase.electricityAccount, label: "" };
        expect((await addBinding(db(), world.env, { memberId: member.id, requestId: "test" }, account)).ok).toBe(true);
        world.sources.setBehaviour("power", "down", 20);
        try {
          await remindDueBills(reminders(), now);
          expect(await outboxOf(db(), `due_reminder:${member.id}:`)).toEqual([]);
        } finally {
          world.sources.setBehaviour("power", "normal", 20);
        }
        await remindDueBills(reminders(), new Date(now.getTime() + 86_400_000));
        // Of its three bills, those due tomorrow and in two days; not the one due in two weeks.
        const mails = await outboxOf(db(), `due_reminder:${member.id}:`);
        const reminded = await db()
          .select()
          .from(schema.bills)
          .where(
            inArray(
              schema.bills.id,
              mails.map((mail) => mail.billId!),
            ),
          );
        expect(reminded.map((bill) => bill.source)).toEqual(["power", "power"]);
        expect(reminded.map((bill) => bill.dueDate).sort()).toEqual([addDays(taipeiDate(now), 1), addDays(taipeiDate(now), 2)]);
      });

      it("shares the members among runs at once: each is looked at by one run only", async () => {
        // An earlier test runs on the real clock (the sources' bills are due from today): from this evening in UTC its
        // members count as looked at on NOW's day after next. Each run here must find every member not yet looked at.
        await db().update(schema.members).set({ remindersCheckedAt: null });
        const later = new Date(NOW.getTime() + 2 * 86_400_000);
        const eligible = (await db().select().from(schema.members)).filter(
          (row) => row.email && row.emailKinds.some((kind) => kind === "due_reminder" || kind === "overdue_reminder"),
        );
        expect(eligible.length).toBeGreaterThan(1);
        const [first, second] = await Promise.all([remindDueBills(reminders(), later, 1), remindDueBills(reminders(), later, 1)]);
        expect(first!.members + second!.members).toBe(eligible.length);
      });
    });

    describe("payment codes", () => {
      async function awaitingOrder(expiresInHours: number, payerEmail: string | null, memberId: string | null = null) {
        const [bill] = await unpaidBills(db(), "traffic-fine", 1);
        const created: CreateOrderResult = await createPaymentOrder(payments.ctx, {
          billIds: [bill!.id],
          tool: "line_pay",
          idempotencyKey: newKey(),
        });
        if (created.kind !== "created") throw new Error(created.kind);
        const expiresAt = new Date(NOW.getTime() + expiresInHours * 3600_000).toISOString();
        await db()
          .update(schema.paymentOrders)
          .set({
            state: "awaiting_payment",
            paymentTool: "atm_transfer",
            provider: "ecpay",
            payerEmail,
            memberId,
            paymentInstructions: { kind: "atm", bankCode: "812", account: "9103522851234567", expiresAt },
          })
          .where(eq(schema.paymentOrders.id, created.order.id));
        return { order: created.order, billId: bill!.id };
      }

      it("reminds once of an ATM account about to expire, showing its last four digits and the way to the full instructions", async () => {
        const soon = await awaitingOrder(10, "payer@example.tw");
        const notYet = await awaitingOrder(48, "payer@example.tw");
        const nowhere = await awaitingOrder(10, null);
        expect((await remindOutstandingCodes(payments.ctx, NOW)).queued).toBe(1);
        expect((await remindOutstandingCodes(payments.ctx, NOW)).queued).toBe(0);
        const [mail] = await outboxOf(db(), `code_reminder:${soon.order.id}`);
        expect(mail).toMatchObject({ kind: "code_reminder", toAddress: "payer@example.tw", orderId: soon.order.id });
        expect(mail!.textBody).toContain("…4567");
        expect(mail!.textBody).not.toContain("9103522851234567");
        expect(mail!.textBody).toContain(`${payments.ctx.env.PUBLIC_URL}/payments/${soon.order.reference}`);
        expect(await outboxOf(db(), `code_reminder:${notYet.order.id}`)).toEqual([]);
        expect(await outboxOf(db(), `code_reminder:${nowhere.order.id}`)).toEqual([]);
      });

      it("sends a code reminder to the member's address when the payer left none, and not once the code was paid or expired", async () => {
        const member = await upsertMember(db(), world.env, identity("code-member"));
        await saveEmailSettings(
          db(),
          { memberId: member.id, requestId: "test" },
          { email: "member@example.tw", kinds: ["code_reminder"] },
          "zh-TW",
        );
        const { order } = await awaitingOrder(5, null, member.id);
        await remindOutstandingCodes(payments.ctx, NOW);
        const [mail] = await outboxOf(db(), `code_reminder:${order.id}`);
        expect(mail!.toAddress).toBe("member@example.tw");
        const check = codeReminderChecks.code_reminder!;
        expect(await check(db(), mail as OutboxMail, NOW)).toEqual({ send: true });
        expect(await check(db(), mail as OutboxMail, new Date(NOW.getTime() + 6 * 3600_000))).toMatchObject({ send: false });
        await db().update(schema.paymentOrders).set({ state: "expired" }).where(eq(schema.paymentOrders.id, order.id));
        expect(await check(db(), mail as OutboxMail, NOW)).toMatchObject({ send: false });
      });

      it("keeps a bill held by an outstanding code out of the due reminders", async () => {
        const plate = "HLD-2046";
        const held = await fineFor(db(), plate, 1);
        const member = await upsertMember(db(), world.env, identity("held"));
        await saveEmailSettings(
          db(),
          { memberId: member.id, requestId: "test" },
          { email: "held@example.tw", kinds: ["due_reminder"] },
          "zh-TW",
        );
        await addBinding(db(), world.env, { memberId: member.id, requestId: "test" }, { kind: "vehicle_plate", value: plate, label: "" });
        const created = await createPaymentOrder(payments.ctx, { billIds: [held.id], tool: "line_pay", idempotencyKey: newKey() });
        if (created.kind !== "created") throw new Error(created.kind);
        await db()
          .update(schema.paymentOrders)
          .set({
            state: "awaiting_payment",
            paymentTool: "store_code",
            provider: "ecpay",
            paymentInstructions: {
              kind: "store_code",
              code: "LLL22251234567",
              expiresAt: new Date(NOW.getTime() + 3 * 3600_000).toISOString(),
            },
          })
          .where(eq(schema.paymentOrders.id, created.order.id));
        await remindDueBills(reminders(), new Date(NOW.getTime() + 3 * 86_400_000));
        expect(await outboxOf(db(), `due_reminder:${member.id}:`)).toEqual([]);
      });
    });

    describe("refund notices", () => {
      it("tells the payer, with the refund itself, how much comes back for which payment and bill", async () => {
        const [bill] = await unpaidBills(db(), "traffic-fine", 1);
        const created = await createPaymentOrder(payments.ctx, { billIds: [bill!.id], tool: "line_pay", idempotencyKey: newKey() });
        if (created.kind !== "created") throw new Error(created.kind);
        await db()
          .update(schema.paymentOrders)
          .set({ payerEmail: "refund@example.tw" })
          .where(eq(schema.paymentOrders.id, created.order.id));
        const started = await startPayment(payments.ctx, created.order);
        if (started.kind !== "redirect") throw new Error(started.kind);
        expect((await followBack(payments, await payerAtLinePay(started.url, "approve")))?.state).toBe("paid");
        const refunded = await breakGlassRefund(payments.ctx, {
          orderReference: created.order.reference,
          refundableAsSeen: created.order.totalAmount,
          operator: "clerk-1",
          systemUser: "ops",
          reasonText: "test",
        });
        expect(refunded.kind).toBe("refunded");
        const [refund] = await db().select().from(schema.refunds).where(eq(schema.refunds.orderId, created.order.id));
        const [receipt] = await db().select().from(schema.receipts).where(eq(schema.receipts.orderId, created.order.id));
        const [mail] = await db()
          .select()
          .from(schema.emailOutbox)
          .where(and(eq(schema.emailOutbox.kind, "refund_notice"), eq(schema.emailOutbox.refundId, refund!.id)));
        expect(mail).toMatchObject({ toAddress: "refund@example.tw", dedupeKey: `refund_notice:${refund!.id}`, orderId: created.order.id });
        expect(mail!.textBody).toContain(receipt!.number);
        expect(mail!.textBody).toContain(refund!.number);
        expect(mail!.textBody).toContain(formatMoney(bill!.amount, "zh-TW"));
        expect(mail!.textBody).toContain(maskWriteOffNumber(bill!.writeOffNumber));
        expect(mail!.textBody).not.toContain(bill!.writeOffNumber);
      });
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "reminders-test-pii-key-reminders-test", today: TODAY });
  },
);
