import { addDays } from "./dates";

/**
 * Monthly statistics (統計), plain rules: a month is a Taiwan calendar month
 * (YYYY-MM, UTC+8), and "a payment" is one bill paid in an order paid that
 * month (繳費筆數), its amount what the order charged for that bill. An order
 * paying three bills is three payments and one order; an order refunded
 * since still counts in the month it was paid, and the refund in the month it
 * completed.
 */

/** The ways a look-up is tallied: by number, a paper bill's link, a scan, an application's case number and check code. */
export const LOOKUP_WAYS = ["lookup", "qr_link", "scan", "case_query"] as const;
export type LookupWay = (typeof LOOKUP_WAYS)[number];

const TAIPEI_OFFSET_MS = 8 * 60 * 60 * 1000;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export type Month = `${number}-${number}`;

export function isMonth(value: unknown): value is Month {
  return typeof value === "string" && MONTH.test(value) && Number(value.slice(0, 4)) >= 2000;
}

/** The Taiwan month of a moment. */
export function taipeiMonth(now: Date = new Date()): Month {
  return new Date(now.getTime() + TAIPEI_OFFSET_MS).toISOString().slice(0, 7) as Month;
}

/** The month `count` months after (negative: before) `month`. */
export function addMonths(month: Month, count: number): Month {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + count;
  return `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}` as Month;
}

/** The month as Taiwan days, first and last: for tables keyed by Taiwan date. */
export function monthDays(month: Month): { first: string; last: string } {
  const first = `${month}-01`;
  return { first, last: addDays(`${addMonths(month, 1)}-01`, -1) };
}

/** The month as moments: [the 1st 00:00, next month's 1st 00:00) at UTC+8. */
export function monthWindow(month: Month): { from: Date; to: Date } {
  return { from: new Date(`${month}-01T00:00:00+08:00`), to: new Date(`${addMonths(month, 1)}-01T00:00:00+08:00`) };
}

/** `count` months ending with `last`, oldest first. */
export function monthsEndingWith(last: Month, count: number): Month[] {
  return Array.from({ length: count }, (_, i) => addMonths(last, i - count + 1));
}

/**
 * The months a chooser offers, newest first: from `latest` back `count`
 * months. The public page ends with the last complete month (a month still
 * under way is not published); the back office with the current one.
 */
export function chooserMonths(latest: Month, count = 24): Month[] {
  return monthsEndingWith(latest, count).reverse();
}

/**
 * The share, in whole tenths of a percent, of `part` in `whole` (null when
 * there is no whole): 2 of 3 → 66.7. Rounded half up on the tenth, so the
 * table and the CSV say the same as the chart.
 */
export function sharePercent(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return Math.round((part * 1000) / whole) / 10;
}

/** Payments and their amount: a month's, an agency's, a payment tool's… */
export interface PaymentFigures {
  payments: number;
  amount: number;
}

/**
 * Fine-grained rows summed into groups (bill types into their agency, tools
 * across bill types), largest amount first: a stable order for
 * the charts, the tables and the files (ties: more payments first, then by key).
 */
export function groupFigures<Row extends PaymentFigures, Key extends string>(
  rows: readonly Row[],
  keyOf: (row: Row) => Key,
): Array<PaymentFigures & { key: Key }> {
  const groups = new Map<Key, PaymentFigures & { key: Key }>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key) ?? { key, payments: 0, amount: 0 };
    group.payments += row.payments;
    group.amount += row.amount;
    groups.set(key, group);
  }
  return [...groups.values()].sort(
    (a, b) => b.amount - a.amount || b.payments - a.payments || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

/** The sum of the figures. */
export function totalFigures(rows: readonly PaymentFigures[]): PaymentFigures {
  return rows.reduce((sum, row) => ({ payments: sum.payments + row.payments, amount: sum.amount + row.amount }), {
    payments: 0,
    amount: 0,
  });
}
