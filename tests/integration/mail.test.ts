import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MAX_EMAIL_ATTEMPTS, emailBackoffSeconds } from "~/domain/email";
import { installConfiguration } from "~/base/env.server";
import { schema, setAppDatabase, type Database } from "~/base/db.server";
import { mailHooks } from "~/composition/mail-hooks.server";
import { createMailSandbox, type MailSandbox } from "~/demo/mail-server.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { deliverEmails, startMailDelivery, type MailDeliveryContext } from "~/mail/delivery.server";
import type { MailHooks } from "~/mail/hooks.server";
import { queueEmail, type MailToQueue } from "~/mail/outbox.server";
import { mailTransportFromEnv, type MailTransport } from "~/mail/transport.server";
import { addressDigest, unsubscribeUrl } from "~/mail/unsubscribe.server";
import { readPayerEmail, submitCheckout } from "~/payments/checkout.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { loader as unsubscribeLoader, action as unsubscribeAction } from "~/routes/email.unsubscribe";
import { describeEachDatabase } from "../support/databases";
import { followBack, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

let counter = 0;
const newKey = () => `00000000-0000-4000-9000-${String(++counter).padStart(12, "0")}`;

const mailTo = (to: string, overrides: Partial<MailToQueue> = {}): MailToQueue => ({
  kind: "contact_reply",
  dedupeKey: `test:${randomUUID()}`,
  to,
  locale: "zh-TW",
  content: { subject: "回覆", heading: "您的來信", paragraphs: ["謝謝您的來信。"] },
  ...overrides,
});

describeEachDatabase(
  "mail",
  (database) => {
    const db = (): Database => database().db;
    let world: PaymentWorld;
    let mailbox: MailSandbox;
    let transport: MailTransport;
    let ctx: MailDeliveryContext;
    const noHooks: MailHooks = { checks: {}, attachment: async () => null };

    beforeAll(async () => {
      mailbox = createMailSandbox();
      const port = await mailbox.listen(0);
      world = await startPaymentWorld(db(), { SMTP_URL: `smtp://127.0.0.1:${port}` });
      transport = mailTransportFromEnv(world.ctx.env)!;
      ctx = { db: db(), env: world.ctx.env, logger: world.ctx.logger, transport };
      setAppDatabase(database());
      installConfiguration(world.ctx.env);
    });
    afterAll(async () => {
      setAppDatabase(undefined);
      transport.close();
      await mailbox.close();
      await world.close();
    });

    const queue = (mail: MailToQueue, now = new Date()) =>
      db().transaction((tx) => queueEmail(tx as unknown as Database, world.ctx.env, mail, now));
    const outboxRow = async (dedupeKey: string) =>
      (await db().select().from(schema.emailOutbox).where(eq(schema.emailOutbox.dedupeKey, dedupeKey)))[0]!;
    const attemptsOf = (emailId: string) =>
      db().select().from(schema.emailAttempts).where(eq(schema.emailAttempts.emailId, emailId)).orderBy(schema.emailAttempts.id);

    it("sends a queued mail over SMTP once, with its plain-text and HTML parts, and logs the attempt", async () => {
      const mail = mailTo("resident-1@example.tw");
      expect(await queue(mail)).toBe("queued");
      const received = mailbox.nextMail();
      const run = await deliverEmails(ctx, noHooks);
      expect(run).toMatchObject({ sent: 1, failed: 0 });
      const got = await received;
      expect(got.to).toEqual(["resident-1@example.tw"]);
      expect(got.kind).toBe("contact_reply");
      expect(got.text).toContain("謝謝您的來信。");
      expect(got.html).toContain("<h1");
      const row = await outboxRow(mail.dedupeKey);
      expect(row).toMatchObject({ state: "sent", attempts: 1 });
      expect(got.outboxId).toBe(row.id);
      const attempts = await attemptsOf(row.id);
      expect(attempts.map((attempt) => attempt.outcome)).toEqual(["sent"]);
      expect(attempts[0]!.detail).toMatch(/^250/);
      // Sent is sent: another run sends nothing again.
      expect((await deliverEmails(ctx, noHooks)).claimed).toBe(0);
    });

    it("sends each mail once when several instances run the job at the same moment", async () => {
      const mails = Array.from({ length: 12 }, (_, i) => mailTo(`resident-many-${i}@example.tw`));
      for (const mail of mails) await queue(mail);
      const before = mailbox.received;
      const other = mailTransportFromEnv(world.ctx.env)!;
      try {
        const runs = await Promise.all([
          deliverEmails(ctx, noHooks, new Date(), 5),
          deliverEmails({ ...ctx, transport: other }, noHooks, new Date(), 5),
          deliverEmails(ctx, noHooks, new Date(), 5),
        ]);
        const remaining = await deliverEmails(ctx, noHooks, new Date(), 50);
        expect(runs.reduce((sum, run) => sum + run.sent, 0) + remaining.sent).toBe(12);
      } finally {
        other.close();
      }
      expect(mailbox.received - before).toBe(12);
      for (const mail of mails) expect((await outboxRow(mail.dedupeKey)).attempts).toBe(1);
    });

    it("queues one mail per key, however often it is asked", async () => {
      const mail = mailTo("resident-2@example.tw");
      expect(await queue(mail)).toBe("queued");
      expect(await queue({ ...mail, to: "someone-else@example.tw" })).toBe("duplicate");
      expect(await queue({ ...mail, to: "not an address" })).toBe("bad_address");
      const rows = await db().select().from(schema.emailOutbox).where(eq(schema.emailOutbox.dedupeKey, mail.dedupeKey));
      expect(rows.map((row) => row.toAddress)).toEqual(["resident-2@example.tw"]);
      await deliverEmails(ctx, noHooks);
    });

    it("retries a mail the SMTP server refuses, with back-off, and gives it up after the last attempt", async () => {
      const mail = mailTo("resident-3@example.tw");
      const start = new Date();
      await queue(mail, start);
      mailbox.refuse = { code: 451, message: "mailbox busy, try later" };
      try {
        let now = start;
        for (let attempt = 1; attempt <= MAX_EMAIL_ATTEMPTS; attempt++) {
          const run = await deliverEmails(ctx, noHooks, now);
          expect(run.failed, `attempt ${attempt}`).toBe(1);
          const row = await outboxRow(mail.dedupeKey);
          expect(row.attempts).toBe(attempt);
          if (attempt < MAX_EMAIL_ATTEMPTS) {
            expect(row.state).toBe("queued");
            expect(row.nextAttemptAt.getTime() - now.getTime()).toBe(emailBackoffSeconds(attempt - 1) * 1000);
            // Not before its time.
            expect((await deliverEmails(ctx, noHooks, new Date(row.nextAttemptAt.getTime() - 1000))).claimed).toBe(0);
            now = row.nextAttemptAt;
          }
        }
        const row = await outboxRow(mail.dedupeKey);
        expect(row.state).toBe("failed");
        expect(row.lastError).toContain("mailbox busy");
        const attempts = await attemptsOf(row.id);
        expect(attempts).toHaveLength(MAX_EMAIL_ATTEMPTS);
        expect(attempts.every((attempt) => attempt.outcome === "failed" && attempt.detail.includes("451"))).toBe(true);
        expect(world.logs.some((log) => log.alert === "email_undelivered" && log.email === row.id)).toBe(true);
        expect(JSON.stringify(world.logs)).not.toContain("resident-3@example.tw");
      } finally {
        mailbox.refuse = null;
      }
    });

    it("cancels a mail whose address opted out of its kind after it was queued, and logs why", async () => {
      const mail = mailTo("resident-4@example.tw", { kind: "receipt" });
      await queue(mail);
      await db()
        .insert(schema.emailOptOuts)
        .values({ addressDigest: addressDigest(world.ctx.env, mail.to), kind: "receipt" });
      const before = mailbox.mails.length;
      expect(await deliverEmails(ctx, noHooks)).toMatchObject({ cancelled: 1, sent: 0 });
      expect(mailbox.mails.length).toBe(before);
      const row = await outboxRow(mail.dedupeKey);
      expect(row.state).toBe("cancelled");
      expect((await attemptsOf(row.id)).map((attempt) => [attempt.outcome, attempt.detail])).toEqual([
        ["cancelled", "opted out of this kind of mail"],
      ]);
      // And a new one of that kind is not even queued.
      expect(await queue(mailTo(mail.to, { kind: "receipt" }))).toBe("opted_out");
    });

    it("cancels a mail its feature's check says is no longer true (a reminder for a bill paid meanwhile)", async () => {
      const mail = mailTo("resident-5@example.tw", { kind: "due_reminder" });
      await queue(mail);
      const hooks: MailHooks = { ...noHooks, checks: { due_reminder: async () => ({ send: false, reason: "bill paid meanwhile" }) } };
      expect(await deliverEmails(ctx, hooks)).toMatchObject({ cancelled: 1 });
      const row = await outboxRow(mail.dedupeKey);
      expect(row.state).toBe("cancelled");
      expect((await attemptsOf(row.id))[0]).toMatchObject({ outcome: "cancelled", detail: "bill paid meanwhile" });
    });

    it("mails the receipt when a payment is recorded: PDF attached, numbers masked, anti-fraud notice and unsubscribe link", async () => {
      const [bill] = await unpaidBills(db(), "traffic-fine", 1);
      const created = await createPaymentOrder(world.ctx, {
        billIds: [bill!.id],
        tool: "line_pay",
        idempotencyKey: newKey(),
        payerEmail: "payer@example.tw",
        locale: "en",
      });
      if (created.kind !== "created") throw new Error(created.kind);
      const started = await startPayment(world.ctx, created.order);
      if (started.kind !== "redirect") throw new Error(started.kind);
      const paid = await followBack(world, await payerAtLinePay(started.url, "approve"));
      expect(paid?.state).toBe("paid");
      const [queued] = await db().select().from(schema.emailOutbox).where(eq(schema.emailOutbox.orderId, created.order.id));
      expect(queued).toMatchObject({
        kind: "receipt",
        dedupeKey: `receipt:${created.order.id}`,
        toAddress: "payer@example.tw",
        locale: "en",
      });

      const received = mailbox.nextMail();
      expect(await deliverEmails(ctx, mailHooks(world.ctx.env))).toMatchObject({ sent: 1 });
      const got = await received;
      expect(got.subject).toContain("Payment received");
      const [receipt] = await db().select().from(schema.receipts).where(eq(schema.receipts.orderId, created.order.id));
      expect(got.text).toContain(receipt!.number);
      // The write-off number only masked, in both parts.
      expect(got.text).not.toContain(bill!.writeOffNumber);
      expect(got.html).not.toContain(bill!.writeOffNumber);
      expect(got.text).toContain(`${bill!.writeOffNumber.slice(0, 2)}*`);
      expect(got.text).toContain(`${world.ctx.env.PUBLIC_URL}/records`);
      expect(got.text).toContain("It never asks for your password");
      expect(got.text).toContain(`${world.ctx.env.PUBLIC_URL}/email/unsubscribe?kind=receipt`);
      expect(got.attachments).toHaveLength(1);
      expect(got.attachments[0]).toMatchObject({ contentType: "application/pdf", filename: `receipt-${receipt!.number}.pdf` });
      expect(got.attachments[0]!.content.subarray(0, 5).toString()).toBe("%PDF-");
    });

    it("sends the receipt within moments of the payment, woken by the queue's notice rather than its interval", async () => {
      const job = await startMailDelivery({
        database: database(),
        context: () => ctx,
        hooks: mailHooks(world.ctx.env),
        intervalMs: 3_600_000,
      });
      try {
        // The first run (at start) has found nothing; the next comes from the notice.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const mail = mailTo("resident-6@example.tw");
        const received = mailbox.nextMail();
        await queue(mail);
        expect((await received).to).toEqual(["resident-6@example.tw"]);
      } finally {
        await job.stop();
      }
    });

    it("uses a member's own address for the receipt when the payer left none", async () => {
      const [member] = await db()
        .insert(schema.members)
        .values({ issuer: "test", subject: randomUUID(), displayName: "林美芯", email: "member@example.tw" })
        .returning();
      const [bill] = await unpaidBills(db(), "traffic-fine", 1);
      const created = await createPaymentOrder(world.ctx, {
        billIds: [bill!.id],
        tool: "line_pay",
        idempotencyKey: newKey(),
        memberId: member!.id,
      });
      if (created.kind !== "created") throw new Error(created.kind);
      const started = await startPayment(world.ctx, created.order);
      if (started.kind !== "redirect") throw new Error(started.kind);
      await followBack(world, await payerAtLinePay(started.url, "approve"));
      const [queued] = await db().select().from(schema.emailOutbox).where(eq(schema.emailOutbox.orderId, created.order.id));
      expect(queued).toMatchObject({ toAddress: "member@example.tw", locale: "zh-TW", memberId: member!.id });
      await deliverEmails(ctx, mailHooks(world.ctx.env));
    });

    it("unsubscribes only on the button's post: opening the link changes nothing; a forged link is refused with a page", async () => {
      const env = world.ctx.env;
      const address = "Member-Unsub@example.tw";
      const [member] = await db()
        .insert(schema.members)
        .values({ issuer: "test", subject: randomUUID(), displayName: "王小明", email: address })
        .returning();
      const link = new URL(unsubscribeUrl(env, "due_reminder", address));
      const context = { requestId: randomUUID(), cspNonce: "", logger: world.ctx.logger, clientAddress: "127.0.0.1" };
      const optOuts = () =>
        db()
          .select()
          .from(schema.emailOptOuts)
          .where(eq(schema.emailOptOuts.addressDigest, addressDigest(env, address)));

      const opened = await unsubscribeLoader({ request: new Request(link), params: {}, context } as never);
      expect(opened.status).toBe(200);
      expect(await opened.json()).toMatchObject({ link: { kind: "due_reminder" }, already: false });
      expect(await optOuts()).toEqual([]);

      const posted = await unsubscribeAction({
        request: new Request(link.origin + link.pathname, { method: "POST", body: link.searchParams }),
        params: {},
        context,
      } as never);
      expect(posted.status).toBe(200);
      expect((await optOuts()).map((row) => row.kind)).toEqual(["due_reminder"]);
      const [after] = await db().select().from(schema.members).where(eq(schema.members.id, member!.id));
      expect(after!.emailKinds).not.toContain("due_reminder");
      expect(after!.emailKinds).toContain("receipt");

      // Another kind with this address's signature, or another address with it: refused, nothing recorded.
      const forged = new URL(link);
      forged.searchParams.set("kind", "receipt");
      const refused = await unsubscribeLoader({ request: new Request(forged), params: {}, context } as never);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ link: null });
      const refusedPost = await unsubscribeAction({
        request: new Request(forged.origin + forged.pathname, { method: "POST", body: forged.searchParams }),
        params: {},
        context,
      } as never);
      expect(refusedPost.status).toBe(400);
      expect((await optOuts()).map((row) => row.kind)).toEqual(["due_reminder"]);
      const broken = await unsubscribeLoader({
        request: new Request(`${env.PUBLIC_URL}/email/unsubscribe?kind=%00&a=zz`),
        params: {},
        context,
      } as never);
      expect(broken.status).toBe(400);
    });

    it("refuses a checkout whose e-mail address cannot be one, before any order is made", async () => {
      expect(readPayerEmail("")).toEqual({ ok: true, email: null });
      expect(readPayerEmail("  payer@example.tw ")).toEqual({ ok: true, email: "payer@example.tw" });
      expect(readPayerEmail("payer@example")).toEqual({ ok: false });
      expect(readPayerEmail("a@b.tw\r\nBcc: x@y.tw")).toEqual({ ok: false });
      const [bill] = await unpaidBills(db(), "traffic-fine", 1);
      const result = await submitCheckout(world.ctx, {
        billIds: [bill!.id],
        accessible: [],
        tool: "line_pay",
        idempotencyKey: newKey(),
        memberId: null,
        entryChannel: null,
        ownReferences: new Set(),
        locale: "zh-TW",
        payerEmail: "not-an-address",
      });
      expect(result).toEqual({ kind: "refused", problems: [{ code: "payerEmail" }], status: 400 });
      expect(await db().select().from(schema.paymentOrderItems).where(eq(schema.paymentOrderItems.billId, bill!.id))).toEqual([]);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, {
      piiHmacKey: "mail-test-pii-key-mail-test-mail-tes",
      today: new Date().toISOString().slice(0, 10),
    });
  },
);
