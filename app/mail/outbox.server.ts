import { and, eq, sql } from "drizzle-orm";
import { MEMBER_EMAIL_KINDS, isEmailAddress, type EmailKind } from "~/domain/email";
import type { Locale } from "~/i18n";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { composeMail, type MailContent } from "./compose.server";
import { addressDigest } from "./unsubscribe.server";

/**
 * The e-mail outbox (寄件匣): features queue mails here, inside the
 * transaction of what the mail reports (the paid transition queues the
 * receipt), so a mail is never lost nor sent for something that was rolled
 * back. The mail job (delivery.server.ts) sends them over SMTP.
 */
export interface MailToQueue {
  kind: EmailKind;
  /** One mail per key, ever: a receipt per order, a reminder per bill and phase. */
  dedupeKey: string;
  to: string;
  locale: Locale;
  content: MailContent;
  attachments?: Array<{ kind: "receipt_pdf"; orderId: string }>;
  about?: { orderId?: string; billId?: string; memberId?: string; feedbackMessageId?: string; refundId?: string };
}

export type QueueOutcome = "queued" | "duplicate" | "opted_out" | "bad_address";

type OutboxEnv = Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY">;

/** The channel queueEmail notifies (at its transaction's commit) so that the mail job sends at once. */
export const EMAIL_QUEUED_CHANNEL = "email_queued";

/** Whether this address (or member) still wants mails of this kind. */
export async function wantsKind(
  db: Database,
  env: Pick<Env, "PII_HMAC_KEY">,
  kind: EmailKind,
  to: string,
  memberId?: string | null,
): Promise<boolean> {
  const [optOut] = await db
    .select({ kind: schema.emailOptOuts.kind })
    .from(schema.emailOptOuts)
    .where(and(eq(schema.emailOptOuts.addressDigest, addressDigest(env, to)), eq(schema.emailOptOuts.kind, kind)));
  if (optOut) return false;
  if (!memberId || !(MEMBER_EMAIL_KINDS as readonly string[]).includes(kind)) return true;
  const [member] = await db.select({ kinds: schema.members.emailKinds }).from(schema.members).where(eq(schema.members.id, memberId));
  return !member || (member.kinds as readonly string[]).includes(kind);
}

export async function queueEmail(db: Database, env: OutboxEnv, mail: MailToQueue, now = new Date()): Promise<QueueOutcome> {
  if (!isEmailAddress(mail.to)) return "bad_address";
  if (!(await wantsKind(db, env, mail.kind, mail.to, mail.about?.memberId))) return "opted_out";
  const composed = await composeMail(env, mail.kind, mail.locale, mail.to, mail.content);
  const inserted = await db
    .insert(schema.emailOutbox)
    .values({
      kind: mail.kind,
      dedupeKey: mail.dedupeKey,
      toAddress: mail.to,
      locale: mail.locale,
      subject: composed.subject,
      textBody: composed.text,
      htmlBody: composed.html,
      attachments: mail.attachments ?? [],
      nextAttemptAt: now,
      orderId: mail.about?.orderId ?? null,
      billId: mail.about?.billId ?? null,
      memberId: mail.about?.memberId ?? null,
      feedbackMessageId: mail.about?.feedbackMessageId ?? null,
      refundId: mail.about?.refundId ?? null,
      createdAt: now,
    })
    .onConflictDoNothing({ target: schema.emailOutbox.dedupeKey })
    .returning({ id: schema.emailOutbox.id });
  if (inserted.length === 0) return "duplicate";
  // Delivered when the caller's transaction commits, never for a rolled-back one: the mail job wakes at once.
  await db.execute(sql`select pg_notify(${EMAIL_QUEUED_CHANNEL}, '')`);
  return "queued";
}
