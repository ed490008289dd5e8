/**
 * E-mails (電子郵件通知) the portal sends, each kind with its own unsubscribe:
 * - `receipt`: a payment received, with the receipt PDF;
 * - `refund_notice`: money going back (a refund completed);
 * - `code_reminder`: an ATM account or store code still unpaid, before it expires;
 * - `due_reminder` / `overdue_reminder`: a member's bills of bound numbers,
 *   some days before they are due, and again once overdue (never once paid);
 * - `contact_reply`: the back office's answer to the contact form;
 * - `case_status`: a member's application at the e-counter changed status.
 */
export const EMAIL_KINDS = [
  "receipt",
  "refund_notice",
  "code_reminder",
  "due_reminder",
  "overdue_reminder",
  "contact_reply",
  "case_status",
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export function isEmailKind(value: unknown): value is EmailKind {
  return typeof value === "string" && (EMAIL_KINDS as readonly string[]).includes(value);
}

/** Kinds a member chooses in their account (a contact reply answers a question they asked: always sent). */
export const MEMBER_EMAIL_KINDS = [
  "receipt",
  "refund_notice",
  "code_reminder",
  "due_reminder",
  "overdue_reminder",
  "case_status",
] as const satisfies readonly EmailKind[];
export type MemberEmailKind = (typeof MEMBER_EMAIL_KINDS)[number];

/**
 * A mail in the outbox: `queued` until sent (retried with back-off), `sent`
 * once the SMTP server took it, `failed` after the last attempt, `cancelled`
 * when what it says stopped being true before it went (a reminder for a bill
 * paid meanwhile) or its address opted out of its kind.
 */
export const EMAIL_STATES = ["queued", "sent", "failed", "cancelled"] as const;
export type EmailState = (typeof EMAIL_STATES)[number];

/** Attempts before a mail is given up (then `failed`, in the delivery log and the back office). */
export const MAX_EMAIL_ATTEMPTS = 8;

/** Seconds before a mail's next attempt, by attempts already made. */
export function emailBackoffSeconds(attempts: number): number {
  const schedule = [30, 60, 300, 900, 3600, 3600 * 6, 86_400];
  return schedule[Math.min(attempts, schedule.length - 1)]!;
}

/** Addresses are kept at most this long, as RFC 5321 allows. */
export const MAX_EMAIL_ADDRESS_LENGTH = 254;

/**
 * A usable address: one @, a dot in the domain, no spaces or angle brackets,
 * within 254 characters. Deliverability is the SMTP server's to tell; this
 * only refuses what could never be an address (and header injection).
 */
export function isEmailAddress(value: string): boolean {
  return value.length <= MAX_EMAIL_ADDRESS_LENGTH && /^[^@\s<>,;"]+@[^@\s<>,;"]+\.[^@\s<>,;".]{2,}$/.test(value);
}

/** The form an address is compared in (opt-outs, a member's own address). */
export function normalizeEmailAddress(value: string): string {
  return value.trim().toLowerCase();
}
