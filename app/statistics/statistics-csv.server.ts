import type { TFunction } from "i18next";
import { localized, type Locale } from "~/i18n";
import { getFixedT } from "~/base/i18n.server";
import { figureWords } from "~/lib/statistics-words";
import { spreadsheetCsvStream } from "~/payments/history-csv.server";
import type { CitySummary, MonthStatistics } from "./statistics.server";

/**
 * The figures as CSV for spreadsheets (BOM, CRLF, formula-safe cells, the
 * portal's rule for files): one row per figure, its section and item named
 * in the reader's language, the numbers bare (no separators, no currency
 * sign) so a spreadsheet sums them.
 */

const COLUMNS = ["section", "item", "month", "orders", "payments", "amount", "count", "percent"] as const;
type Column = (typeof COLUMNS)[number];
type Row = Record<Column, string>;

const number = (value: number | null | undefined) => (value === null || value === undefined ? "" : String(value));

function rowMaker(t: TFunction, month: string) {
  return (
    section: string,
    item: string,
    figures: { orders?: number; payments?: number; amount?: number; count?: number; percent?: number | null },
  ): Row => ({
    section: t(`statistics.csv.sections.${section}` as "statistics.csv.sections.total"),
    item,
    month,
    orders: number(figures.orders),
    payments: number(figures.payments),
    amount: number(figures.amount),
    count: number(figures.count),
    percent: number(figures.percent),
  });
}

function stream(t: TFunction, rows: Row[]) {
  return spreadsheetCsvStream(
    rows,
    COLUMNS.map((key) => ({ key, header: t(`statistics.csv.${key}` as "statistics.csv.section") })),
    new Set(),
  );
}

export async function monthStatisticsCsv(figures: MonthStatistics, locale: Locale): Promise<ReadableStream<Uint8Array>> {
  const t = await getFixedT(locale);
  const words = figureWords(t);
  const row = rowMaker(t, figures.month);
  const rows: Row[] = [
    row("total", t("statistics.total"), figures.total),
    ...figures.byAgency.map((r) => row("agency", localized(r, locale), r)),
    ...figures.byBillType.map((r) => row("billType", localized(r, locale), r)),
    ...figures.byCategory.map((r) => row("category", words.category(r.category), r)),
    ...figures.byTool.map((r) => row("tool", words.tool(r.tool), r)),
    ...figures.byChannel.map((r) => row("channel", words.channel(r.channel), r)),
    row("refunds", t("statistics.total"), figures.refunds),
    ...figures.refunds.byAgency.map((r) => row("refundsByAgency", localized(r, locale), r)),
    ...figures.lookups.byWay.flatMap((way) => [
      row("lookups", words.way(way.way), { count: way.count }),
      ...way.outcomes.map((o) => row("lookups", `${words.way(way.way)}: ${words.outcome(o.outcome)}`, { count: o.count })),
    ]),
    row("onTime", t("statistics.total"), {
      payments: figures.onTime.payments,
      count: figures.onTime.onTime,
      percent: figures.onTime.percent,
    }),
  ];
  return stream(t, rows);
}

/** The public page's figures: the year by month, then the chosen month by agency and category. */
export async function citySummaryCsv(summary: CitySummary, locale: Locale): Promise<ReadableStream<Uint8Array>> {
  const t = await getFixedT(locale);
  const words = figureWords(t);
  const rows: Row[] = [
    ...summary.months.map((m) => rowMaker(t, m.month)("month", m.month, m)),
    ...summary.byAgency.map((r) => rowMaker(t, summary.month)("agency", localized(r, locale), r)),
    ...summary.byCategory.map((r) => rowMaker(t, summary.month)("category", words.category(r.category), r)),
  ];
  return stream(t, rows);
}
