import { isPaid } from "~/domain/bill-lifecycle";
import bwipjs from "bwip-js/node";
import type { TFunction } from "i18next";
import { composeConvenienceBarcodes } from "~/domain/convenience-barcode";
import { formatDate, formatMoney } from "~/domain/format";
import { findBillType } from "~/bills/catalogue.server";
import { billWithPeriod, type BillView } from "~/bills/bills.server";
import type { Database } from "~/base/db.server";
import { localized, type Locale } from "~/i18n";
import { getFixedT } from "~/base/i18n.server";
import {
  collectPdf,
  endPdf,
  figure,
  heading,
  keepTogether,
  newPage,
  newPdfDocument,
  paragraph,
  detailsTable,
  separator,
  type TaggedPdf,
} from "./pdf.server";

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

/**
 * How the slip prints its barcodes. Store scanners expect one narrow-bar
 * (module) width on all three, so each barcode is as long as its content
 * makes it: 1 pt (0.35 mm) is a whole pixel at 72 dpi, so even a coarse
 * rendering keeps every bar, and the longest barcode (16 characters, 288
 * modules) is about 10 cm. Bars and the quiet zones (10 modules) start on
 * whole points.
 */
const MODULE = 1;
const BAR_HEIGHT = 36;
const QUIET_ZONE = 10 * MODULE;

/** Bar and space widths in modules, from bwip-js's Code 39 encoder. */
function code39Pattern(text: string): number[] {
  const [symbol] = bwipjs.raw("code39", text, {});
  if (!symbol || !("sbs" in symbol)) throw new Error("bwip-js gave no bar pattern for Code 39");
  return symbol.sbs;
}

/** One barcode as vector bars (sharp at any resolution), its figure label above and the human-readable text below. */
function writeBarcode(pdf: TaggedPdf, section: PDFKit.PDFStructureElement, t: TFunction, index: number, text: string): void {
  const { doc } = pdf;
  const pattern = code39Pattern(text);
  const barsWidth = pattern.reduce((sum, modules) => sum + modules, 0) * MODULE;
  doc.font("regular").fontSize(9);
  const labelHeight = doc.currentLineHeight(true) + 2;
  const height = labelHeight + BAR_HEIGHT + 14;
  keepTogether(pdf, height + 12);
  const box = { x: doc.x, y: Math.ceil(doc.y), width: barsWidth + QUIET_ZONE * 2, height };
  figure(pdf, section, t("slip.barcodeAlt", { n: index + 1, text }), box, () => {
    doc.fillColor("#4a4a4a").text(t("slip.pdf.barcodeLabel", { n: index + 1 }), box.x, box.y, { lineBreak: false });
    const top = box.y + Math.ceil(labelHeight);
    let x = box.x + QUIET_ZONE;
    for (const [i, modules] of pattern.entries()) {
      if (i % 2 === 0) doc.rect(x, top, modules * MODULE, BAR_HEIGHT);
      x += modules * MODULE;
    }
    doc.fill("#000000");
    doc
      .fontSize(10)
      .fillColor("#1b1b1b")
      .text(text, box.x, top + BAR_HEIGHT + 2, { width: box.width, align: "center", lineBreak: false });
  });
  doc.moveDown(0.8);
}

/** The slip as a tagged PDF in the visitor's language: the bill, and the three barcodes at the size store scanners read. */
export async function paymentSlipPdf(slip: PaymentSlip, locale: Locale): Promise<Buffer> {
  const { bill, barcodes } = slip;
  const t = await getFixedT(locale);
  const pdf = newPdfDocument({
    title: t("slip.pdf.title", { number: bill.writeOffNumber }),
    subject: t("slip.title"),
    author: t("site.fullName"),
    locale,
  });
  const done = collectPdf(pdf.doc);
  const section = newPage(pdf, t("slip.pdf.title", { number: bill.writeOffNumber }));
  heading(pdf, section, 1, t("slip.pdf.heading"));
  paragraph(pdf, section, t("site.fullName"), { muted: true });
  separator(pdf);
  paragraph(pdf, section, t("slip.payBy", { date: formatDate(bill.dueDate, locale), amount: formatMoney(bill.amount, locale) }), {
    bold: true,
    size: 12,
  });
  detailsTable(pdf, section, [
    [t("receipt.billType"), localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale)],
    [t("bill.agency"), localized({ nameZh: bill.agencyNameZh, nameEn: bill.agencyNameEn }, locale)],
    [t("bill.writeOffNumber"), bill.writeOffNumber],
    [t(`bill.subject.${bill.subjectKind}`), bill.subjectMasked],
    [t("bill.payer"), bill.payerNameMasked],
    [t("bill.amount"), formatMoney(bill.amount, locale)],
    [t("bill.dueDate"), formatDate(bill.dueDate, locale)],
  ]);
  heading(pdf, section, 2, t("slip.barcodesHeading"));
  for (const [i, text] of barcodes.entries()) writeBarcode(pdf, section, t, i, text);
  paragraph(pdf, section, t("slip.stores"), { size: 10 });
  section.end();
  endPdf(pdf);
  return done;
}
