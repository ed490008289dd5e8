import { Readable } from "node:stream";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { stringify } from "csv-stringify";
import type { TFunction } from "i18next";
import { formatDateTime } from "~/domain/format";
import type { HistoryRecord } from "./records.server";

/**
 * A member's payment history as CSV for Excel: UTF-8 with a byte-order mark
 * (without it Excel reads Chinese as Big5 garble), CRLF line ends, RFC 4180
 * quoting by csv-stringify. Rows are written as the database hands them over,
 * a batch at a time, so a long history never sits in memory whole.
 */

/** A cell Excel would read as a formula (=, +, -, @, tab, CR) is written as text. */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function historyCsvColumns(t: TFunction): string[] {
  return [
    t("records.columns.at"),
    t("records.columns.status"),
    t("records.columns.billType"),
    t("records.columns.agency"),
    t("records.columns.writeOffNumber"),
    t("records.columns.payer"),
    t("records.columns.subject"),
    t("records.columns.amount"),
    t("records.columns.tool"),
    t("records.columns.receipt"),
    t("records.columns.order"),
    t("records.columns.refundedAt"),
  ];
}

export function historyCsvRow(record: HistoryRecord, t: TFunction, locale: string): string[] {
  const english = locale === "en";
  return [
    formatDateTime(record.at, locale),
    record.refundPending ? t("records.status.refund_pending") : t(`records.status.${record.status}`),
    english ? record.billTypeNameEn : record.billTypeNameZh,
    english ? record.agencyNameEn : record.agencyNameZh,
    record.writeOffNumber,
    record.payerNameMasked,
    record.subjectMasked,
    // A plain integer: Excel sums it; the currency is in the column's name.
    String(record.amount),
    // Paid elsewhere: where, instead of a tool of this portal's.
    record.paymentTool ? t(`paymentTools.${record.paymentTool}`) : t(`bill.channel.${record.channel}`),
    record.receiptNumber ?? "",
    record.orderReference ?? "",
    record.refundedAt ? formatDateTime(record.refundedAt, locale) : "",
  ];
}

export function historyCsvStream(batches: AsyncIterable<HistoryRecord[]>, t: TFunction, locale: string): ReadableStream<Uint8Array> {
  async function* rows() {
    for await (const batch of batches) for (const record of batch) yield historyCsvRow(record, t, locale);
  }
  const csv = stringify({
    bom: true,
    record_delimiter: "windows",
    header: true,
    columns: historyCsvColumns(t),
    cast: { string: neutralizeFormula },
  });
  const source = Readable.from(rows());
  source.on("error", (error) => csv.destroy(error));
  return createReadableStreamFromReadable(source.pipe(csv));
}
