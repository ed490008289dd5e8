import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { taipeiDate } from "~/domain/dates";
import { formatDate, formatMoney } from "~/domain/format";
import { maskWriteOffNumber } from "~/domain/masking";
import { reminderPhase, type ReminderPhase } from "~/domain/reminders";
import type { BillView } from "~/bills/bills.server";
import { claimIds, schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import { localized, type Locale } from "~/i18n";
import type { MailChecks, MailStillTrue } from "~/mail/hooks.server";
import { queueEmail } from "~/mail/outbox.server";
import { memberDashboard, type PendingBillsContext } from "./pending-bills.server";
import type { Member } from "./sessions.server";

/**
 * Due-date reminders (繳費期限提醒) for members' bound numbers: once a day
 * per member, whichever instance runs the job, the member's pending bills
 * (the portal's own and what the outside sources say now) are looked at; an
 * unpaid bill due within DUE_REMINDER_DAYS days is reminded once, and once
 * more when it is overdue. A source that does not answer is skipped that
 * day: its bills may have been paid there. A bill held by a payment code
 * still outstanding is not reminded as due (the code's own reminder covers
 * it). Just before a reminder goes, its check cancels it if the bill was
 * paid meanwhile, here or anywhere.
 *
 * Members have no language of their own on record: reminders are in
 * Traditional Chinese, the portal's default.
 */

export interface ReminderContext extends PendingBillsContext {
  env: PendingBillsContext["env"] & Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY" | "DUE_REMINDER_DAYS">;
}

const KIND_OF: Record<ReminderPhase, "due_reminder" | "overdue_reminder"> = { due: "due_reminder", overdue: "overdue_reminder" };

/** Members to look at now: an address, a reminder kind chosen, not yet looked at today (Taiwan day). Marked as they are claimed. */
async function claimMembers(db: Database, now: Date, limit: number): Promise<string[]> {
  const startOfDay = new Date(`${taipeiDate(now)}T00:00:00+08:00`);
  return claimIds(
    db,
    sql`
    update members set reminders_checked_at = ${now.toISOString()}
    where id in (
      select id from members
      where email is not null
        and email_kinds && array['due_reminder', 'overdue_reminder']::text[]
        and (reminders_checked_at is null or reminders_checked_at < ${startOfDay.toISOString()})
      order by reminders_checked_at nulls first, id
      limit ${limit}
      for update skip locked
    )
    returning id`,
  );
}

/** Of these bills, those held by an order waiting for its code to be paid. */
async function heldByCodes(db: Database, billIds: readonly string[]): Promise<Set<string>> {
  if (billIds.length === 0) return new Set();
  const rows = await db
    .select({ billId: schema.paymentOrderItems.billId })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .where(
      and(
        inArray(schema.paymentOrderItems.billId, [...billIds]),
        isNull(schema.paymentOrderItems.releasedAt),
        eq(schema.paymentOrders.state, "awaiting_payment"),
      ),
    );
  return new Set(rows.map((row) => row.billId));
}

/** The pending bills of the member's bound numbers that can be trusted today: the portal's own, and those of sources that answered. */
async function billsToLookAt(ctx: ReminderContext, member: Member, now: Date): Promise<BillView[]> {
  const dashboard = await memberDashboard(ctx, member, { fresh: true, now });
  const parts = await Promise.all(Object.values(dashboard.sources));
  const seen = new Set<string>();
  return [
    // Bound numbers only: the reminder says it is for them (a verified member's fines by national ID are not).
    ...dashboard.groups.flatMap((group) => (group.binding ? group.bills : [])),
    ...parts.filter((part) => part.state !== "unavailable").flatMap((part) => part.groups.flatMap((group) => group.bills)),
  ].filter((bill) => !seen.has(bill.id) && seen.add(bill.id));
}

async function reminderMail(phase: ReminderPhase, bill: BillView, locale: Locale) {
  const t = await getFixedT(locale);
  const billType = localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale);
  const amount = formatMoney(bill.amount, locale);
  const dueDate = formatDate(bill.dueDate, locale);
  const words = phase === "due" ? "mail.dueReminder" : "mail.overdueReminder";
  return {
    subject: t(`${words}.subject`, { billType, dueDate }),
    heading: t(`${words}.heading`),
    paragraphs: [t(`${words}.text`, { billType, dueDate }), t("mail.reminderSources")],
    details: [
      [t("mail.details.billType"), billType],
      [t("mail.details.writeOffNumber"), maskWriteOffNumber(bill.writeOffNumber)],
      [t("mail.details.subject"), bill.subjectMasked],
      [t("mail.details.amount"), amount],
      [t("mail.details.dueDate"), dueDate],
    ] satisfies Array<[string, string]>,
    action: { label: t("mail.toDashboard"), path: "/account" },
  };
}

/** One member's reminders of today; returns how many were queued. */
async function remindMember(ctx: ReminderContext, memberId: string, now: Date): Promise<number> {
  const [member] = await ctx.db.select().from(schema.members).where(eq(schema.members.id, memberId));
  if (!member?.email) return 0;
  const today = taipeiDate(now);
  const bills = (await billsToLookAt(ctx, member, now)).flatMap((bill) => {
    const phase = reminderPhase(bill.dueDate, today, ctx.env.DUE_REMINDER_DAYS);
    return phase && member.emailKinds.includes(KIND_OF[phase]) ? [{ bill, phase }] : [];
  });
  const held = await heldByCodes(
    ctx.db,
    bills.filter(({ phase }) => phase === "due").map(({ bill }) => bill.id),
  );
  // Reminders already queued on an earlier day are not composed again (the dedupe key would refuse them anyway).
  const earlier = new Set(
    (
      await ctx.db
        .select({ key: schema.emailOutbox.dedupeKey })
        .from(schema.emailOutbox)
        .where(and(eq(schema.emailOutbox.memberId, member.id), inArray(schema.emailOutbox.kind, ["due_reminder", "overdue_reminder"])))
    ).map((row) => row.key),
  );
  let queued = 0;
  for (const { bill, phase } of bills) {
    if (phase === "due" && held.has(bill.id)) continue;
    const kind = KIND_OF[phase];
    const dedupeKey = `${kind}:${member.id}:${bill.id}`;
    if (earlier.has(dedupeKey)) continue;
    const outcome = await queueEmail(
      ctx.db,
      ctx.env,
      {
        kind,
        dedupeKey,
        to: member.email,
        locale: member.locale,
        content: await reminderMail(phase, bill, member.locale),
        about: { billId: bill.id, memberId: member.id },
      },
      now,
    );
    if (outcome === "queued") queued += 1;
  }
  return queued;
}

/**
 * The job step: every member not yet looked at today, in batches claimed
 * with SKIP LOCKED (concurrent instances share the members, never one twice
 * a day). A member whose look fails is logged and left for tomorrow.
 */
export async function remindDueBills(ctx: ReminderContext, now = new Date(), batch = 50): Promise<{ members: number; queued: number }> {
  let members = 0;
  let queued = 0;
  for (;;) {
    const ids = await claimMembers(ctx.db, now, batch);
    for (const id of ids) {
      try {
        queued += await remindMember(ctx, id, now);
      } catch (error) {
        ctx.logger.error({ err: error, memberId: id }, "due reminders: a member's bills could not be looked at");
      }
    }
    members += ids.length;
    if (ids.length < batch) break;
  }
  if (queued > 0) ctx.logger.info({ members, queued }, "due reminders queued");
  return { members, queued };
}

/**
 * Just before a reminder goes: the bill is still unpaid (not paid here, at
 * its source or at a counter meanwhile, nor cancelled), a due reminder's bill
 * is not now held by a payment code, and the member still wants this kind at
 * this address.
 */
const billStillUnpaid: MailStillTrue = async (db, mail) => {
  if (!mail.billId) return { send: false, reason: "no bill" };
  const [bill] = await db.select({ status: schema.bills.status }).from(schema.bills).where(eq(schema.bills.id, mail.billId));
  if (!bill || bill.status !== "unpaid") return { send: false, reason: `bill ${bill?.status ?? "gone"}` };
  if (mail.kind === "due_reminder" && (await heldByCodes(db, [mail.billId])).size > 0)
    return { send: false, reason: "bill held by a payment code" };
  if (mail.memberId) {
    const [member] = await db
      .select({ email: schema.members.email, kinds: schema.members.emailKinds })
      .from(schema.members)
      .where(eq(schema.members.id, mail.memberId));
    if (member?.email !== mail.toAddress) return { send: false, reason: "member's address changed" };
    if (!(member.kinds as readonly string[]).includes(mail.kind)) return { send: false, reason: "member stopped this kind" };
  }
  return { send: true };
};

/** Checks for the composition root to give the mail job (MailHooks.checks). */
export const reminderChecks: MailChecks = { due_reminder: billStillUnpaid, overdue_reminder: billStillUnpaid };
