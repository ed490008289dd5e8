import { eq } from "drizzle-orm";
import { formatDateTime, formatMoney } from "~/domain/format";
import { maskWriteOffNumber } from "~/domain/masking";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import { localized } from "~/i18n";
import { queueEmail } from "~/mail/outbox.server";
import type { PaymentOrder } from "~/payments/orders/order.server";

export async function queueRefundNotice(
  tx: Database,
  env: Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY">,
  order: PaymentOrder,
  refund: { id: string; number: string; billId: string; amount: number },
  now: Date,
): Promise<void> {
  let to = order.payerEmail;
  if (!to && order.memberId) {
    const [member] = await tx.select({ email: schema.members.email }).from(schema.members).where(eq(schema.members.id, order.memberId));
    to = member?.email ?? null;
  }
  if (!to) return;
  const [bill] = await tx
    .select({ writeOffNumber: schema.bills.writeOffNumber, nameZh: schema.billTypes.nameZh, nameEn: schema.billTypes.nameEn })
    .from(schema.bills)
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .where(eq(schema.bills.id, refund.billId));
  const [receipt] = await tx.select({ number: schema.receipts.number }).from(schema.receipts).where(eq(schema.receipts.orderId, order.id));
  const locale = order.payerLocale;
  const t = await getFixedT(locale);
  const amount = formatMoney(refund.amount, locale);
  await queueEmail(
    tx,
    env,
    {
      kind: "refund_notice",
      dedupeKey: `refund_notice:${refund.id}`,
      to,
      locale,
      content: {
        subject: t("mail.refundNotice.subject", { amount }),
        heading: t("mail.refundNotice.heading"),
        paragraphs: [t("mail.refundNotice.text", { amount }), t("mail.refundNotice.when")],
        details: [
          [t("mail.details.refundNumber"), refund.number],
          [t("mail.details.amountBack"), amount],
          [t("mail.details.receiptNumber"), receipt?.number ?? order.reference],
          [t("mail.details.paymentTool"), t(`paymentTools.${order.paymentTool}`)],
          ...(bill
            ? ([
                [t("mail.details.billType"), localized(bill, locale)],
                [t("mail.details.writeOffNumber"), maskWriteOffNumber(bill.writeOffNumber)],
              ] as Array<[string, string]>)
            : []),
          [t("mail.details.refundedAt"), formatDateTime(now, locale)],
        ],
        action: { label: t("mail.refundNotice.action"), path: `/payments/${order.reference}` },
      },
      about: { orderId: order.id, billId: refund.billId, refundId: refund.id, memberId: order.memberId ?? undefined },
    },
    now,
  );
}
