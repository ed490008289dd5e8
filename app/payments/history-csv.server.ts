import { Readable } from "node:stream";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { stringify } from "csv-stringify";
import type { TFunction } from "i18next";
import { taipeiDateTimeIso } from "~/domain/dates";
import { formatDateTime } from "~/domain/format";
import type { HistoryRecord } from "./records.server";

/**
 * A member's payment history as CSV for Excel: UTF-8 with a byte-order mark
 * (without it Excel reads Chinese as Big5 garble), CRLF line ends, RFC 4180
 * quoting by csv-stringify. Rows are written as the database hands them over,
 * a batch at a time, so a long history never sits in memory whole.
 * Identifiers are written as text formulas and every moment also as ISO 8601
 * (docs/decisions/015-history-csv-for-spreadsheets.md).
 */

/** A cell Excel would read as a formula (=, +, -, @, tab, CR) is written as text. */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * An identifier as a formula whose value is the identifier as text: ="1150200000000018".
 * Bare, Excel turns 16 digits into 1.15020E+15 (rounded to 15 digits) and drops
 * leading zeros. Only letters, digits and dashes go inside the quotes (numbers
 * can come from outside bill systems): anything else is written as plain,
 * neutralized text, never as part of a formula.
 */
export function spreadsheetText(value: string): string {
  return /^[0-9A-Za-z-]+$/.test(value) ? `="${value}"` : neutralizeFormula(value);
}

const COLUMNS = [
  "at",
  "atIso",
  "status",
  "billType",
  "agency",
  "writeOffNumber",
  "payer",
  "subject",
  "amount",
  "tool",
  "receipt",
  "order",
  "refundedAt",
  "refundedAtIso",
  "refundedAmount",
  "refundNumbers",
] as const;
type Column = (typeof COLUMNS)[number];

/** Written by `spreadsheetText`, not neutralized again. */
const IDENTIFIER_COLUMNS: ReadonlySet<string> = new Set<Column>(["writeOffNumber", "receipt", "order"]);

export function historyCsvColumns(t: TFunction): Array<{ key: Column; header: string }> {
  return COLUMNS.map((key) => ({ key, header: t(`records.columns.${key}`) }));
}

export function historyCsvRow(record: HistoryRecord, t: TFunction, locale: string): Record<Column, string> {
  const english = locale === "en";
  return {
    at: formatDateTime(record.at, locale),
    atIso: taipeiDateTimeIso(record.at),
    status: record.refundPending ? t("records.status.refund_pending") : t(`records.status.${record.status}`),
    billType: english ? record.billTypeNameEn : record.billTypeNameZh,
    agency: english ? record.agencyNameEn : record.agencyNameZh,
    writeOffNumber: spreadsheetText(record.writeOffNumber),
    payer: record.payerNameMasked,
    subject: record.subjectMasked,
    // A plain integer: Excel sums it; the currency is in the column's name.
    amount: String(record.amount),
    // Paid elsewhere: where, instead of a tool of this portal's.
    tool: record.paymentTool ? t(`paymentTools.${record.paymentTool}`) : t(`bill.channel.${record.channel}`),
    receipt: record.receiptNumber ? spreadsheetText(record.receiptNumber) : "",
    order: record.orderReference ? spreadsheetText(record.orderReference) : "",
    refundedAt: record.refundedAt ? formatDateTime(record.refundedAt, locale) : "",
    refundedAtIso: record.refundedAt ? taipeiDateTimeIso(record.refundedAt) : "",
    // Refunded in part, the payment stays paid: what went back, and under which refund numbers.
    refundedAmount: record.refundedAmount > 0 ? String(record.refundedAmount) : "",
    // RF and letters: never read as a number, so plain text (a formula holds one identifier only).
    refundNumbers: record.refunds.map((refund) => refund.number).join(" "),
  };
}

export function historyCsvStream(batches: AsyncIterable<HistoryRecord[]>, t: TFunction, locale: string): ReadableStream<Uint8Array> {
  async function* rows() {
    for await (const batch of batches) for (const record of batch) yield historyCsvRow(record, t, locale);
  }
  return spreadsheetCsvStream(rows(), historyCsvColumns(t), IDENTIFIER_COLUMNS);
}

/**
 * Rows as a CSV file for spreadsheets, written as they come: a header row,
 * the BOM and CRLF, and every cell formula-safe (`neutralizeFormula`) but
 * those of `identifierColumns`, which the caller wrote with `spreadsheetText`.
 */
export function spreadsheetCsvStream<Column extends string>(
  rows: Iterable<Record<Column, string>> | AsyncIterable<Record<Column, string>>,
  columns: ReadonlyArray<{ key: Column; header: string }>,
  identifierColumns: ReadonlySet<string>,
): ReadableStream<Uint8Array> {
  const csv = stringify({
    bom: true,
    record_delimiter: "windows",
    header: true,
    columns: [...columns],
    cast: { string: (value, { column }) => (identifierColumns.has(String(column)) ? value : neutralizeFormula(value)) },
  });
  const source = Readable.from(rows);
  source.on("error", (error) => csv.destroy(error));
  return createReadableStreamFromReadable(source.pipe(csv));
}
