import QRCode from "qrcode";
import { formatDateTime, formatMoney } from "~/domain/format";
import { collectPdf, newPdfDocument } from "./pdf.server";
import type { ReceiptView } from "./receipts.server";

/** A full-width space (U+3000), as Chinese typesetting spaces a label from its figure. */
const IDEOGRAPHIC_SPACE = "\u3000";

/**
 * The receipt as a PDF: Traditional Chinese with English labels, set in Noto
 * Sans TC (pdfkit embeds only the glyphs used), with a QR code to the
 * verification page. Tagged, with its language and title, for screen readers.
 */

const TOOL_NAMES: Record<string, string> = { line_pay: "LINE Pay", credit_card: "信用卡 Credit card" };

/** One receipt on a page of its own. */
async function writeReceipt(doc: PDFKit.PDFDocument, receipt: ReceiptView, verifyUrl: string): Promise<void> {
  const qr = await QRCode.toBuffer(verifyUrl, { errorCorrectionLevel: "M", width: 300, margin: 2 });
  doc.addPage();
  const label = (zh: string, en: string, value: string) => {
    doc.font("bold").fontSize(10).fillColor("#4a4a4a").text(`${zh} ${en}`);
    doc.font("regular").fontSize(12).fillColor("#1b1b1b").text(value).moveDown(0.4);
  };

  doc.font("bold").fontSize(22).fillColor("#083d47").text("繳費證明");
  doc.font("regular").fontSize(12).fillColor("#4a4a4a").text("Payment receipt · 臺中市政府 支付繳費通").moveDown(1);
  doc.image(qr, doc.page.width - 56 - 110, 56, { width: 110 });

  label("證明編號", "Receipt number", receipt.number);
  label("繳費時間", "Paid at", formatDateTime(receipt.paidAt, "zh-TW"));
  label("支付工具", "Payment tool", TOOL_NAMES[receipt.paymentTool] ?? receipt.paymentTool);
  label("支付業者交易序號", "Provider transaction number", receipt.providerTransactionId ?? "—");
  label("訂單編號", "Order reference", receipt.orderReference);
  if (receipt.state === "refunded") label("狀態", "Status", "已退款 Refunded");
  doc.moveDown(0.5);

  doc.font("bold").fontSize(14).fillColor("#1b1b1b").text("繳費明細 Bills paid").moveDown(0.3);
  for (const bill of receipt.bills) {
    doc
      .font("bold")
      .fontSize(12)
      .text(`${bill.billTypeNameZh}${IDEOGRAPHIC_SPACE}${formatMoney(bill.amount, "zh-TW")}`);
    doc
      .font("regular")
      .fontSize(10)
      .fillColor("#4a4a4a")
      .text(`開單機關 ${bill.agencyNameZh}｜銷帳編號 ${bill.writeOffNumber}｜繳款人 ${bill.payerNameMasked}`)
      .fillColor("#1b1b1b")
      .moveDown(0.4);
  }
  doc.moveDown(0.3);
  doc
    .font("bold")
    .fontSize(14)
    .text(`合計 Total${IDEOGRAPHIC_SPACE}${formatMoney(receipt.totalAmount, "zh-TW")}`)
    .moveDown(1);

  doc.font("regular").fontSize(10).fillColor("#4a4a4a");
  doc.text("驗證本證明 Verify this receipt:");
  doc.fillColor("#0b4fa3").text(verifyUrl, { link: verifyUrl, underline: true });
  doc.fillColor("#4a4a4a").moveDown(0.5);
  doc.text("本證明由支付繳費通於付款成功時開立；掃描右上角 QR Code 或開啟上方網址，可確認證明為真。");
  doc.text("Issued by the Pay Portal when the payment succeeded. Scan the QR code or open the address above to confirm it is genuine.");
}

export async function receiptPdf(receipt: ReceiptView, verifyUrl: string): Promise<Buffer> {
  const doc = newPdfDocument(`繳費證明 Payment receipt ${receipt.number}`, "繳費證明");
  const done = collectPdf(doc);
  await writeReceipt(doc, receipt, verifyUrl);
  doc.end();
  return done;
}

/**
 * Several receipts in one PDF, a page each, for a member's download. The
 * document is a stream: pages go out as they are written, while the next
 * receipts are still being read.
 */
export function receiptsPdfStream(
  receipts: AsyncIterable<{ receipt: ReceiptView; verifyUrl: string }>,
  title: string,
): ReadableStream<Uint8Array> {
  const doc = newPdfDocument(title, "繳費證明");
  return new ReadableStream<Uint8Array>({
    start(controller) {
      doc.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
      doc.on("end", () => controller.close());
      doc.on("error", (error: unknown) => controller.error(error));
      void (async () => {
        try {
          for await (const { receipt, verifyUrl } of receipts) await writeReceipt(doc, receipt, verifyUrl);
          doc.end();
        } catch (error) {
          controller.error(error);
        }
      })();
    },
  });
}
