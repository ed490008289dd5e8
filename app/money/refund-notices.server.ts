import { eq } from "drizzle-orm";
import { formatDateTime, formatMoney } from "~/domain/format";
import { maskIdentifier } from "~/domain/masking";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import { localized, type Locale } from "~/i18n";
import { queueEmail } from "~/mail/outbox.server";
import type { PaymentOrder } from "~/payments/orders/order.server";

/**
 * The refund notice (退款通知): when a refund completes, the payer is told,
 * in the same transaction, at the address they left for the payment (or
 * their member address): how much goes back, of which payment (its receipt
 * number), for which bill (its number masked), and how and when the money
 * arrives. Orders have no language on record: the notice is in Traditional
 * Chinese.
 */

const NOTICE_LOCALE: Locale = "zh-TW";

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
  const t = await getFixedT(NOTICE_LOCALE);
  const amount = formatMoney(refund.amount, NOTICE_LOCALE);
  await queueEmail(
    tx,
    env,
    {
      kind: "refund_notice",
      dedupeKey: `refund_notice:${refund.id}`,
      to,
      locale: NOTICE_LOCALE,
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
                [t("mail.details.billType"), localized(bill, NOTICE_LOCALE)],
                [t("mail.details.writeOffNumber"), maskIdentifier(bill.writeOffNumber, 0, 4)],
              ] as Array<[string, string]>)
            : []),
          [t("mail.details.refundedAt"), formatDateTime(now, NOTICE_LOCALE)],
        ],
        action: { label: t("mail.refundNotice.action"), path: `/payments/${order.reference}` },
      },
      about: { orderId: order.id, billId: refund.billId, refundId: refund.id, memberId: order.memberId ?? undefined },
    },
    now,
  );
}
