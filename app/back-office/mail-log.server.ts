import { and, asc, count, desc, eq, gte, lt, min, type SQL } from "drizzle-orm";
import { z } from "zod";
import { addDays } from "~/domain/dates";
import { EMAIL_KINDS, EMAIL_STATES, type EmailKind, type EmailState } from "~/domain/email";
import { maskEmailAddress } from "~/domain/masking";
import { isCalendarDate } from "~/payments/records.server";
import { schema, type Database } from "~/base/db.server";
import { auditStaffAct, type StaffContext } from "./staff-request.server";

/**
 * The mail delivery log (寄信紀錄) for the city's auditor and the portal's
 * administrators: whether the outbox's mails go out, and each attempt's
 * answer. A mail is shown by its kind, its subject and a masked address only:
 * its body may hold a refund amount or a name, and the full address is a
 * resident's personal data. Every search and every view is in the audit trail.
 */

export type MailLogViewer = Pick<StaffContext, "staffId" | "requestId" | "roles">;

const MAIL_SEARCH_FIELDS = ["state", "kind", "from", "to"] as const;
type MailSearchField = (typeof MAIL_SEARCH_FIELDS)[number];
/** Keys under `mail.problems` in the back office's words. */
type MailSearchProblem = "stateInvalid" | "kindInvalid" | "dateInvalid" | "dateOrder";

const MAILS_PER_PAGE = 50;

// An empty field is no filter; a filled one must be well formed.
const optional = <T extends z.ZodType>(inner: T) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined), inner.optional());

const searchSchema = z
  .object({
    state: optional(z.enum(EMAIL_STATES, { error: "stateInvalid" })),
    kind: optional(z.enum(EMAIL_KINDS, { error: "kindInvalid" })),
    from: optional(z.string().refine(isCalendarDate, "dateInvalid")),
    to: optional(z.string().refine(isCalendarDate, "dateInvalid")),
  })
  .refine((filters) => !filters.from || !filters.to || filters.from <= filters.to, { path: ["to"], message: "dateOrder" });

export type MailSearchFilters = {
  state?: EmailState;
  kind?: EmailKind;
  /** Taipei calendar days of the mail's queueing, both included. */
  from?: string;
  to?: string;
};

export type ParsedMailSearch =
  | { ok: true; filters: MailSearchFilters; typed: Record<MailSearchField, string>; page: number }
  | { ok: false; problems: Partial<Record<MailSearchField, MailSearchProblem>>; typed: Record<MailSearchField, string> };

/** The search as typed in the address bar; problems name the field to fix. */
export function parseMailSearch(query: URLSearchParams): ParsedMailSearch {
  const typed = Object.fromEntries(MAIL_SEARCH_FIELDS.map((field) => [field, (query.get(field) ?? "").slice(0, 100)])) as Record<
    MailSearchField,
    string
  >;
  const parsed = searchSchema.safeParse(typed);
  if (!parsed.success) {
    const problems: Partial<Record<MailSearchField, MailSearchProblem>> = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as MailSearchField;
      problems[field] ??= issue.message as MailSearchProblem;
    }
    return { ok: false, problems, typed };
  }
  const page = Number.parseInt(query.get("page") ?? "", 10);
  return { ok: true, filters: parsed.data, typed, page: Number.isSafeInteger(page) && page >= 1 && page <= 10_000 ? page : 1 };
}

/** The filters as a query string, for the next and previous pages. */
export function mailSearchQuery(filters: MailSearchFilters, page: number): string {
  const query = new URLSearchParams();
  for (const field of MAIL_SEARCH_FIELDS) {
    const value = filters[field];
    if (value) query.set(field, value);
  }
  if (page > 1) query.set("page", String(page));
  return query.toString();
}

const taipeiMidnight = (isoDate: string) => new Date(`${isoDate}T00:00:00+08:00`);

function searchCondition(filters: MailSearchFilters): SQL | undefined {
  const m = schema.emailOutbox;
  return and(
    filters.state ? eq(m.state, filters.state) : undefined,
    filters.kind ? eq(m.kind, filters.kind) : undefined,
    filters.from ? gte(m.createdAt, taipeiMidnight(filters.from)) : undefined,
    filters.to ? lt(m.createdAt, taipeiMidnight(addDays(filters.to, 1))) : undefined,
  );
}

/** What a row of the log shows: never the body, never the full address. */
interface MailLogRow {
  id: string;
  kind: EmailKind;
  state: EmailState;
  attempts: number;
  toAddressMasked: string;
  subject: string;
  createdAt: string;
  sentAt: string | null;
  nextAttemptAt: string;
  lastError: string | null;
}

export interface MailOutboxHealth {
  /** Mails in each state, over the whole outbox (not the filters). */
  counts: Record<EmailState, number>;
  /** Seconds the oldest mail still queued has waited: a stuck outbox shows here. Null when none waits. */
  oldestQueuedSeconds: number | null;
}

export interface MailSearchResult {
  health: MailOutboxHealth;
  total: number;
  page: number;
  pages: number;
  rows: MailLogRow[];
}

const rowColumns = {
  id: schema.emailOutbox.id,
  kind: schema.emailOutbox.kind,
  state: schema.emailOutbox.state,
  attempts: schema.emailOutbox.attempts,
  toAddress: schema.emailOutbox.toAddress,
  subject: schema.emailOutbox.subject,
  createdAt: schema.emailOutbox.createdAt,
  sentAt: schema.emailOutbox.sentAt,
  nextAttemptAt: schema.emailOutbox.nextAttemptAt,
  lastError: schema.emailOutbox.lastError,
};

// An SMTP server's refusal often quotes the recipient ("550 <someone@example.com> unknown"): masked like the address itself.
const ADDRESS_IN_TEXT = /[^\s<>()"',;:]+@[^\s<>()"',;:]+\.[A-Za-z]{2,}/g;
const withAddressesMasked = (text: string) => text.replace(ADDRESS_IN_TEXT, (address) => maskEmailAddress(address));

type StoredRow = Pick<
  typeof schema.emailOutbox.$inferSelect,
  "id" | "kind" | "state" | "attempts" | "toAddress" | "subject" | "createdAt" | "sentAt" | "nextAttemptAt" | "lastError"
>;

function shown(row: StoredRow): MailLogRow {
  const { toAddress, createdAt, sentAt, nextAttemptAt, lastError, ...rest } = row;
  return {
    ...rest,
    lastError: lastError === null ? null : withAddressesMasked(lastError),
    toAddressMasked: maskEmailAddress(toAddress),
    createdAt: createdAt.toISOString(),
    sentAt: sentAt?.toISOString() ?? null,
    nextAttemptAt: nextAttemptAt.toISOString(),
  };
}

/** How the outbox stands: mails by state and how long the oldest queued one has waited. */
export async function mailOutboxHealth(db: Database, now = new Date()): Promise<MailOutboxHealth> {
  const m = schema.emailOutbox;
  const byState = await db.select({ state: m.state, n: count() }).from(m).groupBy(m.state);
  const [oldest] = await db
    .select({ at: min(m.createdAt) })
    .from(m)
    .where(eq(m.state, "queued"));
  const counts = Object.fromEntries(EMAIL_STATES.map((state) => [state, 0])) as Record<EmailState, number>;
  for (const row of byState) counts[row.state] = row.n;
  const oldestAt = oldest?.at ? new Date(oldest.at) : null;
  return {
    counts,
    oldestQueuedSeconds: oldestAt ? Math.max(0, Math.floor((now.getTime() - oldestAt.getTime()) / 1000)) : null,
  };
}

/** One page of the mails that match, newest first, with the outbox's health; the search is audited. */
export async function searchMailLog(
  db: Database,
  staff: MailLogViewer,
  filters: MailSearchFilters,
  page = 1,
  now = new Date(),
): Promise<MailSearchResult> {
  const m = schema.emailOutbox;
  const where = searchCondition(filters);
  const [counted] = await db.select({ n: count() }).from(m).where(where);
  const rows = await db
    .select(rowColumns)
    .from(m)
    .where(where)
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(MAILS_PER_PAGE)
    .offset((page - 1) * MAILS_PER_PAGE);
  const total = counted?.n ?? 0;
  const result: MailSearchResult = {
    health: await mailOutboxHealth(db, now),
    total,
    page,
    pages: Math.ceil(total / MAILS_PER_PAGE),
    rows: rows.map(shown),
  };
  await auditStaffAct(staff, {
    action: "staff.mail_log_searched",
    targetType: "email",
    details: { filters: { ...filters }, page, found: total },
  });
  return result;
}

interface MailAttemptRow {
  outcome: "sent" | "failed" | "cancelled";
  detail: string;
  durationMs: number;
  attemptedAt: string;
}

export interface MailDetail extends MailLogRow {
  locale: string;
  /** What the mail is about, by kind of record: the ids, which staff open in their own views. */
  about: { orderId: string | null; billId: string | null; refundId: string | null; feedbackMessageId: string | null };
  hasMember: boolean;
  attachmentCount: number;
  /** Every attempt, oldest first: the delivery log. */
  attemptLog: MailAttemptRow[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One mail with every attempt to send it; null (not found) for an unknown id. The view is audited. */
export async function viewMail(db: Database, staff: MailLogViewer, mailId: string): Promise<MailDetail | null> {
  if (!UUID.test(mailId)) return null;
  const m = schema.emailOutbox;
  const [row] = await db
    .select({
      ...rowColumns,
      locale: m.locale,
      orderId: m.orderId,
      billId: m.billId,
      refundId: m.refundId,
      feedbackMessageId: m.feedbackMessageId,
      memberId: m.memberId,
      attachments: m.attachments,
    })
    .from(m)
    .where(eq(m.id, mailId));
  if (!row) return null;
  const a = schema.emailAttempts;
  const attempts = await db
    .select({ outcome: a.outcome, detail: a.detail, durationMs: a.durationMs, attemptedAt: a.attemptedAt })
    .from(a)
    .where(eq(a.emailId, row.id))
    .orderBy(asc(a.id));
  const { locale, orderId, billId, refundId, feedbackMessageId, memberId, attachments, ...listed } = row;
  await auditStaffAct(staff, { action: "staff.mail_viewed", targetType: "email", targetId: row.id, details: { kind: row.kind } });
  return {
    ...shown(listed),
    locale,
    about: { orderId, billId, refundId, feedbackMessageId },
    hasMember: memberId !== null,
    attachmentCount: attachments.length,
    attemptLog: attempts.map((attempt) => ({
      ...attempt,
      detail: withAddressesMasked(attempt.detail),
      attemptedAt: attempt.attemptedAt.toISOString(),
    })),
  };
}
