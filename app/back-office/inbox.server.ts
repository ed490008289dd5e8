import { and, asc, count, desc, eq, inArray, isNotNull, isNull, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import { isEmailAddress } from "~/domain/email";
import { maskEmailAddress } from "~/domain/masking";
import {
  FEEDBACK_STATUSES,
  RECORDED_REPLY_CHANNELS,
  inboxReach,
  inboxRoleFor,
  isFeedbackStatus,
  isFeedbackTopic,
  mayChangeStatus,
  mayRecordReply,
  statusChangesFrom,
  type FeedbackReplyChannel,
  type FeedbackStatus,
  type FeedbackTopic,
} from "~/domain/feedback";
import { maskIdentifier, maskPersonName } from "~/domain/masking";
import type { StaffPermission } from "~/domain/staff";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import { isLocale } from "~/i18n";
import { queueEmail, wantsKind } from "~/mail/outbox.server";
import type { RevealTarget } from "./reveal.server";
import { pageCount, pageNumber, type StaffActor } from "./listing.server";
import { auditStaffAct } from "./staff-request.server";

/**
 * The contact-form inbox (民眾意見信箱). Who sees what: staff of an agency
 * see the messages routed to their agency; the city administrator (the
 * portal's own team) sees and works the messages routed to no agency; the
 * auditor reads every message and works none (`CITY_ROLE_INBOX_REACH` in
 * app/domain/feedback.ts). A message out of reach is answered as not found.
 * The sender's name, e-mail and phone are masked until revealed with a
 * reason and a passkey (reveal.server.ts); no audit entry here carries them,
 * nor the text of a note or a reply (either may quote the sender).
 */

const INBOX_PAGE_SIZE = 20;

export interface InboxFilters {
  status: FeedbackStatus | null;
  topic: FeedbackTopic | null;
  page: number;
}

/** The list's GET form as asked; anything not understood is no filter (never an error). */
export function parseInboxFilters(params: URLSearchParams): InboxFilters {
  const status = params.get("status");
  const topic = params.get("topic");
  return { status: isFeedbackStatus(status) ? status : null, topic: isFeedbackTopic(topic) ? topic : null, page: pageNumber(params) };
}

/** The SQL condition for the messages `permission` reaches; null: none at all. */
function reachCondition(staff: StaffActor, permission: StaffPermission): SQL | undefined | null {
  const reach = inboxReach(staff.roles, permission);
  const column = schema.feedbackMessages.agencyCode;
  if (reach.agencies === "all") return reach.unrouted ? undefined : isNotNull(column);
  const routed = reach.agencies.length > 0 ? inArray(column, reach.agencies) : null;
  if (routed && reach.unrouted) return or(routed, isNull(column));
  return routed ?? (reach.unrouted ? isNull(column) : null);
}

const agencyColumns = { agencyNameZh: schema.agencies.nameZh, agencyNameEn: schema.agencies.nameEn };

export interface InboxListItem {
  id: string;
  reference: string;
  topic: FeedbackTopic;
  agencyCode: string | null;
  agencyNameZh: string | null;
  agencyNameEn: string | null;
  status: FeedbackStatus;
  createdAt: Date;
}

/** The messages in reach, newest first, one page of them; the search is audited. */
export async function listInbox(
  db: Database,
  staff: StaffActor,
  filters: InboxFilters,
): Promise<{ items: InboxListItem[]; total: number; page: number; pageCount: number }> {
  const reach = reachCondition(staff, "inbox.view");
  let items: InboxListItem[] = [];
  let total = 0;
  if (reach !== null) {
    const where = and(
      reach,
      filters.status ? eq(schema.feedbackMessages.status, filters.status) : undefined,
      filters.topic ? eq(schema.feedbackMessages.topic, filters.topic) : undefined,
    );
    total = (await db.select({ n: count() }).from(schema.feedbackMessages).where(where))[0]!.n;
    items = await db
      .select({
        id: schema.feedbackMessages.id,
        reference: schema.feedbackMessages.reference,
        topic: schema.feedbackMessages.topic,
        agencyCode: schema.feedbackMessages.agencyCode,
        ...agencyColumns,
        status: schema.feedbackMessages.status,
        createdAt: schema.feedbackMessages.createdAt,
      })
      .from(schema.feedbackMessages)
      .leftJoin(schema.agencies, eq(schema.feedbackMessages.agencyCode, schema.agencies.code))
      .where(where)
      .orderBy(desc(schema.feedbackMessages.createdAt), desc(schema.feedbackMessages.id))
      .limit(INBOX_PAGE_SIZE)
      .offset((filters.page - 1) * INBOX_PAGE_SIZE);
  }
  await auditStaffAct(
    staff,
    {
      action: "inbox.searched",
      targetType: "feedback_message",
      details: { status: filters.status, topic: filters.topic, page: filters.page, results: total },
    },
    db,
  );
  return { items, total, page: filters.page, pageCount: pageCount(total, INBOX_PAGE_SIZE) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A message in reach of `inbox.view`, or null (unknown, malformed id, or another agency's: all alike). */
async function messageInReach(db: Database, staff: StaffActor, messageId: string) {
  const reach = reachCondition(staff, "inbox.view");
  if (reach === null || !UUID.test(messageId)) return null;
  const [row] = await db
    .select({ message: schema.feedbackMessages, ...agencyColumns })
    .from(schema.feedbackMessages)
    .leftJoin(schema.agencies, eq(schema.feedbackMessages.agencyCode, schema.agencies.code))
    .where(and(eq(schema.feedbackMessages.id, messageId), reach));
  return row ?? null;
}

interface InboxAction {
  id: number;
  kind: "note" | "reply" | "status";
  body: string;
  status: FeedbackStatus | null;
  replyChannel: FeedbackReplyChannel | null;
  staffName: string;
  actingForName: string | null;
  createdAt: Date;
}

export interface InboxMessage extends InboxListItem {
  message: string;
  locale: string;
  /** Masked: revealing is an act of its own. */
  sender: { name: string; email: string; phone: string | null };
  actions: InboxAction[];
  /** What this staff member may do with it. */
  may: { work: boolean; reveal: boolean };
  statusChanges: FeedbackStatus[];
  mayReply: boolean;
}

/** One message with what was done on it, the sender masked; null when out of reach. The view is audited. */
export async function inboxMessage(db: Database, staff: StaffActor, messageId: string): Promise<InboxMessage | null> {
  const row = await messageInReach(db, staff, messageId);
  if (!row) return null;
  const { message } = row;
  const viewing = inboxRoleFor(staff.roles, "inbox.view", message.agencyCode);
  await auditStaffAct(
    staff,
    { action: "inbox.message_viewed", targetType: "feedback_message", targetId: message.id, actingFor: viewing?.actingFor },
    db,
  );
  const work = inboxRoleFor(staff.roles, "inbox.work", message.agencyCode) !== null;
  return {
    id: message.id,
    reference: message.reference,
    topic: message.topic,
    agencyCode: message.agencyCode,
    agencyNameZh: row.agencyNameZh,
    agencyNameEn: row.agencyNameEn,
    status: message.status,
    createdAt: message.createdAt,
    message: message.message,
    locale: message.locale,
    sender: {
      name: maskPersonName(message.name),
      email: maskEmailAddress(message.email),
      phone: message.phone ? maskIdentifier(message.phone, 2, 2) : null,
    },
    actions: await messageActions(db, message.id),
    may: { work, reveal: inboxRoleFor(staff.roles, "personal_data.reveal", message.agencyCode) !== null },
    statusChanges: work ? statusChangesFrom(message.status) : [],
    mayReply: work && mayRecordReply(message.status),
  };
}

async function messageActions(db: Database, messageId: string): Promise<InboxAction[]> {
  const rows = await db
    .select({
      id: schema.feedbackActions.id,
      kind: schema.feedbackActions.kind,
      body: schema.feedbackActions.body,
      status: schema.feedbackActions.status,
      staffId: schema.feedbackActions.staffId,
      actingFor: schema.feedbackActions.actingFor,
      createdAt: schema.feedbackActions.createdAt,
    })
    .from(schema.feedbackActions)
    .where(eq(schema.feedbackActions.messageId, messageId))
    .orderBy(asc(schema.feedbackActions.id));
  const people = [...new Set(rows.flatMap((row) => [row.staffId, row.actingFor].filter((id): id is string => id !== null)))];
  const names = new Map(
    people.length
      ? (
          await db
            .select({ id: schema.staff.id, name: schema.staff.displayName })
            .from(schema.staff)
            .where(inArray(schema.staff.id, people))
        ).map((row) => [row.id, row.name])
      : [],
  );
  // How a reply was given is kept with its audit entry (feedback_actions has no column for it).
  const replies = await db
    .select({ details: schema.auditLog.details })
    .from(schema.auditLog)
    .where(
      and(
        eq(schema.auditLog.targetType, "feedback_message"),
        eq(schema.auditLog.targetId, messageId),
        eq(schema.auditLog.action, "inbox.reply_recorded"),
      ),
    );
  const channels = new Map(
    replies.map(({ details }) => {
      const d = details as { actionId?: number; channel?: FeedbackReplyChannel };
      return [d.actionId, d.channel ?? null] as const;
    }),
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    body: row.body,
    status: row.status,
    replyChannel: row.kind === "reply" ? (channels.get(row.id) ?? null) : null,
    staffName: names.get(row.staffId) ?? "",
    actingForName: row.actingFor ? (names.get(row.actingFor) ?? null) : null,
    createdAt: row.createdAt,
  }));
}

/** What a reveal of this message's sender signs for; null when the staff member may not reveal it (or it is out of reach). */
export async function senderRevealTarget(
  db: Database,
  staff: StaffActor,
  messageId: string,
): Promise<{ target: RevealTarget; actingFor: string | null } | null | "not_found"> {
  const row = await messageInReach(db, staff, messageId);
  if (!row) return "not_found";
  const role = inboxRoleFor(staff.roles, "personal_data.reveal", row.message.agencyCode);
  if (!role) return null;
  return {
    target: { type: "feedback_message", id: row.message.id, agencyCode: row.message.agencyCode, fields: ["name", "email", "phone"] },
    actingFor: role.actingFor,
  };
}

/** The sender unmasked: only for the one answer after a confirmed reveal. */
export async function revealedSender(db: Database, messageId: string) {
  const [row] = await db
    .select({ name: schema.feedbackMessages.name, email: schema.feedbackMessages.email, phone: schema.feedbackMessages.phone })
    .from(schema.feedbackMessages)
    .where(eq(schema.feedbackMessages.id, messageId));
  return row ?? null;
}

// ---- Work on a message: status, notes, replies ------------------------------------------------

const INBOX_WORK_INTENTS = ["status", "note", "reply", "email_reply"] as const;
type InboxWorkIntent = (typeof INBOX_WORK_INTENTS)[number];

/** Error codes are keys under `inbox.errors` in the back office's words. */
type InboxWorkError =
  | "statusRequired"
  | "statusNotAllowed"
  | "noteRequired"
  | "noteTooLong"
  | "replyRequired"
  | "replyTooLong"
  | "replyNotAllowed"
  | "channelRequired"
  | "emailNotPossible";

type InboxWorkField = "status" | "note" | "reply" | "channel";
type InboxWorkValues = Record<InboxWorkField, string>;

export type InboxWorkResult =
  | { kind: "done"; intent: InboxWorkIntent; status: FeedbackStatus }
  | { kind: "invalid"; intent: InboxWorkIntent; errors: Partial<Record<InboxWorkField, InboxWorkError>>; values: InboxWorkValues }
  | { kind: "not_found" }
  | { kind: "forbidden" }
  | { kind: "bad_request" };

const MAX_TEXT = 2000;
const text = (required: InboxWorkError, tooLong: InboxWorkError) =>
  z
    .string()
    .trim()
    .transform((v) => v.replace(/\r\n?/g, "\n"))
    .refine((v) => v.length > 0, required)
    .refine((v) => [...v].length <= MAX_TEXT, tooLong);

const workSchemas = {
  status: z.object({ status: z.enum(FEEDBACK_STATUSES, { error: "statusRequired" }) }),
  note: z.object({ note: text("noteRequired", "noteTooLong") }),
  reply: z.object({ reply: text("replyRequired", "replyTooLong"), channel: z.enum(RECORDED_REPLY_CHANNELS, { error: "channelRequired" }) }),
  email_reply: z.object({ reply: text("replyRequired", "replyTooLong") }),
};

/** How much of the resident's own message a reply by e-mail quotes. */
const QUOTED_CHARACTERS = 200;

/** The reply by e-mail, in the language the resident wrote in, their message quoted briefly. */
async function contactReplyContent(message: typeof schema.feedbackMessages.$inferSelect, reply: string) {
  const locale = isLocale(message.locale) ? message.locale : "zh-TW";
  const t = await getFixedT(locale);
  const characters = [...message.message];
  const quoted = characters.length > QUOTED_CHARACTERS ? `${characters.slice(0, QUOTED_CHARACTERS).join("")}…` : message.message;
  return {
    locale,
    content: {
      subject: t("mail.contactReply.subject", { reference: message.reference }),
      heading: t("mail.contactReply.heading"),
      paragraphs: [
        ...reply
          .split(/\n{2,}/)
          .map((paragraph) => paragraph.trim())
          .filter(Boolean),
        t("mail.contactReply.quoteIntro", { date: message.createdAt.toISOString().slice(0, 10) }),
        `> ${quoted.replace(/\n/g, "\n> ")}`,
        t("mail.contactReply.noReply"),
      ],
      details: [[t("mail.contactReply.reference"), message.reference]] as Array<[string, string]>,
      action: { label: t("mail.contactReply.action"), path: "/contact" },
    },
  };
}

/**
 * One act of work on a message (intent "status", "note", "reply" or
 * "email_reply"): checked against the declared status moves under a lock on
 * the message, stored in feedback_actions and audited in the same
 * transaction. Recording a reply sets the message answered; a reply by
 * e-mail is queued to the sender's address in that transaction too (never
 * recorded as sent without its mail, nor mailed without its record).
 */
export async function workOnMessage(
  db: Database,
  staff: StaffActor,
  messageId: string,
  form: FormData,
  now = new Date(),
  mailEnv?: Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY">,
): Promise<InboxWorkResult> {
  const intent = form.get("intent");
  if (!(INBOX_WORK_INTENTS as readonly unknown[]).includes(intent)) return { kind: "bad_request" };
  const row = await messageInReach(db, staff, messageId);
  if (!row) return { kind: "not_found" };
  const role = inboxRoleFor(staff.roles, "inbox.work", row.message.agencyCode);
  if (!role) return { kind: "forbidden" };
  const values = Object.fromEntries(
    (["status", "note", "reply", "channel"] as const).map((field) => {
      const value = form.get(field);
      return [field, typeof value === "string" ? value.slice(0, 5000) : ""];
    }),
  ) as InboxWorkValues;
  const which = intent as InboxWorkIntent;
  if (which === "email_reply" && !mailEnv) return { kind: "bad_request" };
  const parsed = workSchemas[which].safeParse(values);
  if (!parsed.success) {
    const errors: Partial<Record<InboxWorkField, InboxWorkError>> = {};
    for (const issue of parsed.error.issues) errors[issue.path[0] as InboxWorkField] ??= issue.message as InboxWorkError;
    return { kind: "invalid", intent: which, errors, values };
  }
  const input = parsed.data as { status?: FeedbackStatus; note?: string; reply?: string; channel?: FeedbackReplyChannel };

  return db.transaction(async (tx): Promise<InboxWorkResult> => {
    const [locked] = await tx
      .select({ status: schema.feedbackMessages.status })
      .from(schema.feedbackMessages)
      .where(eq(schema.feedbackMessages.id, messageId))
      .for("update");
    const from = locked!.status;
    const act = { staffId: staff.staffId, actingFor: role.actingFor, messageId, createdAt: now };
    const audit = (action: string, details: Record<string, unknown>) =>
      auditStaffAct(staff, { action, targetType: "feedback_message", targetId: messageId, actingFor: role.actingFor, details }, tx);
    const setStatus = (status: FeedbackStatus) =>
      tx.update(schema.feedbackMessages).set({ status, updatedAt: now }).where(eq(schema.feedbackMessages.id, messageId));

    if (which === "status") {
      const to = input.status!;
      if (!mayChangeStatus(from, to)) return { kind: "invalid", intent: which, errors: { status: "statusNotAllowed" }, values };
      const [action] = await tx
        .insert(schema.feedbackActions)
        .values({ ...act, kind: "status", status: to })
        .returning({ id: schema.feedbackActions.id });
      await setStatus(to);
      await audit("inbox.status_changed", { actionId: action!.id, from, to });
      return { kind: "done", intent: which, status: to };
    }
    if (which === "note") {
      const [action] = await tx
        .insert(schema.feedbackActions)
        .values({ ...act, kind: "note", body: input.note! })
        .returning({ id: schema.feedbackActions.id });
      await audit("inbox.note_added", { actionId: action!.id, characters: [...input.note!].length });
      return { kind: "done", intent: which, status: from };
    }
    if (!mayRecordReply(from)) return { kind: "invalid", intent: which, errors: { reply: "replyNotAllowed" }, values };
    const message = row.message;
    const byEmail = which === "email_reply";
    // An address that cannot take mail, or that stopped contact replies by their link: answer another way.
    if (byEmail && (!isEmailAddress(message.email) || !(await wantsKind(tx, mailEnv!, "contact_reply", message.email))))
      return { kind: "invalid", intent: which, errors: { reply: "emailNotPossible" }, values };
    const [action] = await tx
      .insert(schema.feedbackActions)
      .values({ ...act, kind: "reply", body: input.reply!, status: "answered" })
      .returning({ id: schema.feedbackActions.id });
    if (byEmail) {
      const { locale, content } = await contactReplyContent(message, input.reply!);
      await queueEmail(
        tx,
        mailEnv!,
        {
          kind: "contact_reply",
          dedupeKey: `contact_reply:${action!.id}`,
          to: message.email,
          locale,
          content,
          about: { feedbackMessageId: message.id },
        },
        now,
      );
    }
    await setStatus("answered");
    await audit("inbox.reply_recorded", {
      actionId: action!.id,
      channel: byEmail ? "email" : input.channel,
      characters: [...input.reply!].length,
      from,
      to: "answered",
    });
    return { kind: "done", intent: which, status: "answered" };
  });
}
