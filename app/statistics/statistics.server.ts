import { and, eq, gte, inArray, lt, lte, sql, type SQL } from "drizzle-orm";
import type { BillCategory } from "~/domain/catalogue";
import type { EntryChannel } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import {
  LOOKUP_WAYS,
  chooserMonths,
  groupFigures,
  monthDays,
  monthsEndingWith,
  monthWindow,
  sharePercent,
  totalFigures,
  type Month,
  type PaymentFigures,
} from "~/domain/statistics";
import { schema, type Database } from "~/base/db.server";
import { flushLookupTallies } from "~/lookup/tallies.server";

/**
 * Monthly figures computed from the records, summed by the database: the
 * payments of the month (order items of orders paid in it, refunded since or
 * not), the refunds completed in it, the look-ups counted in it, and how
 * many bills were paid by their due date. Nothing is kept by hand but the
 * look-up tallies (a look-up leaves no other record). `reach`: "all" for
 * city-wide figures, else the agencies whose bills are counted.
 */

export type StatisticsReach = "all" | readonly string[];

interface Named {
  nameZh: string;
  nameEn: string;
}

export interface MonthStatistics {
  month: Month;
  /** Every payment (one bill paid) of the month and what was charged for it; `orders`: the checkouts that paid them. */
  total: PaymentFigures & { orders: number };
  byAgency: Array<PaymentFigures & Named & { agency: string }>;
  byBillType: Array<PaymentFigures & Named & { billType: string; agency: string }>;
  byCategory: Array<PaymentFigures & { category: BillCategory }>;
  byTool: Array<PaymentFigures & { tool: PaymentTool; orders: number }>;
  /** `channel` null: the order did not record how the payer came (orders from before it was recorded). */
  byChannel: Array<PaymentFigures & { channel: EntryChannel | null; orders: number }>;
  /** Refunds completed in the month (whenever their payment was). */
  refunds: { count: number; amount: number; byAgency: Array<Named & { agency: string; count: number; amount: number }> };
  lookups: { total: number; byWay: Array<{ way: string; count: number; outcomes: Array<{ outcome: string; count: number }> }> };
  /** Payments whose Taiwan day of payment was on or before the bill's due date; `percent` in tenths (null: no payments). */
  onTime: { payments: number; onTime: number; percent: number | null };
}

const { paymentOrders: orders, paymentOrderItems: items, bills, billTypes, agencies, refunds, lookupTallies } = schema;

/** The orders paid in the window: `paid_at` is set for paid and refunded orders alone, and is indexed. */
const paidIn = ({ from, to }: { from: Date; to: Date }) => and(gte(orders.paidAt, from), lt(orders.paidAt, to));

/** The agencies counted: every one, or a join condition on the bill's type. */
const inReach = (reach: StatisticsReach, column: typeof billTypes.agencyCode | typeof refunds.agencyCode): SQL | undefined =>
  reach === "all" ? undefined : reach.length ? inArray(column, [...reach]) : sql`false`;

const counted = {
  payments: sql<number>`count(*)`.mapWith(Number),
  amount: sql<number>`coalesce(sum(${items.amount}), 0)`.mapWith(Number),
};

/** The Taiwan day of the payment: UTC+8 has no daylight saving, so eight hours on and the date of the wall clock. */
const paidOnTaipeiDay = sql`((${orders.paidAt} + interval '8 hours') at time zone 'UTC')::date`;

async function names(db: Database) {
  const [agencyRows, typeRows] = await Promise.all([
    db.select({ code: agencies.code, nameZh: agencies.nameZh, nameEn: agencies.nameEn }).from(agencies),
    db.select({ code: billTypes.code, nameZh: billTypes.nameZh, nameEn: billTypes.nameEn }).from(billTypes),
  ]);
  const lookup = (rows: Array<Named & { code: string }>) => {
    const byCode = new Map(rows.map((row) => [row.code, { nameZh: row.nameZh, nameEn: row.nameEn }]));
    return (code: string): Named => byCode.get(code) ?? { nameZh: code, nameEn: code };
  };
  return { agency: lookup(agencyRows), billType: lookup(typeRows) };
}

export async function monthStatistics(db: Database, month: Month, reach: StatisticsReach): Promise<MonthStatistics> {
  // This process's look-ups of the last seconds are in the figures it shows (other instances' within seconds).
  await flushLookupTallies(db);
  const window = monthWindow(month);
  const days = monthDays(month);
  const [fine, orderRows, refundRows, tallyRows, named] = await Promise.all([
    // One pass over the month's items: every breakdown of payments is a sum of these rows.
    db
      .select({
        billType: bills.billTypeCode,
        agency: billTypes.agencyCode,
        category: billTypes.category,
        tool: orders.paymentTool,
        channel: orders.entryChannel,
        ...counted,
        onTime: sql<number>`count(*) filter (where ${paidOnTaipeiDay} <= ${bills.dueDate})`.mapWith(Number),
      })
      .from(orders)
      .innerJoin(items, eq(items.orderId, orders.id))
      .innerJoin(bills, eq(bills.id, items.billId))
      .innerJoin(billTypes, and(eq(billTypes.code, bills.billTypeCode), inReach(reach, billTypes.agencyCode)))
      .where(paidIn(window))
      .groupBy(bills.billTypeCode, billTypes.agencyCode, billTypes.category, orders.paymentTool, orders.entryChannel),
    // Orders are counted apart: an order paying bills of two types is one order, not two.
    // City-wide every paid order counts, so the orders alone answer (through their paid_at index).
    reach === "all"
      ? db
          .select({ tool: orders.paymentTool, channel: orders.entryChannel, orders: sql<number>`count(*)`.mapWith(Number) })
          .from(orders)
          .where(paidIn(window))
          .groupBy(orders.paymentTool, orders.entryChannel)
      : db
          .select({
            tool: orders.paymentTool,
            channel: orders.entryChannel,
            orders: sql<number>`count(distinct ${orders.id})`.mapWith(Number),
          })
          .from(orders)
          .innerJoin(items, eq(items.orderId, orders.id))
          .innerJoin(bills, eq(bills.id, items.billId))
          .innerJoin(billTypes, and(eq(billTypes.code, bills.billTypeCode), inReach(reach, billTypes.agencyCode)))
          .where(paidIn(window))
          .groupBy(orders.paymentTool, orders.entryChannel),
    db
      .select({
        agency: refunds.agencyCode,
        count: sql<number>`count(*)`.mapWith(Number),
        amount: sql<number>`coalesce(sum(${refunds.amount}), 0)`.mapWith(Number),
      })
      .from(refunds)
      .where(
        and(
          eq(refunds.state, "refunded"),
          gte(refunds.refundedAt, window.from),
          lt(refunds.refundedAt, window.to),
          inReach(reach, refunds.agencyCode),
        ),
      )
      .groupBy(refunds.agencyCode),
    tallies(db, days, reach),
    names(db),
  ]);

  const orderCount = (pick: (row: (typeof orderRows)[number]) => boolean) =>
    orderRows.filter(pick).reduce((sum, row) => sum + row.orders, 0);
  const payments = totalFigures(fine);
  const onTime = fine.reduce((sum, row) => sum + row.onTime, 0);
  return {
    month,
    total: { ...payments, orders: orderCount(() => true) },
    byAgency: groupFigures(fine, (row) => row.agency).map(({ key, ...figures }) => ({ agency: key, ...named.agency(key), ...figures })),
    byBillType: groupFigures(fine, (row) => row.billType).map(({ key, ...figures }) => ({
      billType: key,
      agency: fine.find((row) => row.billType === key)!.agency,
      ...named.billType(key),
      ...figures,
    })),
    byCategory: groupFigures(fine, (row) => row.category).map(({ key, ...figures }) => ({ category: key, ...figures })),
    byTool: groupFigures(fine, (row) => row.tool).map(({ key, ...figures }) => ({
      tool: key,
      orders: orderCount((row) => row.tool === key),
      ...figures,
    })),
    byChannel: groupFigures(fine, (row) => row.channel ?? "").map(({ key, ...figures }) => ({
      channel: key === "" ? null : key,
      orders: orderCount((row) => (row.channel ?? "") === key),
      ...figures,
    })),
    refunds: {
      count: refundRows.reduce((sum, row) => sum + row.count, 0),
      amount: refundRows.reduce((sum, row) => sum + row.amount, 0),
      byAgency: refundRows
        .map((row) => ({ ...row, ...named.agency(row.agency) }))
        .sort((a, b) => b.amount - a.amount || (a.agency < b.agency ? -1 : 1)),
    },
    lookups: tallyRows,
    onTime: { payments: payments.payments, onTime, percent: sharePercent(onTime, payments.payments) },
  };
}

/**
 * The month's look-ups by way and outcome. An agency sees those of its own
 * bill types; a look-up whose bill type could not be told (a garbled scan, a
 * forged link) is no agency's and only counted city-wide.
 */
async function tallies(db: Database, days: { first: string; last: string }, reach: StatisticsReach): Promise<MonthStatistics["lookups"]> {
  const inDays = and(gte(lookupTallies.day, days.first), lte(lookupTallies.day, days.last));
  const base = db
    .select({ way: lookupTallies.way, outcome: lookupTallies.outcome, count: sql<number>`sum(${lookupTallies.count})`.mapWith(Number) })
    .from(lookupTallies);
  const rows = await (
    reach === "all"
      ? base.where(inDays)
      : base.innerJoin(billTypes, and(eq(billTypes.code, lookupTallies.billTypeCode), inReach(reach, billTypes.agencyCode))).where(inDays)
  ).groupBy(lookupTallies.way, lookupTallies.outcome);
  const byWay = LOOKUP_WAYS.map((way) => {
    const outcomes = rows
      .filter((row) => row.way === way)
      .map(({ outcome, count }) => ({ outcome, count }))
      .sort((a, b) => b.count - a.count || (a.outcome < b.outcome ? -1 : 1));
    return { way, count: outcomes.reduce((sum, row) => sum + row.count, 0), outcomes };
  });
  return { total: byWay.reduce((sum, way) => sum + way.count, 0), byWay };
}

export interface CitySummary {
  month: Month;
  /** The twelve months ending with `month`, oldest first, each with its payments and amount (months without any: zeros). */
  months: Array<PaymentFigures & { month: Month }>;
  byAgency: MonthStatistics["byAgency"];
  byCategory: MonthStatistics["byCategory"];
}

/** What the city publishes: payments and amounts per month over a year, and by agency and category for the month. */
export async function citySummary(db: Database, month: Month): Promise<CitySummary> {
  const months = monthsEndingWith(month, 12);
  const window = { from: monthWindow(months[0]!).from, to: monthWindow(month).to };
  const monthOf = sql<string>`to_char((${orders.paidAt} + interval '8 hours') at time zone 'UTC', 'YYYY-MM')`;
  const [perMonth, chosen] = await Promise.all([
    db
      .select({ month: monthOf, ...counted })
      .from(orders)
      .innerJoin(items, eq(items.orderId, orders.id))
      .where(paidIn(window))
      .groupBy(monthOf),
    monthStatistics(db, month, "all"),
  ]);
  return {
    month,
    months: months.map((m) => {
      const row = perMonth.find((r) => r.month === m);
      return { month: m, payments: row?.payments ?? 0, amount: row?.amount ?? 0 };
    }),
    byAgency: chosen.byAgency,
    byCategory: chosen.byCategory,
  };
}

/**
 * The month a page shows: the one asked for when the chooser offers it,
 * else the latest (`unavailable` says a month was asked for and is not
 * offered, so the page can say so rather than fail).
 */
export function chooseMonth(params: URLSearchParams, latest: Month): { month: Month; months: Month[]; unavailable: boolean } {
  const months = chooserMonths(latest);
  const asked = params.get("month");
  const month = months.find((m) => m === asked);
  return { month: month ?? latest, months, unavailable: asked !== null && asked !== "" && !month };
}

const PUBLISHED_TTL_MS = 10 * 60 * 1000;
const published = new WeakMap<Database, Map<Month, { at: number; summary: Promise<CitySummary> }>>();

/**
 * The public page's figures, kept ten minutes per month in this instance:
 * the page is open to anyone, and published figures a few minutes old are
 * what a publication is.
 */
export function publishedSummary(db: Database, month: Month, now = Date.now()): Promise<CitySummary> {
  const kept = published.get(db) ?? new Map();
  published.set(db, kept);
  const found = kept.get(month);
  if (found && now - found.at < PUBLISHED_TTL_MS) return found.summary;
  const summary = citySummary(db, month);
  kept.set(month, { at: now, summary });
  summary.catch(() => kept.delete(month));
  return summary;
}
