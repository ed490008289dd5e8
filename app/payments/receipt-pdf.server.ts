import QRCode from "qrcode";
import type { TFunction } from "i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { localized, type Locale } from "~/i18n";
import { getFixedT } from "~/base/i18n.server";
import { receiptRefundNotices } from "~/lib/receipt-refunds";
import {
  collectPdf,
  dataTable,
  detailsTable,
  endPdf,
  figure,
  heading,
  contentWidth,
  keepTogether,
  linkParagraph,
  newPage,
  newPdfDocument,
  paragraph,
  separator,
  type TaggedPdf,
} from "./pdf.server";
import type { ReceiptView } from "./receipts.server";

/**
 * The receipt as a tagged PDF in the visitor's language: what the receipt
 * page shows, and a QR code to the verification page with the address
 * beside it, for an accounting office to check it is genuine.
 */

const QR_SIZE = 96;

/** One receipt on a page of its own, as a section of the document. */
async function writeReceipt(pdf: TaggedPdf, t: TFunction, locale: Locale, receipt: ReceiptView, verifyUrl: string): Promise<void> {
  const qr = await QRCode.toBuffer(verifyUrl, { errorCorrectionLevel: "M", width: 300, margin: 2 });
  const { doc } = pdf;
  const section = newPage(pdf, t("receipt.pdf.title", { number: receipt.number }));
  heading(pdf, section, 1, t("receipt.title"));
  paragraph(pdf, section, t("site.fullName"), { muted: true });
  separator(pdf);
  for (const notice of receiptRefundNotices(receipt, t, locale)) paragraph(pdf, section, notice, { bold: true });
  detailsTable(pdf, section, [
    [t("receipt.number"), receipt.number],
    [t("bill.paidAt"), formatDateTime(receipt.paidAt, locale)],
    [t("payment.tool"), t(`paymentTools.${receipt.paymentTool}`)],
    [t("receipt.providerTransaction"), receipt.providerTransactionId ?? "—"],
    [t("payment.reference"), receipt.orderReference],
    [t("payment.amount"), formatMoney(receipt.totalAmount, locale)],
  ]);

  heading(pdf, section, 2, t("receipt.billsCaption"));
  dataTable(
    pdf,
    section,
    [t("receipt.billType"), t("bill.agency"), t("bill.writeOffNumber"), t("bill.payer"), t("bill.amount")],
    receipt.bills.map((bill) => [
      localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale),
      localized({ nameZh: bill.agencyNameZh, nameEn: bill.agencyNameEn }, locale),
      bill.writeOffNumber,
      bill.payerNameMasked,
      formatMoney(bill.amount, locale),
    ]),
    ["*", "*", 100, 48, 88],
  );

  if (receipt.refunds.length > 0) {
    heading(pdf, section, 2, t("receipt.refundsCaption"));
    dataTable(
      pdf,
      section,
      [t("receipt.refundNumber"), t("bill.writeOffNumber"), t("receipt.refundAmount"), t("receipt.refundedAt")],
      receipt.refunds.map((refund) => [
        refund.number,
        refund.writeOffNumber,
        formatMoney(refund.amount, locale),
        formatDateTime(refund.refundedAt, locale),
      ]),
      ["*", 110, 110, "*"],
    );
  }

  // The QR code beside the text that explains it, the address in full below both.
  keepTogether(pdf, 90 + QR_SIZE);
  heading(pdf, section, 2, t("receipt.pdf.verifyHeading"));
  const box = { x: doc.x + contentWidth(doc) - QR_SIZE, y: doc.y, width: QR_SIZE, height: QR_SIZE };
  paragraph(pdf, section, t("receipt.pdf.verifyText"), { size: 10, width: contentWidth(doc) - QR_SIZE - 24 });
  paragraph(pdf, section, t("receipt.pdf.issued"), { size: 10, muted: true, width: contentWidth(doc) - QR_SIZE - 24 });
  figure(pdf, section, t("receipt.pdf.qrAlt", { url: verifyUrl }), box, () => {
    doc.image(qr, box.x, box.y, { width: box.width });
  });
  doc.moveDown(0.4);
  linkParagraph(pdf, section, verifyUrl, t("receipt.pdf.linkDescription"));
  section.end();
}

async function receiptDocument(locale: Locale, title: (t: TFunction) => string): Promise<{ t: TFunction; pdf: TaggedPdf }> {
  const t = await getFixedT(locale);
  return { t, pdf: newPdfDocument({ title: title(t), subject: t("receipt.title"), author: t("site.fullName"), locale }) };
}

export async function receiptPdf(receipt: ReceiptView, verifyUrl: string, locale: Locale): Promise<Buffer> {
  const { t, pdf } = await receiptDocument(locale, (t) => t("receipt.pdf.title", { number: receipt.number }));
  const done = collectPdf(pdf.doc);
  await writeReceipt(pdf, t, locale, receipt, verifyUrl);
  endPdf(pdf);
  return done;
}

/**
 * Several receipts in one PDF, a page each, for a member's download. The
 * document is a stream: pages go out as they are written, while the next
 * receipts are still being read.
 */
export function receiptsPdfStream(
  receipts: AsyncIterable<{ receipt: ReceiptView; verifyUrl: string }>,
  count: number,
  locale: Locale,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const { t, pdf } = await receiptDocument(locale, (t) => t("receipt.pdf.severalTitle", { count }));
      pdf.doc.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
      pdf.doc.on("end", () => controller.close());
      pdf.doc.on("error", (error: unknown) => controller.error(error));
      void (async () => {
        try {
          for await (const { receipt, verifyUrl } of receipts) await writeReceipt(pdf, t, locale, receipt, verifyUrl);
          endPdf(pdf);
        } catch (error) {
          controller.error(error);
        }
      })();
    },
  });
}
