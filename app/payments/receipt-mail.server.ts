import { eq } from "drizzle-orm";
import { formatDateTime, formatMoney } from "~/domain/format";
import { maskWriteOffNumber } from "~/domain/masking";
import type { Locale } from "~/i18n";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import { queueEmail, type QueueOutcome } from "~/mail/outbox.server";
import type { MailContent } from "~/mail/compose.server";
import type { PaymentOrder } from "./orders/order.server";

/**
 * The receipt by e-mail (電子收據): queued by the paid transition, in its
 * transaction, to the address the payer gave at checkout or else the
 * member's own; in the language the payer paid in (kept in the order's
 * created event: the order row has no locale). The PDF is attached when the
 * mail goes (the mail job asks the composition root's attachment hook).
 * Write-off numbers are masked: a mail can be forwarded or misdelivered.
 */

/** Where the receipt goes: the payer's own address for this payment, else the member's. */
async function receiptAddressOf(db: Database, order: PaymentOrder): Promise<string | null> {
  if (order.payerEmail) return order.payerEmail;
  if (!order.memberId) return null;
  const [member] = await db.select({ email: schema.members.email }).from(schema.members).where(eq(schema.members.id, order.memberId));
  return member?.email ?? null;
}

async function receiptMailContent(db: Database, order: PaymentOrder, receiptNumber: string, locale: Locale): Promise<MailContent> {
  const t = await getFixedT(locale);
  const bills = await db
    .select({
      nameZh: schema.billTypes.nameZh,
      nameEn: schema.billTypes.nameEn,
      writeOffNumber: schema.bills.writeOffNumber,
      amount: schema.paymentOrderItems.amount,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .where(eq(schema.paymentOrderItems.orderId, order.id));
  const amount = formatMoney(order.totalAmount, locale);
  return {
    subject: t("mail.receipt.subject", { amount }),
    heading: t("mail.receipt.heading"),
    paragraphs: [t("mail.receipt.intro", { amount }), t("mail.receipt.attached")],
    details: [
      [t("mail.receipt.amount"), amount],
      [t("mail.receipt.number"), receiptNumber],
      [t("mail.receipt.paidAt"), formatDateTime(order.paidAt ?? new Date(), locale)],
      [t("mail.receipt.tool"), t(`paymentTools.${order.paymentTool}`)],
      ...bills.map((bill): [string, string] => [
        locale === "en" ? bill.nameEn : bill.nameZh,
        t("mail.receipt.bill", { number: maskWriteOffNumber(bill.writeOffNumber), amount: formatMoney(bill.amount, locale) }),
      ]),
    ],
    action: { label: t("mail.receipt.records"), path: "/records" },
  };
}

/** Inside the paid transition: the receipt mail, once per order (a repeated paid notice queues nothing). */
export async function queueReceiptMail(
  tx: Database,
  env: Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY">,
  order: PaymentOrder,
  receiptNumber: string,
  now: Date,
): Promise<QueueOutcome | "no_address"> {
  const to = await receiptAddressOf(tx, order);
  if (!to) return "no_address";
  const locale = order.payerLocale;
  return queueEmail(
    tx,
    env,
    {
      kind: "receipt",
      dedupeKey: `receipt:${order.id}`,
      to,
      locale,
      content: await receiptMailContent(tx, order, receiptNumber, locale),
      attachments: [{ kind: "receipt_pdf", orderId: order.id }],
      about: { orderId: order.id, memberId: order.memberId ?? undefined },
    },
    now,
  );
}
