import { eq, inArray, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { MAX_EMAIL_ATTEMPTS, emailBackoffSeconds } from "~/domain/email";
import { maskEmailAddress } from "~/domain/masking";
import { isLocale } from "~/i18n";
import { claimIds, schema, type Database, type DatabaseHandle } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import type { MailAttachment, MailHooks, OutboxMail } from "./hooks.server";
import { EMAIL_QUEUED_CHANNEL, wantsKind } from "./outbox.server";
import { POOLED_CONNECTIONS, type MailTransport } from "./transport.server";

/**
 * The mail job (寄信): sends what the outbox holds over SMTP. Safe on several
 * instances at once: a run claims due mails with SKIP LOCKED and leases them
 * (their next attempt moved past the lease), so two instances never send the
 * same mail in the same minute; a crash mid-send lets the lease run out and
 * the mail goes again (at least once, as SMTP itself is). Just before a mail
 * goes, what it says is checked again (the address may have opted out, the
 * bill a reminder is about may have been paid): if no longer true it is
 * cancelled, and the cancellation logged. Every attempt is in email_attempts.
 */
export interface MailDeliveryContext {
  db: Database;
  env: Pick<Env, "PII_HMAC_KEY">;
  logger: Logger;
  transport: MailTransport | null;
}

export interface DeliveryRun {
  claimed: number;
  sent: number;
  failed: number;
  cancelled: number;
}

/** Mails sent at once by a run: one per pooled connection. */
const SENDS_AT_ONCE = POOLED_CONNECTIONS;

/** A claimed mail is left alone this long by other runs: a send that hangs longer is tried again. */
const LEASE_MS = 5 * 60_000;

function claimMails(db: Database, now: Date, limit: number): Promise<string[]> {
  const at = now.toISOString();
  return claimIds(
    db,
    sql`
    update email_outbox set next_attempt_at = ${new Date(now.getTime() + LEASE_MS).toISOString()}
    where id in (
      select id from email_outbox
      where state = 'queued' and next_attempt_at <= ${at}
      order by next_attempt_at, created_at
      limit ${limit}
      for update skip locked
    )
    returning id`,
  );
}

export async function deliverEmails(ctx: MailDeliveryContext, hooks: MailHooks, now = new Date(), limit = 50): Promise<DeliveryRun> {
  const run: DeliveryRun = { claimed: 0, sent: 0, failed: 0, cancelled: 0 };
  // No server configured: the mails wait, untouched, rather than use up their attempts.
  if (!ctx.transport) return run;
  const ids = await claimMails(ctx.db, now, limit);
  run.claimed = ids.length;
  if (ids.length === 0) return run;
  const mails = await ctx.db.select().from(schema.emailOutbox).where(inArray(schema.emailOutbox.id, ids));
  // As many at once as the transport keeps connections: each waits mostly on the SMTP server.
  const transport = ctx.transport;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SENDS_AT_ONCE, mails.length) }, async () => {
      for (let i = next++; i < mails.length; i = next++) run[await deliverOne(ctx, transport, hooks, mails[i]!, now)] += 1;
    }),
  );
  return run;
}

type Outcome = "sent" | "failed" | "cancelled";

async function logAttempt(db: Database, mail: OutboxMail, outcome: Outcome, detail: string, durationMs: number, now: Date) {
  await db.insert(schema.emailAttempts).values({
    emailId: mail.id,
    outcome,
    detail: detail.slice(0, 2000),
    durationMs: Math.round(durationMs),
    attemptedAt: now,
  });
}

/** Why the mail should not go any more, or null. */
async function noLongerTrue(ctx: MailDeliveryContext, hooks: MailHooks, mail: OutboxMail, now: Date): Promise<string | null> {
  if (!(await wantsKind(ctx.db, ctx.env, mail.kind, mail.toAddress, mail.memberId))) return "opted out of this kind of mail";
  const check = hooks.checks[mail.kind];
  if (!check) return null;
  const verdict = await check(ctx.db, mail, now);
  return verdict.send ? null : verdict.reason;
}

async function attachmentsOf(ctx: MailDeliveryContext, hooks: MailHooks, mail: OutboxMail): Promise<MailAttachment[] | string> {
  const locale = isLocale(mail.locale) ? mail.locale : "zh-TW";
  const made: MailAttachment[] = [];
  for (const ref of mail.attachments) {
    const attachment = await hooks.attachment(ctx.db, ref, locale);
    if (!attachment) return `attachment ${ref.kind} for ${ref.orderId} could not be made`;
    made.push(attachment);
  }
  return made;
}

async function deliverOne(
  ctx: MailDeliveryContext,
  transport: MailTransport,
  hooks: MailHooks,
  mail: OutboxMail,
  now: Date,
): Promise<Outcome> {
  const started = performance.now();
  const reason = await noLongerTrue(ctx, hooks, mail, now);
  if (reason) {
    await ctx.db.update(schema.emailOutbox).set({ state: "cancelled", lastError: reason }).where(eq(schema.emailOutbox.id, mail.id));
    await logAttempt(ctx.db, mail, "cancelled", reason, performance.now() - started, now);
    ctx.logger.info({ email: mail.id, kind: mail.kind, reason }, "mail cancelled before sending");
    return "cancelled";
  }
  let error: string;
  try {
    const attachments = await attachmentsOf(ctx, hooks, mail);
    if (typeof attachments === "string") throw new Error(attachments);
    const reply = await transport.send({
      to: mail.toAddress,
      subject: mail.subject,
      text: mail.textBody,
      html: mail.htmlBody,
      attachments,
      outboxId: mail.id,
      kind: mail.kind,
    });
    await ctx.db
      .update(schema.emailOutbox)
      .set({ state: "sent", sentAt: now, messageId: reply.messageId, attempts: mail.attempts + 1, lastError: null })
      .where(eq(schema.emailOutbox.id, mail.id));
    await logAttempt(ctx.db, mail, "sent", reply.response, performance.now() - started, now);
    return "sent";
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  const attempts = mail.attempts + 1;
  const givenUp = attempts >= MAX_EMAIL_ATTEMPTS;
  await ctx.db
    .update(schema.emailOutbox)
    .set({
      attempts,
      lastError: error.slice(0, 2000),
      ...(givenUp ? { state: "failed" as const } : { nextAttemptAt: new Date(now.getTime() + emailBackoffSeconds(attempts - 1) * 1000) }),
    })
    .where(eq(schema.emailOutbox.id, mail.id));
  await logAttempt(ctx.db, mail, "failed", error, performance.now() - started, now);
  (givenUp ? ctx.logger.error.bind(ctx.logger) : ctx.logger.warn.bind(ctx.logger))(
    {
      alert: givenUp ? "email_undelivered" : undefined,
      email: mail.id,
      kind: mail.kind,
      to: maskEmailAddress(mail.toAddress),
      attempts,
      error,
    },
    givenUp ? "mail given up after its last attempt" : "mail not sent: will be retried",
  );
  return "failed";
}

/**
 * Runs deliverEmails every `intervalMs`, and at once (debounced) when any
 * instance queues a mail: queueEmail's NOTIFY reaches every listener at its
 * transaction's commit, so a receipt goes about as soon as the payment is
 * recorded. One run at a time here; a notice during a run makes another.
 */
export async function startMailDelivery(options: {
  database: DatabaseHandle;
  context: () => MailDeliveryContext;
  hooks: MailHooks;
  intervalMs: number;
  debounceMs?: number;
  /** Told when a run ends, and whether it failed (the job's health: /readyz, metrics). */
  onRunEnded?: (outcome: "completed" | "failed") => void;
}): Promise<{ stop(): Promise<void> }> {
  const { database, hooks, intervalMs, debounceMs = 50 } = options;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let pending: NodeJS.Timeout | null = null;
  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      const ctx = options.context();
      try {
        // A full batch: there may be more waiting.
        for (let round = 0; round < 100; round++) {
          again = false;
          const result = await deliverEmails(ctx, hooks, new Date());
          if (result.claimed > 0) ctx.logger.info({ mails: result }, "mail job");
          if (result.claimed < 50 && !again) break;
        }
        options.onRunEnded?.("completed");
      } catch (error) {
        ctx.logger.error({ err: error }, "mail job failed");
        options.onRunEnded?.("failed");
      } finally {
        running = null;
      }
    })();
  };
  const soon = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      run();
    }, debounceMs);
    pending.unref();
  };
  const unlisten = await database.listen(EMAIL_QUEUED_CHANNEL, soon);
  const timer = intervalMs > 0 ? setInterval(run, intervalMs) : null;
  timer?.unref();
  soon();
  return {
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (pending) clearTimeout(pending);
      await unlisten();
      await running;
    },
  };
}
