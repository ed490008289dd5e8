import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";

/**
 * The portal's PDFs (receipts, payment slips): A4, Traditional Chinese set in
 * Noto Sans TC (pdfkit embeds only the glyphs used), tagged, with language and
 * title, for screen readers.
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

/** A document without pages yet ("regular" and "bold" fonts registered); add one per item. */
export function newPdfDocument(title: string, subject: string): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: "A4",
    margin: 56,
    lang: "zh-Hant-TW",
    tagged: true,
    displayTitle: true,
    autoFirstPage: false,
    info: { Title: title, Author: "支付繳費通", Subject: subject },
  });
  const { regular, bold } = loadFonts();
  doc.registerFont("regular", regular);
  doc.registerFont("bold", bold);
  return doc;
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
