import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { getFixedT } from "~/base/i18n.server";
import { historyCsvRow, historyCsvStream, neutralizeFormula, spreadsheetText } from "./history-csv.server";
import type { HistoryRecord } from "./records.server";

/**
 * The CSV read back as a spreadsheet reads it: split into fields by a real
 * CSV parser (RFC 4180 quotes, the BOM), then each field taken as Excel's
 * "General" format does: ="…" is that text, a field that looks like a number
 * becomes a number of 15 significant digits (what Excel keeps), anything else
 * is text as written.
 */
function asSpreadsheet(csv: string): Array<Record<string, string>> {
  const rows: Array<Record<string, string>> = parse(csv, { bom: true, columns: true, record_delimiter: "\r\n" });
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([column, field]) => {
        const formulaText = /^="(.*)"$/.exec(field);
        if (formulaText) return [column, formulaText[1]!];
        if (/^[+-]?(\d+\.?\d*|\.\d+)(E[+-]?\d+)?$/i.test(field)) return [column, String(Number(Number(field).toPrecision(15)))];
        return [column, field];
      }),
    ),
  );
}

/** The bytes as UTF-8, byte-order mark kept (`Response.text()` would drop it). */
async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return Buffer.from(await new Response(stream).arrayBuffer()).toString("utf8");
}

function record(overrides: Partial<HistoryRecord>): HistoryRecord {
  return {
    billTypeCode: "parking-fee",
    billTypeNameZh: "路邊停車費",
    billTypeNameEn: "Street parking fee",
    agencyNameZh: "臺中市政府交通局",
    agencyNameEn: "Transportation Bureau",
    writeOffNumber: "1150200000000018",
    payerNameMasked: "林○芯",
    subjectMasked: "BK*-**46",
    orderReference: "P261201J4FM8WJBDMX",
    status: "paid",
    paymentTool: "line_pay",
    at: "2026-12-01T09:07:05.000Z",
    refundedAt: null,
    receiptNumber: "R20261201-YGCEH9",
    refundPending: false,
    refunds: [],
    refundedAmount: 0,
    amount: 1200,
    orderTotal: 1200,
    origin: "member",
    channel: "portal",
    ...overrides,
  };
}

const RECORDS: HistoryRecord[] = [
  // Newest first, as the history is read. 16 digits (more than a spreadsheet's 15), and leading zeros.
  record({ writeOffNumber: "1150200000000018", at: "2026-12-01T09:07:05.000Z" }),
  record({ writeOffNumber: "0012300000004567", receiptNumber: "0000000123", orderReference: "000123", at: "2026-02-10T23:30:00.000Z" }),
  record({
    writeOffNumber: "GF11500019",
    at: "2026-02-01T04:00:00.000Z",
    status: "refunded",
    refundedAt: "2026-11-30T16:30:00.000Z",
    // Text from an agency's system that a spreadsheet would run as a formula.
    payerNameMasked: '=HYPERLINK("http://evil.example","看這裡")',
    subjectMasked: "@SUM(1+1)",
  }),
  record({ writeOffNumber: "11410000000043", at: "2025-12-31T16:00:00.000Z", receiptNumber: null, status: "not_completed" }),
];

async function history(locale: "zh-TW" | "en") {
  const t = await getFixedT(locale);
  async function* batches() {
    yield RECORDS.slice(0, 2);
    yield RECORDS.slice(2);
  }
  const csv = await readText(historyCsvStream(batches(), t, locale));
  return { csv, rows: asSpreadsheet(csv), t };
}

describe("the payment history CSV, opened in a spreadsheet", () => {
  it("keeps every identifier as text: all 16 digits, leading zeros, letters and dashes", async () => {
    for (const locale of ["zh-TW", "en"] as const) {
      const { csv, rows, t } = await history(locale);
      // UTF-8 with a BOM, for Excel; CRLF line ends.
      expect(csv.charCodeAt(0)).toBe(0xfeff);
      expect(csv.split("\r\n").length).toBe(RECORDS.length + 2);
      expect(rows.map((row) => row[t("records.columns.writeOffNumber")])).toEqual(RECORDS.map((r) => r.writeOffNumber));
      expect(rows.map((row) => row[t("records.columns.receipt")])).toEqual(RECORDS.map((r) => r.receiptNumber ?? ""));
      expect(rows.map((row) => row[t("records.columns.order")])).toEqual(RECORDS.map((r) => r.orderReference));
      // Amounts stay numbers, to be summed.
      expect(rows.map((row) => row[t("records.columns.amount")])).toEqual(RECORDS.map((r) => String(r.amount)));
    }
  });

  it("gives each moment in ISO 8601 Taipei time beside the display form, and those sort in the order of time", async () => {
    for (const locale of ["zh-TW", "en"] as const) {
      const { rows, t } = await history(locale);
      const iso = rows.map((row) => row[t("records.columns.atIso")]!);
      expect(iso[0]).toBe("2026-12-01T17:07:05+08:00");
      expect(rows[0]![t("records.columns.at")]).toBe(locale === "en" ? "1 December 2026, 17:07" : "民國115年12月1日 17:07");
      for (const value of iso) expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      // Sorted as text (what a spreadsheet does with them), oldest first: the records in reverse.
      expect([...iso].sort()).toEqual([...iso].reverse());
      expect(iso.map((value) => new Date(value).getTime())).toEqual(RECORDS.map((r) => new Date(r.at).getTime()));
      expect(rows.map((row) => row[t("records.columns.refundedAtIso")])).toEqual(["", "", "2026-12-01T00:30:00+08:00", ""]);
    }
  });

  it("shows a payment refunded in part as paid, with what went back and the refunds' numbers", async () => {
    const t = await getFixedT("en");
    const row = historyCsvRow(
      record({
        refundedAt: "2026-12-03T02:00:00.000Z",
        refunds: [
          { number: "RF20261202ABC123", amount: 200, refundedAt: "2026-12-02T02:00:00.000Z" },
          { number: "RF20261203XYZ789", amount: 300, refundedAt: "2026-12-03T02:00:00.000Z" },
        ],
        refundedAmount: 500,
      }),
      t,
      "en",
    );
    expect(row).toMatchObject({
      status: t("records.status.paid"),
      amount: "1200",
      refundedAmount: "500",
      refundNumbers: "RF20261202ABC123 RF20261203XYZ789",
      refundedAtIso: "2026-12-03T10:00:00+08:00",
    });
    expect(historyCsvRow(record({}), t, "en")).toMatchObject({ refundedAmount: "", refundNumbers: "" });
  });

  it("writes text from outside systems so that no spreadsheet runs it as a formula", async () => {
    const { rows, t } = await history("zh-TW");
    expect(rows[2]![t("records.columns.payer")]).toBe('\'=HYPERLINK("http://evil.example","看這裡")');
    expect(rows[2]![t("records.columns.subject")]).toBe("'@SUM(1+1)");
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value.startsWith("=")) expect.fail(`${column} would run as a formula: ${value}`);
      }
    }
    // An identifier is a formula only around letters, digits and dashes; anything else is plain, neutralized text.
    expect(spreadsheetText("1150200000000018")).toBe('="1150200000000018"');
    expect(spreadsheetText('1"&HYPERLINK("http://x")&"')).toBe('1"&HYPERLINK("http://x")&"');
    expect(spreadsheetText("=1+1")).toBe("'=1+1");
    expect(neutralizeFormula("-1")).toBe("'-1");
    expect(neutralizeFormula("林美芯")).toBe("林美芯");
  });
});
