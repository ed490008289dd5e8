import { and, eq, sql } from "drizzle-orm";
import { formatDateTime, formatMoney } from "~/domain/format";
import { CODE_REMINDER_HOURS_BEFORE, instructionsOutstanding, type PaymentInstructions } from "~/domain/payment-instructions";
import { schema } from "~/base/db.server";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import type { MailChecks, MailStillTrue } from "~/mail/hooks.server";
import { queueEmail } from "~/mail/outbox.server";

/**
 * Code reminders (繳費代碼到期提醒): an order waiting for its ATM transfer or
 * store payment, whose instructions expire within CODE_REMINDER_HOURS_BEFORE
 * hours, is reminded once to the address its payer left (or its member's).
 * The mail carries only the last four characters of the account or code:
 * the full instructions are on the order's page on the portal. Orders have
 * no language on record: the mail is in Traditional Chinese.
 */

export interface CodeReminderContext {
  db: Database;
  env: Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY">;
}

/** The tail a mail may show of the instructions: never the whole account or code. */
function lastFour(instructions: PaymentInstructions): string | null {
  if (instructions.kind === "atm") return `…${instructions.account.slice(-4)}`;
  if (instructions.kind === "store_code") return `…${instructions.code.slice(-4)}`;
  return null;
}

export async function remindOutstandingCodes(ctx: CodeReminderContext, now = new Date()): Promise<{ queued: number }> {
  const until = new Date(now.getTime() + CODE_REMINDER_HOURS_BEFORE * 3600_000);
  const expiresAt = sql`(${schema.paymentOrders.paymentInstructions}->>'expiresAt')::timestamptz`;
  const rows = await ctx.db
    .select({ order: schema.paymentOrders, memberEmail: schema.members.email })
    .from(schema.paymentOrders)
    .leftJoin(schema.members, eq(schema.paymentOrders.memberId, schema.members.id))
    .where(
      and(
        eq(schema.paymentOrders.state, "awaiting_payment"),
        sql`${expiresAt} > ${now.toISOString()} and ${expiresAt} <= ${until.toISOString()}`,
        // Already reminded: not composed again.
        sql`not exists (select 1 from email_outbox where dedupe_key = 'code_reminder:' || ${schema.paymentOrders.id})`,
      ),
    );
  let queued = 0;
  for (const { order, memberEmail } of rows) {
    const locale = order.payerLocale;
    const t = await getFixedT(locale);
    const to = order.payerEmail ?? memberEmail;
    const instructions = order.paymentInstructions;
    if (!to || !instructions) continue;
    const tail = lastFour(instructions);
    const deadline = formatDateTime(instructions.expiresAt, locale);
    const outcome = await queueEmail(
      ctx.db,
      ctx.env,
      {
        kind: "code_reminder",
        dedupeKey: `code_reminder:${order.id}`,
        to,
        locale,
        content: {
          subject: t("mail.codeReminder.subject", { deadline }),
          heading: t("mail.codeReminder.heading"),
          paragraphs: [t("mail.codeReminder.text", { deadline }), t("mail.codeReminder.fullOnPortal")],
          details: [
            [t("mail.details.paymentTool"), t(`paymentTools.${order.paymentTool}`)],
            ...(tail ? [[t(`mail.codeReminder.tail.${instructions.kind}`), tail] as [string, string]] : []),
            [t("mail.details.amount"), formatMoney(order.totalAmount, locale)],
            [t("mail.details.deadline"), deadline],
            [t("mail.details.reference"), order.reference],
          ],
          action: { label: t("mail.codeReminder.action"), path: `/payments/${order.reference}` },
        },
        about: { orderId: order.id, memberId: order.memberId ?? undefined },
      },
      now,
    );
    if (outcome === "queued") queued += 1;
  }
  return { queued };
}

/** Just before it goes: the order still waits for its money and its instructions have not expired. */
const codeStillOutstanding: MailStillTrue = async (db, mail, now) => {
  if (!mail.orderId) return { send: false, reason: "no order" };
  const [order] = await db
    .select({ state: schema.paymentOrders.state, instructions: schema.paymentOrders.paymentInstructions })
    .from(schema.paymentOrders)
    .where(eq(schema.paymentOrders.id, mail.orderId));
  if (order?.state !== "awaiting_payment") return { send: false, reason: `order ${order?.state ?? "gone"}` };
  if (!instructionsOutstanding(order.instructions, now)) return { send: false, reason: "instructions expired" };
  return { send: true };
};

/** Checks for the composition root to give the mail job (MailHooks.checks). */
export const codeReminderChecks: MailChecks = { code_reminder: codeStillOutstanding };
