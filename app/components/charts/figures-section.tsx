import { Form } from "@remix-run/react";
import type { TFunction } from "i18next";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ErrorSummary } from "~/components/forms";
import { formatMoney } from "~/domain/format";
import { figureWords } from "~/lib/statistics-words";
import { BarChart, type BarChartRow } from "./bar-chart";
import { ChartWithTable, FigureTable, type FigureColumn } from "./figure-table";

/**
 * The statistics pages' pieces, shared by the back office and the public
 * page: the month chooser (a GET form, so it works without JavaScript) and a
 * section of figures, its bar chart beside its data table.
 */

export interface FigureRow {
  key: string;
  /** The row's name: the chart's bar label and the table's row header. */
  label: string;
  /** The value the bar shows, and as written. */
  bar: { value: number; display: string };
  /** The table's other cells, in the columns' order after the first. */
  cells: readonly ReactNode[];
}

export function FiguresSection({
  id,
  heading,
  description,
  caption,
  columns,
  rows,
  footer,
  empty,
  bars,
}: {
  id: string;
  heading: string;
  /** What the chart shows, for those who cannot see it (the table has the figures). */
  description: string;
  caption: string;
  columns: readonly FigureColumn[];
  rows: readonly FigureRow[];
  footer?: readonly ReactNode[];
  /** Said instead of an empty chart and table. */
  empty: string;
  /** The chart's bars when they are not the table's rows (a coarser cut: look-ups by way, the table by way and outcome). */
  bars?: readonly BarChartRow[];
}) {
  return (
    <ChartWithTable heading={heading} headingId={`${id}-heading`}>
      {rows.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <>
          <BarChart title={heading} description={description} rows={bars ?? rows.map((row) => ({ label: row.label, ...row.bar }))} />
          <FigureTable
            id={`${id}-table`}
            caption={caption}
            columns={columns}
            rows={rows.map((row) => ({ key: row.key, cells: [row.label, ...row.cells] }))}
            footer={footer}
          />
        </>
      )}
    </ChartWithTable>
  );
}

/** The month chooser; `unavailable`: the month asked for is not offered (said at the top, linked to the field). */
export function MonthChooser({ month, months, unavailable }: { month: string; months: readonly string[]; unavailable: boolean }) {
  const { t } = useTranslation();
  const words = figureWords(t);
  const problem = unavailable ? t("statistics.monthUnavailable", { month: words.month(month) }) : null;
  return (
    <>
      <ErrorSummary errors={problem ? [{ fieldId: "statistics-month", message: problem }] : []} />
      <Form method="get" className="statistics-month">
        <div className={problem ? "form-group form-group-error" : "form-group"}>
          <label htmlFor="statistics-month">{t("statistics.monthLabel")}</label>
          {problem ? (
            <span id="statistics-month-error" className="field-error">
              <span className="visually-hidden">{t("form.errorPrefix")}</span> {problem}
            </span>
          ) : null}
          <select
            id="statistics-month"
            name="month"
            defaultValue={month}
            aria-describedby={problem ? "statistics-month-error" : undefined}
            aria-invalid={problem ? true : undefined}
          >
            {months.map((m) => (
              <option key={m} value={m}>
                {words.month(m)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button">
          {t("statistics.show")}
        </button>
      </Form>
    </>
  );
}

/** How a bar's largest value is said in a chart's description. */
export function largest(rows: readonly FigureRow[]): { top: string; amount: string } {
  const top = rows.reduce<FigureRow | undefined>((best, row) => (!best || row.bar.value > best.bar.value ? row : best), undefined);
  return { top: top?.label ?? "", amount: top?.bar.display ?? "" };
}

/** Rows of payments and amounts (`orders` too when given): the bar is the amount. */
export function paymentRows<Row extends { payments: number; amount: number; orders?: number }>(
  rows: readonly Row[],
  keyOf: (row: Row) => string,
  labelOf: (row: Row) => string,
  locale: string,
): FigureRow[] {
  const digits = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  return rows.map((row) => ({
    key: keyOf(row),
    label: labelOf(row),
    bar: { value: row.amount, display: formatMoney(row.amount, locale) },
    cells: [...(row.orders === undefined ? [] : [digits.format(row.orders)]), digits.format(row.payments), digits.format(row.amount)],
  }));
}

/** The columns of `paymentRows`, after the rows' own header column. */
export function paymentColumns(t: TFunction, first: string, withOrders = false): FigureColumn[] {
  return [
    { header: first },
    ...(withOrders ? [{ header: t("statistics.columns.orders"), numeric: true }] : []),
    { header: t("statistics.columns.payments"), numeric: true },
    { header: t("statistics.columns.amount"), numeric: true },
  ];
}

/** The totals row of `paymentRows`. */
export function paymentFooter(t: TFunction, total: { payments: number; amount: number; orders?: number }, locale: string): ReactNode[] {
  const digits = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  return [
    t("statistics.total"),
    ...(total.orders === undefined ? [] : [digits.format(total.orders)]),
    digits.format(total.payments),
    digits.format(total.amount),
  ];
}

/**
 * A month's payments cut one way (agency, bill type, category, tool,
 * channel): the bars are the amounts, the table gives checkouts (when
 * `total.orders` is given), payments and amounts, with the month's total.
 */
export function PaymentsCutSection({
  id,
  cut,
  heading,
  caption,
  month,
  rows,
  total,
}: {
  id: string;
  cut: "agency" | "billType" | "category" | "tool" | "channel";
  heading: string;
  caption: string;
  /** The month as the reader reads it. */
  month: string;
  rows: readonly FigureRow[];
  total?: { payments: number; amount: number; orders?: number };
}) {
  const { t, i18n } = useTranslation();
  return (
    <FiguresSection
      id={id}
      heading={heading}
      description={t("statistics.chartDescription", largest(rows))}
      caption={caption}
      columns={paymentColumns(t, t(`statistics.columns.${cut}`), total?.orders !== undefined)}
      rows={rows}
      footer={total ? paymentFooter(t, total, i18n.language) : undefined}
      empty={t("statistics.noPayments", { month })}
    />
  );
}
