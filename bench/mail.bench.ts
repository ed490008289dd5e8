import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { it } from "vitest";
import type { Database } from "~/base/db.server";
import { mailHooks } from "~/composition/mail-hooks.server";
import { createMailSandbox } from "~/demo/mail-server.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { composeMail } from "~/mail/compose.server";
import { deliverEmails, startMailDelivery } from "~/mail/delivery.server";
import { queueEmail, type MailToQueue } from "~/mail/outbox.server";
import { POOLED_CONNECTIONS, mailTransportFromEnv } from "~/mail/transport.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { TEST_DATABASES } from "../tests/support/databases";
import { followBack, payerAtLinePay, startPaymentWorld, unpaidBills } from "../tests/support/payments";

/**
 * Mail: (1) mails per second from the outbox to a local SMTP server (the
 * demo's, in process), N queued mails sent by the mail job's runs (claim,
 * checks, send, log), against the same mails sent straight through the same
 * nodemailer transport, as many at once (the baseline, in the same run): the ratio is what the
 * outbox costs on top of SMTP. (2) The time from a payment's confirmation
 * (the payer back from LINE Pay: the confirm call and the paid transition)
 * to its receipt mail, PDF attached, received by the SMTP server, with the
 * job woken by the queue's notice: median and p95 over PAYMENTS payments.
 * Figures go to bench/results/mail-<database>.json.
 */
const MAILS = Number(process.env.BENCH_MAIL_COUNT ?? 500);
const PAYMENTS = Number(process.env.BENCH_MAIL_PAYMENTS ?? 30);

const percentile = (sorted: number[], p: number) =>
  Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;

const benchMail = (i: number): MailToQueue => ({
  kind: "contact_reply",
  dedupeKey: `bench:${randomUUID()}`,
  to: `resident-${i}@example.tw`,
  locale: "zh-TW",
  content: { subject: "回覆您的來信", heading: "您的來信", paragraphs: ["謝謝您的來信，我們已處理完畢。"], details: [["案號", `C${i}`]] },
});

for (const kind of TEST_DATABASES)
  it(`mail from the outbox on ${kind.name}`, async () => {
    const created = await kind.create();
    const db = created.handle.db;
    await seedDemoDataIfEmpty(db, { piiHmacKey: "bench-pii-key-bench-pii-key-bench-pii", billsPerType: 100 });
    const mailbox = createMailSandbox();
    const port = await mailbox.listen(0);
    const world = await startPaymentWorld(db, { PROVIDER_TIMEOUT_MS: "10000", SMTP_URL: `smtp://127.0.0.1:${port}` });
    world.ctx.logger.level = "warn";
    const env = world.ctx.env;
    const transport = mailTransportFromEnv(env)!;
    const ctx = { db, env, logger: world.ctx.logger, transport };
    const hooks = mailHooks(env);
    try {
      // Baseline: the same mails, composed, straight through nodemailer.
      const composed = await Promise.all(
        Array.from({ length: MAILS }, async (_, i) => {
          const mail = benchMail(i);
          return { ...(await composeMail(env, mail.kind, mail.locale, mail.to, mail.content)), to: mail.to };
        }),
      );
      let started = performance.now();
      // As many at once as the mail job sends (one per pooled connection).
      let next = 0;
      await Promise.all(
        Array.from({ length: POOLED_CONNECTIONS }, async () => {
          for (let i = next++; i < MAILS; i = next++)
            await transport.send({ ...composed[i]!, attachments: [], outboxId: String(i), kind: "contact_reply" });
        }),
      );
      const directSeconds = (performance.now() - started) / 1000;

      await db.transaction(async (tx) => {
        for (let i = 0; i < MAILS; i++) await queueEmail(tx as unknown as Database, env, benchMail(i));
      });
      const before = mailbox.received;
      started = performance.now();
      let sent = 0;
      while (sent < MAILS) {
        const run = await deliverEmails(ctx, hooks);
        if (run.claimed === 0) throw new Error(`only ${sent} of ${MAILS} mails sent`);
        sent += run.sent;
      }
      const outboxSeconds = (performance.now() - started) / 1000;
      if (mailbox.received - before !== MAILS) throw new Error("the SMTP server did not receive every mail");
      const direct = Math.round((MAILS / directSeconds) * 10) / 10;
      const outbox = Math.round((MAILS / outboxSeconds) * 10) / 10;

      // Paid to receipt received, the job woken by NOTIFY (its interval an hour: only the notice can wake it).
      const job = await startMailDelivery({ database: created.handle, context: () => ctx, hooks, intervalMs: 3_600_000 });
      const latencies: number[] = [];
      try {
        const bills = await unpaidBills(db, "traffic-fine", PAYMENTS);
        for (const bill of bills) {
          const order = await createPaymentOrder(world.ctx, {
            billIds: [bill.id],
            tool: "line_pay",
            idempotencyKey: randomUUID(),
            payerEmail: "payer@example.tw",
            locale: "zh-TW",
          });
          if (order.kind !== "created") throw new Error(`order not created: ${order.kind}`);
          const startedPayment = await startPayment(world.ctx, order.order);
          if (startedPayment.kind !== "redirect") throw new Error("LINE Pay should redirect");
          const back = await payerAtLinePay(startedPayment.url, "approve");
          const received = mailbox.nextMail();
          const begin = performance.now();
          const paid = await followBack(world, back);
          if (paid?.state !== "paid") throw new Error("payment not completed");
          const mail = await received;
          latencies.push(performance.now() - begin);
          if (mail.attachments.length !== 1) throw new Error("the receipt came without its PDF");
        }
      } finally {
        await job.stop();
      }
      latencies.sort((a, b) => a - b);
      const result = {
        database: kind.name,
        mails: MAILS,
        directPerSecond: direct,
        outboxPerSecond: outbox,
        outboxVsDirect: Math.round((outbox / direct) * 1000) / 1000,
        paidToReceiptMs: { payments: PAYMENTS, p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/mail-${kind.name}.json`), JSON.stringify(result, null, 2));
      console.log(
        `MAILBENCH ${kind.name}: ${MAILS} mails: nodemailer direct ${direct}/s; from the outbox ${outbox}/s ×${result.outboxVsDirect}; ` +
          `paid to receipt received (PDF attached) over ${PAYMENTS} payments: p50 ${result.paidToReceiptMs.p50} ms, p95 ${result.paidToReceiptMs.p95} ms`,
      );
    } finally {
      transport.close();
      await mailbox.close();
      await world.close();
      await created.dispose();
    }
  }, 600_000);
