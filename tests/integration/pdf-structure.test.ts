import { describe, expect, it } from "vitest";
import { getFixedT, getI18n } from "~/base/i18n.server";
import { formatDateTime, formatMoney } from "~/domain/format";
import type { Locale } from "~/i18n";
import { statementPdf, statementPdfTitle } from "~/money/statement-documents.server";
import { paymentSlipPdf } from "~/payments/payment-slip.server";
import { receiptPdf, receiptsPdfStream } from "~/payments/receipt-pdf.server";
import { demoReceipts, demoSlips, demoStatements } from "../support/documents";
import { allNodes, readPdfStructure, type PdfStructure, type StructNode } from "../support/pdf";

/**
 * The receipt, all-receipts, slip and agency statement PDFs read back as a screen reader and
 * a PDF/UA checker read them: a structure tree in reading order (headings,
 * paragraphs, tables with header cells, figures with alternative text, a
 * described link), nothing drawn outside it but artifacts, the visitor's
 * language, a title shown in the title bar, and the PDF/UA-1 identification.
 */

const LOCALES: Locale[] = ["zh-TW", "en"];
const verifyUrlOf = (number: string) => `https://pay.example.gov.tw/receipts/verify?n=${number}&s=3q2-7KxW9vYb0fTzLm8RcA`;

const clean = (text: string) => text.replace(/\s+/g, " ").trim();
const ofRole = (nodes: StructNode[], role: string) => nodes.filter((node) => node.role === role);

/** What every portal PDF has, whatever it says. */
function expectTaggedPdfUa(structure: PdfStructure, locale: Locale, title: string) {
  expect(Number(structure.version)).toBeGreaterThanOrEqual(1.7);
  expect(structure.lang).toBe(locale);
  expect(structure.marked).toBe(true);
  expect(structure.displayDocTitle).toBe(true);
  expect(structure.title).toBe(title);
  expect(structure.xmp).toMatch(/<pdfuaid:part>\s*1\s*<\/pdfuaid:part>/);
  expect(structure.xmp).toContain(`<rdf:li xml:lang="x-default">${title}</rdf:li>`);
  expect(structure.roots.map((node) => node.role)).toEqual(["Document"]);
  // Every mark on every page is tagged content or an artifact.
  expect(
    structure.unmarkedDrawing.every((count) => count === 0),
    `untagged drawing per page: ${structure.unmarkedDrawing}`,
  ).toBe(true);
  expect(structure.untaggedLinks).toBe(0);
  expect(structure.linksWithoutContents).toBe(0);
  const nodes = allNodes(structure.roots);
  for (const figure of ofRole(nodes, "Figure")) expect(figure.alt?.trim()).toBeTruthy();
  // Headings start at H1 and never skip a level.
  const levels = nodes.filter((node) => /^H\d$/.test(node.role)).map((node) => Number(node.role.slice(1)));
  expect(levels[0]).toBe(1);
  for (const [i, level] of levels.entries()) if (i > 0) expect(level).toBeLessThanOrEqual(levels[i - 1]! + 1);
  // Tables are made of rows of header and data cells.
  for (const table of ofRole(nodes, "Table")) {
    expect(table.children.length).toBeGreaterThan(0);
    for (const row of table.children) {
      expect(row.role).toBe("TR");
      for (const cell of row.children) expect(["TH", "TD"]).toContain(cell.role);
    }
  }
  return nodes;
}

/** A table whose first column holds the labels as row headers. */
function rowHeaders(table: StructNode): Array<{ scope?: string; label: string; value: string }> {
  return table.children.map((row) => {
    expect(row.children.map((cell) => cell.role)).toEqual(["TH", "TD"]);
    return { scope: row.children[0]!.scope, label: clean(row.children[0]!.text), value: clean(row.children[1]!.text) };
  });
}

/** One receipt's section: what it says, in reading order. */
async function expectReceiptSection(section: StructNode, receipt: ReturnType<typeof demoReceipts>[number], locale: Locale) {
  const t = await getFixedT(locale);
  const verifyUrl = verifyUrlOf(receipt.number);
  expect(section.role).toBe("Sect");
  const nodes = allNodes([section]);
  const order = (node: StructNode | undefined) => nodes.indexOf(node!);

  const [h1] = ofRole(nodes, "H1");
  expect(clean(h1!.text)).toBe(t("receipt.title"));
  expect(order(h1)).toBe(1);
  const h2s = ofRole(nodes, "H2");
  const refunded = receipt.refunds.length > 0;
  expect(h2s.map((node) => clean(node.text))).toEqual([
    t("receipt.billsCaption"),
    ...(refunded ? [t("receipt.refundsCaption")] : []),
    t("receipt.pdf.verifyHeading"),
  ]);
  const verifyHeading = h2s.at(-1);

  const [details, bills, refunds] = ofRole(nodes, "Table");
  expect(rowHeaders(details!)).toContainEqual({ scope: "Row", label: t("receipt.number"), value: receipt.number });
  expect(rowHeaders(details!).every((row) => row.scope === "Row")).toBe(true);
  expect(order(details)).toBeLessThan(order(h2s[0]));

  const [headerRow, ...billRows] = bills!.children;
  expect(headerRow!.children.map((cell) => [cell.role, cell.scope, clean(cell.text)])).toEqual(
    [t("receipt.billType"), t("bill.agency"), t("bill.writeOffNumber"), t("bill.payer"), t("bill.amount")].map((label) => [
      "TH",
      "Column",
      label,
    ]),
  );
  expect(billRows.map((row) => row.children.map((cell) => cell.role))).toEqual(receipt.bills.map(() => ["TD", "TD", "TD", "TD", "TD"]));
  expect(billRows.map((row) => clean(row.children[2]!.text))).toEqual(receipt.bills.map((bill) => bill.writeOffNumber));
  expect(order(h2s[0])).toBeLessThan(order(bills));

  // Each refund a row under its own heading: number, bill, amount, date.
  if (refunded) {
    const [refundsHeader, ...refundRows] = refunds!.children;
    expect(refundsHeader!.children.map((cell) => [cell.role, cell.scope, clean(cell.text)])).toEqual(
      [t("receipt.refundNumber"), t("bill.writeOffNumber"), t("receipt.refundAmount"), t("receipt.refundedAt")].map((label) => [
        "TH",
        "Column",
        label,
      ]),
    );
    expect(refundRows.map((row) => [clean(row.children[0]!.text), clean(row.children[1]!.text)])).toEqual(
      receipt.refunds.map((refund) => [refund.number, refund.writeOffNumber]),
    );
    expect(order(h2s[1])).toBeLessThan(order(refunds));
    expect(order(refunds)).toBeLessThan(order(verifyHeading));
  } else expect(refunds).toBeUndefined();

  const figures = ofRole(nodes, "Figure");
  expect(figures.map((figure) => figure.alt)).toEqual([t("receipt.pdf.qrAlt", { url: verifyUrl })]);
  expect(order(verifyHeading)).toBeLessThan(order(figures[0]));
  const [link] = ofRole(nodes, "Link");
  expect(clean(link!.text)).toBe(verifyUrl);
  expect(link!.annotations).toBe(1);
  expect(order(verifyHeading)).toBeLessThan(order(link));

  const paragraphs = ofRole(nodes, "P").map((p) => clean(p.text));
  if (receipt.state === "refunded") expect(paragraphs).toContain(t("receipt.refundedNotice"));
  else if (receipt.refundedAmount > 0)
    expect(paragraphs).toContain(clean(t("receipt.partlyRefundedNotice", { amount: formatMoney(receipt.refundedAmount, locale) })));
  if (receipt.refundUnderWay) expect(paragraphs).toContain(t("receipt.refundUnderWay"));
}

describe.each(LOCALES)("PDFs in %s", (locale) => {
  it.each(demoReceipts().map((receipt) => [receipt.number, receipt] as const))(
    "receipt %s: one section with its headings, tables, QR code and link",
    async (_, receipt) => {
      const t = await getFixedT(locale);
      const structure = await readPdfStructure(await receiptPdf(receipt, verifyUrlOf(receipt.number), locale));
      expectTaggedPdfUa(structure, locale, t("receipt.pdf.title", { number: receipt.number }));
      const [document] = structure.roots;
      expect(document!.children).toHaveLength(1);
      await expectReceiptSection(document!.children[0]!, receipt, locale);
    },
  );

  it("all receipts: a section a receipt, in order", async () => {
    const t = await getFixedT(locale);
    const receipts = demoReceipts();
    const stream = receiptsPdfStream(
      (async function* () {
        for (const receipt of receipts) yield { receipt, verifyUrl: verifyUrlOf(receipt.number) };
      })(),
      receipts.length,
      locale,
    );
    const structure = await readPdfStructure(Buffer.from(await new Response(stream).arrayBuffer()));
    expectTaggedPdfUa(structure, locale, t("receipt.pdf.severalTitle", { count: receipts.length }));
    const sections = structure.roots[0]!.children;
    expect(sections).toHaveLength(receipts.length);
    for (const [i, receipt] of receipts.entries()) await expectReceiptSection(sections[i]!, receipt, locale);
  });

  // Write-off numbers of 10, 16 and 13 characters.
  it.each(
    demoSlips()
      .slice(0, 4)
      .map((slip) => [slip.bill.billTypeCode, slip] as const),
  )("a payment slip (%s): the bill as a table, and the three barcodes as figures in order", async (_, slip) => {
    const t = await getFixedT(locale);
    const structure = await readPdfStructure(await paymentSlipPdf(slip, locale));
    const nodes = expectTaggedPdfUa(structure, locale, t("slip.pdf.title", { number: slip.bill.writeOffNumber }));
    const order = (node: StructNode | undefined) => nodes.indexOf(node!);
    const [h1] = ofRole(nodes, "H1");
    expect(clean(h1!.text)).toBe(t("slip.pdf.heading"));
    const h2s = ofRole(nodes, "H2");
    expect(h2s.map((node) => clean(node.text))).toEqual([t("slip.barcodesHeading")]);
    const [details] = ofRole(nodes, "Table");
    const rows = rowHeaders(details!);
    expect(rows.every((row) => row.scope === "Row")).toBe(true);
    expect(rows).toContainEqual({ scope: "Row", label: t("bill.writeOffNumber"), value: slip.bill.writeOffNumber });
    expect(order(h1)).toBeLessThan(order(details));
    const figures = ofRole(nodes, "Figure");
    expect(figures.map((figure) => figure.alt)).toEqual(slip.barcodes.map((text, i) => t("slip.barcodeAlt", { n: i + 1, text })));
    expect(order(h2s[0])).toBeLessThan(order(figures[0]));
    expect(ofRole(nodes, "P").map((p) => clean(p.text))).toContain(t("slip.stores"));
  });

  it.each(demoStatements().map((statement) => [`${statement.document.agency} v${statement.document.version}`, statement] as const))(
    "an agency statement (%s): its figures, its lines by bill type and tool under column headers, and how it compares with the files",
    async (_, statement) => {
      const t = (await getI18n(locale)).getFixedT(locale, "backOffice");
      const common = await getFixedT(locale);
      const structure = await readPdfStructure(await statementPdf(statement, locale));
      const nodes = expectTaggedPdfUa(structure, locale, await statementPdfTitle(statement, locale));
      const order = (node: StructNode | undefined) => nodes.indexOf(node!);
      // Where a label or paragraph wraps, the text read back has no space at the line break.
      const squeezed = (text: string) => text.replace(/\s+/g, "");
      expect(structure.roots[0]!.children.map((node) => node.role)).toEqual(["Sect"]);
      const [h1] = ofRole(nodes, "H1");
      expect(clean(h1!.text)).toBe(t("statements.document.heading"));
      const h2s = ofRole(nodes, "H2");
      expect(h2s.map((node) => clean(node.text))).toEqual([
        t("statements.document.linesHeading"),
        t("statements.document.reconciliationHeading"),
      ]);

      const [details, lines, comparison] = ofRole(nodes, "Table");
      const figures = rowHeaders(details!);
      expect(figures.every((row) => row.scope === "Row")).toBe(true);
      expect(figures.find((row) => row.label === t("statements.document.sha256"))?.value.replace(/\s/g, "")).toBe(statement.sha256);
      expect(figures.map((row) => squeezed(row.label))).toEqual(
        ["agency", "businessDate", "version", "madeAt", "collected", "refunded", "fees", "net", "reconciled", "sha256"].map((key) =>
          squeezed(t(`statements.document.${key}` as "statements.document.agency")),
        ),
      );
      expect(order(h1)).toBeLessThan(order(details));
      expect(order(details)).toBeLessThan(order(h2s[0]));

      const [headerRow, ...dataRows] = lines!.children;
      expect(headerRow!.children.map((cell) => [cell.role, cell.scope])).toEqual(Array.from({ length: 8 }, () => ["TH", "Column"]));
      expect(headerRow!.children.map((cell) => squeezed(cell.text))).toEqual(
        (["billType", "paymentTool", "payments", "collected", "refunds", "refunded", "fees", "net"] as const).map((column) =>
          squeezed(t(`statements.document.columns.${column}`)),
        ),
      );
      expect(dataRows).toHaveLength(statement.document.lines.length + 1);
      expect(dataRows.map((row) => row.children.map((cell) => cell.role))).toEqual(
        dataRows.map(() => Array.from({ length: 8 }, () => "TD")),
      );
      expect(dataRows.slice(0, -1).map((row) => clean(row.children[1]!.text))).toEqual(
        statement.document.lines.map((line) => common(`paymentTools.${line.paymentTool}`)),
      );
      expect(clean(dataRows.at(-1)!.children[0]!.text)).toBe(t("statements.document.total"));
      expect(clean(dataRows.at(-1)!.children[7]!.text).replace(/\D/g, "")).toBe(String(statement.document.net));
      expect(order(h2s[0])).toBeLessThan(order(lines));

      const { tiesOut } = statement.document.reconciliation;
      const paragraphs = ofRole(nodes, "P").map((p) => squeezed(p.text));
      expect(paragraphs).toContain(squeezed(tiesOut ? t("statements.document.tiesOutText") : t("statements.document.differsText")));
      expect(rowHeaders(comparison!).map((row) => squeezed(row.label))).toEqual(
        ["settledCollected", "settledRefunded", "missingFiles", "unattributed"].map((key) =>
          squeezed(t(`statements.document.${key}` as "statements.document.none")),
        ),
      );
      expect(order(h2s[1])).toBeLessThan(order(comparison));
      // A replaced version says so, with when; the one in force does not.
      const [before, after] = t("statements.document.superseded", { time: "\u0000" }).split("\u0000").map(squeezed);
      expect(paragraphs.filter((text) => text.startsWith(before!) && text.endsWith(after!))).toEqual(
        statement.supersededAt
          ? [squeezed(t("statements.document.superseded", { time: formatDateTime(statement.supersededAt, locale) }))]
          : [],
      );
    },
  );
});
