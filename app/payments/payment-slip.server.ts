import { isPaid } from "~/domain/bill-lifecycle";
import bwipjs from "bwip-js/node";
import { composeConvenienceBarcodes } from "~/domain/convenience-barcode";
import { formatDate, formatMoney } from "~/domain/format";
import { findBillType } from "~/bills/catalogue.server";
import { billWithPeriod, type BillView } from "~/bills/bills.server";
import type { Database } from "~/base/db.server";
import { collectPdf, newPdfDocument } from "./pdf.server";

/**
 * A reprinted payment slip (補印繳費單) for an unpaid bill: the three
 * convenience-store Code 39 barcodes (超商三段式條碼) with a valid check
 * code, drawn by bwip-js, so the bill can still be paid at a store. Stores
 * refuse a slip after its deadline, so overdue bills get none.
 */

export interface PaymentSlip {
  bill: BillView;
  barcodes: [string, string, string];
  collectionItemCode: string;
}

export type SlipOutcome =
  { kind: "slip"; slip: PaymentSlip } | { kind: "not_payable"; bill: BillView; reason: "paid" | "overdue" | "cancelled" };

export async function paymentSlip(db: Database, billId: string, now = new Date()): Promise<SlipOutcome | null> {
  const found = await billWithPeriod(db, billId, now);
  if (!found) return null;
  const { period, ...bill } = found;
  if (isPaid(bill.status)) return { kind: "not_payable", bill, reason: "paid" };
  if (bill.status === "cancelled") return { kind: "not_payable", bill, reason: "cancelled" };
  if (bill.status === "overdue") return { kind: "not_payable", bill, reason: "overdue" };
  const type = await findBillType(db, bill.billTypeCode);
  if (!type) return null;
  const { collectionItemCode } = type.billType;
  const barcodes = composeConvenienceBarcodes({
    deadline: bill.dueDate,
    collectionItemCode,
    writeOffNumber: bill.writeOffNumber,
    period,
    amount: bill.amount,
  });
  return { kind: "slip", slip: { bill, barcodes, collectionItemCode } };
}

const barcodeOptions = (text: string) => ({
  bcid: "code39",
  text,
  height: 12,
  includetext: true,
  textxalign: "center" as const,
  paddingwidth: 8,
  paddingheight: 4,
  backgroundcolor: "FFFFFF",
});

/** An SVG image of one barcode, as a data: URL for an <img> with its own alt text. */
export function barcodeSvgDataUrl(text: string): string {
  const svg = bwipjs.toSVG({ ...barcodeOptions(text), scale: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

/** A PNG of one barcode, for the PDF slip (sharp at print resolution). */
function barcodePng(text: string): Promise<Buffer> {
  return bwipjs.toBuffer({ ...barcodeOptions(text), scale: 4 });
}

/** The slip as a PDF: bilingual labels, the three barcodes at a size store scanners read. */
export async function paymentSlipPdf(slip: PaymentSlip): Promise<Buffer> {
  const { bill, barcodes } = slip;
  const doc = newPdfDocument(`補印繳費單 Payment slip ${bill.writeOffNumber}`, "補印繳費單");
  const done = collectPdf(doc);
  doc.addPage();
  const label = (zh: string, en: string, value: string) => {
    doc.font("bold").fontSize(10).fillColor("#4a4a4a").text(`${zh} ${en}`);
    doc.font("regular").fontSize(12).fillColor("#1b1b1b").text(value).moveDown(0.3);
  };
  doc.font("bold").fontSize(22).fillColor("#083d47").text("補印繳費單");
  doc.font("regular").fontSize(12).fillColor("#4a4a4a").text("Payment slip for convenience stores · 臺中市政府 支付繳費通").moveDown(0.8);
  label("繳費項目", "Bill type", `${bill.billTypeNameZh} ${bill.billTypeNameEn}`);
  label("開單機關", "Issued by", bill.agencyNameZh);
  label("銷帳編號", "Write-off number", bill.writeOffNumber);
  label("繳款人", "Payer", bill.payerNameMasked);
  label("應繳金額", "Amount", formatMoney(bill.amount, "zh-TW"));
  label("繳費期限", "Pay by", `${formatDate(bill.dueDate, "zh-TW")}（${formatDate(bill.dueDate, "en")}）`);
  doc.moveDown(0.5);
  doc.font("bold").fontSize(12).fillColor("#1b1b1b").text("超商代收條碼 Convenience-store barcodes").moveDown(0.4);
  for (const [i, text] of barcodes.entries()) {
    const png = await barcodePng(text);
    doc
      .font("regular")
      .fontSize(9)
      .fillColor("#4a4a4a")
      .text(`第 ${i + 1} 段 Barcode ${i + 1}`);
    doc.image(png, { width: 300 }).moveDown(0.6);
  }
  doc.font("regular").fontSize(10).fillColor("#4a4a4a");
  doc.text("請於繳費期限內持本單至 7-ELEVEN、全家、萊爾富、OK 超商繳納；逾期超商無法收款。");
  doc.text("Pay at 7-ELEVEN, FamilyMart, Hi-Life or OK mart by the date above; stores cannot accept it afterwards.");
  doc.end();
  return done;
}
