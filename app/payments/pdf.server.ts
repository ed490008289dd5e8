import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import type { Locale } from "~/i18n";

/**
 * The portal's PDFs (receipts, payment slips) as tagged PDF/UA-1 documents:
 * A4, set in Noto Sans TC (pdfkit embeds only the glyphs used), in the
 * visitor's language, and with a structure tree a screen reader follows in
 * reading order. Every mark on a page is either inside a structure element
 * or an artifact; the helpers below are the only way the documents draw, so
 * that stays true.
 */

const require = createRequire(import.meta.url);
const fontFile = (path: string) => require.resolve(`@expo-google-fonts/noto-sans-tc/${path}`);
// Read once (each is several megabytes), not from disk for every document.
let fonts: { regular: Buffer; bold: Buffer } | undefined;
const loadFonts = () =>
  (fonts ??= {
    regular: readFileSync(fontFile("400Regular/NotoSansTC_400Regular.ttf")),
    bold: readFileSync(fontFile("700Bold/NotoSansTC_700Bold.ttf")),
  });

/** The document's /Lang: what the visitor reads the portal in. */
const PDF_LANG: Record<Locale, string> = { "zh-TW": "zh-TW", en: "en" };

const MARGIN = 56;
const INK = "#1b1b1b";
const MUTED = "#4a4a4a";
const ACCENT = "#083d47";
const LINK = "#0b4fa3";
const LINE = "#b8c4c6";

// @types/pdfkit 0.17 lists only the PDF/A subsets; pdfkit 0.20 also writes
// the PDF/UA identification (pdfuaid:part 1) into the XMP metadata.
const PDF_UA = { subset: "PDF/UA" } as unknown as Pick<PDFKit.PDFDocumentOptions, "subset">;

/** A document being written, and the Document element its content hangs from. */
export interface TaggedPdf {
  doc: PDFKit.PDFDocument;
  root: PDFKit.PDFStructureElement;
}

/** A document without pages yet; add one per item with `newPage`. */
export function newPdfDocument(options: { title: string; subject: string; author: string; locale: Locale }): TaggedPdf {
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    pdfVersion: "1.7",
    tagged: true,
    ...PDF_UA,
    lang: PDF_LANG[options.locale],
    displayTitle: true,
    autoFirstPage: false,
    info: { Title: options.title, Author: options.author, Subject: options.subject },
  });
  const { regular, bold } = loadFonts();
  doc.registerFont("regular", regular);
  doc.registerFont("bold", bold);
  const root = doc.struct("Document");
  doc.addStructure(root);
  return { doc, root };
}

/** The whole document, once it has ended. */
export function collectPdf(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
}

/** Ends the structure tree and the document. */
export function endPdf({ doc, root }: TaggedPdf): void {
  root.end();
  doc.end();
}

/** The width between the margins. */
export const contentWidth = (doc: PDFKit.PDFDocument) => doc.page.width - MARGIN * 2;

/** Drawing that carries no meaning (rules, frames): an artifact, which screen readers skip. */
function decoration(doc: PDFKit.PDFDocument, draw: () => void): void {
  doc.markContent("Artifact", { type: "Layout" });
  draw();
  doc.endMarkedContent();
}

/** A new page under the portal's band; returns the section the page's content goes in. */
export function newPage(pdf: TaggedPdf, title: string): PDFKit.PDFStructureElement {
  const { doc, root } = pdf;
  doc.addPage();
  decoration(doc, () => {
    doc.rect(MARGIN, MARGIN - 20, contentWidth(doc), 4).fill(ACCENT);
  });
  const section = doc.struct("Sect", { title });
  root.add(section);
  return section;
}

export function heading(pdf: TaggedPdf, parent: PDFKit.PDFStructureElement, level: 1 | 2, text: string): void {
  const { doc } = pdf;
  if (level === 2) doc.moveDown(0.8);
  parent.add(
    doc.struct(`H${level}`, {}, () => {
      doc
        .font("bold")
        .fontSize(level === 1 ? 22 : 14)
        .fillColor(level === 1 ? ACCENT : INK)
        .text(text);
    }),
  );
  doc.moveDown(level === 1 ? 0.2 : 0.3);
}

export function paragraph(
  pdf: TaggedPdf,
  parent: PDFKit.PDFStructureElement,
  text: string,
  style: { size?: number; muted?: boolean; bold?: boolean; width?: number } = {},
): void {
  const { doc } = pdf;
  parent.add(
    doc.struct("P", {}, () => {
      doc
        .font(style.bold ? "bold" : "regular")
        .fontSize(style.size ?? 11)
        .fillColor(style.muted ? MUTED : INK)
        .text(text, { width: style.width });
    }),
  );
  doc.moveDown(0.3);
}

/** A rule under a heading block. */
export function separator(pdf: TaggedPdf): void {
  const { doc } = pdf;
  doc.moveDown(0.4);
  const y = doc.y;
  decoration(doc, () => {
    doc
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + contentWidth(doc), y)
      .lineWidth(0.75)
      .stroke(LINE);
  });
  doc.moveDown(0.6);
}

interface Cell {
  text: string;
  /** A header cell, and which cells it heads. */
  scope?: "Row" | "Column";
}

const CELL_PADDING = { top: 4, right: 6, bottom: 4 };
const cellFont = (cell: Cell) => (cell.scope ? { font: "bold", size: 9.5, color: MUTED } : { font: "regular", size: 10.5, color: INK });

/**
 * A Table of TR rows of TH and TD cells, drawn row by row: a row that does
 * not fit goes to the next page, where a header row is drawn again as an
 * artifact (only the first is the table's). Widths "*" share what the
 * others leave. (pdfkit's own table tags cells too, but lays a receipt of
 * twenty bills out twenty times slower.)
 */
function table(pdf: TaggedPdf, parent: PDFKit.PDFStructureElement, rows: Cell[][], widths: Array<number | "*">): void {
  const { doc } = pdf;
  const fixed = widths.reduce<number>((sum, width) => sum + (width === "*" ? 0 : width), 0);
  const shared = (contentWidth(doc) - fixed) / widths.filter((width) => width === "*").length;
  const columns = widths.map((width) => (width === "*" ? shared : width));
  const headerRow = rows[0]?.every((cell) => cell.scope === "Column") ? rows[0] : undefined;
  const heightOf = (row: Cell[]) =>
    Math.max(
      ...row.map((cell, i) => {
        const style = cellFont(cell);
        return doc
          .font(style.font)
          .fontSize(style.size)
          .heightOfString(cell.text, { width: columns[i]! - CELL_PADDING.right });
      }),
    ) +
    CELL_PADDING.top +
    CELL_PADDING.bottom;
  const drawRow = (row: Cell[], cellContent: (cell: Cell, draw: () => void) => void) => {
    const [top, height] = [doc.y, heightOf(row)];
    let x = MARGIN;
    for (const [i, cell] of row.entries()) {
      const style = cellFont(cell);
      const left = x;
      cellContent(cell, () => {
        doc
          .font(style.font)
          .fontSize(style.size)
          .fillColor(style.color)
          .text(cell.text, left, top + CELL_PADDING.top, { width: columns[i]! - CELL_PADDING.right });
      });
      x += columns[i]!;
    }
    decoration(doc, () => {
      doc
        .moveTo(MARGIN, top + height)
        .lineTo(MARGIN + contentWidth(doc), top + height)
        .lineWidth(0.5)
        .stroke(LINE);
    });
    doc.x = MARGIN;
    doc.y = top + height;
  };

  const element = doc.struct("Table");
  parent.add(element);
  for (const row of rows) {
    if (doc.y + heightOf(row) > doc.page.maxY()) {
      doc.addPage();
      if (headerRow && row !== headerRow) drawRow(headerRow, (_, draw) => decoration(doc, draw));
    }
    const tr = doc.struct("TR");
    element.add(tr);
    drawRow(row, (cell, draw) => tr.add(doc.struct(cell.scope ? "TH" : "TD", cell.scope ? { scope: cell.scope } : {}, draw)));
    tr.end();
  }
  element.end();
}

/** Label–value pairs as a table whose first column holds row headers. */
export function detailsTable(pdf: TaggedPdf, parent: PDFKit.PDFStructureElement, rows: Array<[string, string]>): void {
  table(
    pdf,
    parent,
    rows.map(([label, text]) => [{ text: label, scope: "Row" }, { text }]),
    [150, "*"],
  );
}

/** Rows of data under a row of column headers. */
export function dataTable(
  pdf: TaggedPdf,
  parent: PDFKit.PDFStructureElement,
  headers: string[],
  rows: string[][],
  widths: Array<number | "*">,
): void {
  table(
    pdf,
    parent,
    [headers.map((text) => ({ text, scope: "Column" as const })), ...rows.map((row) => row.map((text) => ({ text })))],
    widths,
  );
}

/**
 * A picture (QR code, barcode) with its alternative text, drawn by `draw` in
 * the box given (page coordinates from the top left), which then ends below it.
 */
export function figure(
  pdf: TaggedPdf,
  parent: PDFKit.PDFStructureElement,
  alt: string,
  box: { x: number; y: number; width: number; height: number },
  draw: () => void,
): void {
  const { doc } = pdf;
  const bbox: [number, number, number, number] = [box.x, box.y, box.x + box.width, box.y + box.height];
  const below = doc.y;
  parent.add(doc.struct("Figure", { alt, bbox, placement: "Block" }, draw));
  doc.x = MARGIN;
  doc.y = Math.max(below, box.y + box.height);
}

/** Room for a block of this height on the current page, or a new page. */
export function keepTogether(pdf: TaggedPdf, height: number): void {
  if (pdf.doc.y + height > pdf.doc.page.maxY()) pdf.doc.addPage();
}

// pdfkit writes a JavaScript string as a PDF name and a String object as a
// PDF string; @types/pdfkit types the annotation's Contents as a string.
const pdfString = (text: string) => new String(text) as unknown as string;

/**
 * A web address as a Link element: its text, and the link annotation with a
 * description (PDF/UA asks for one). Set on one line, smaller if need be, so
 * one annotation covers it.
 */
export function linkParagraph(pdf: TaggedPdf, parent: PDFKit.PDFStructureElement, url: string, description: string): void {
  const { doc } = pdf;
  doc.font("regular").fontSize(10);
  const size = Math.min(10, (10 * contentWidth(doc)) / doc.widthOfString(url));
  const paragraphElement = doc.struct("P");
  parent.add(paragraphElement);
  const link = doc.struct("Link");
  paragraphElement.add(link);
  const [x, y] = [doc.x, doc.y];
  link.add(() => {
    doc.fontSize(size).fillColor(LINK).text(url, { lineBreak: false, underline: true });
  });
  doc.link(x, y, doc.widthOfString(url), doc.currentLineHeight(), url, { structParent: link, Contents: pdfString(description) });
  link.end();
  paragraphElement.end();
  doc.x = MARGIN;
  doc.y = y + doc.currentLineHeight(true);
  doc.moveDown(0.5);
}
