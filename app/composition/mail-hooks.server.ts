import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import type { MailHooks } from "~/mail/hooks.server";
import { caseStatusChecks } from "~/cases/status-changes.server";
import { reminderChecks } from "~/members/reminders.server";
import { codeReminderChecks } from "~/payments/code-reminders.server";
import { receiptPdf } from "~/payments/receipt-pdf.server";
import { receiptOfOrder, receiptVerificationUrl } from "~/payments/receipts.server";

/**
 * What the mail job asks of the features (the mail layer imports none):
 * the checks each kind of mail passes just before it goes, and the
 * attachments named in the outbox, made when the mail goes (a receipt PDF
 * in the payer's language, as it stands then: a refund made meanwhile is on it).
 * Features add their checks here: a reminder goes only while its bill is
 * unpaid, a code reminder only while its code is outstanding, a status
 * mail only to the address its member still has.
 */
export function mailHooks(env: Pick<Env, "PUBLIC_URL" | "RECEIPT_SECRET">): MailHooks {
  return {
    checks: { ...reminderChecks, ...codeReminderChecks, ...caseStatusChecks },
    async attachment(db, ref, locale) {
      if (ref.kind !== "receipt_pdf") return null;
      const receipt = await receiptOfOrder(db, ref.orderId);
      if (!receipt) return null;
      const t = await getFixedT(locale);
      return {
        filename: t("mail.receipt.filename", { number: receipt.number }),
        contentType: "application/pdf",
        content: await receiptPdf(receipt, receiptVerificationUrl(env.PUBLIC_URL, env.RECEIPT_SECRET, receipt.number), locale),
      };
    },
  };
}
