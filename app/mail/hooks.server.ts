import type { EmailKind } from "~/domain/email";
import type { Locale } from "~/i18n";
import type { Database, schema } from "~/base/db.server";

/**
 * What the mail job asks of the features above it, wired by the composition
 * root (the mail layer imports no feature): whether a queued mail still says
 * something true just before it goes (a reminder for a bill paid meanwhile
 * is cancelled, and the cancellation logged), and how to make an attachment
 * named in the outbox (the receipt PDF).
 */
export type OutboxMail = typeof schema.emailOutbox.$inferSelect;

/** false: the mail is cancelled, with `reason` in the delivery log. Kinds without a check always go. */
export type MailStillTrue = (db: Database, mail: OutboxMail, now: Date) => Promise<{ send: true } | { send: false; reason: string }>;

export type MailChecks = Partial<Record<EmailKind, MailStillTrue>>;

export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

type AttachmentRef = OutboxMail["attachments"][number];

/** null: the attachment cannot be made (the mail is retried later). */
type AttachmentMaker = (db: Database, ref: AttachmentRef, locale: Locale) => Promise<MailAttachment | null>;

export interface MailHooks {
  checks: MailChecks;
  attachment: AttachmentMaker;
}
