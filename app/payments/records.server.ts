import { and, asc, count, desc, eq, gte, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import { addDays } from "~/domain/dates";
import type { PaymentOrderState } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { RECORD_STATUSES, type RecordStatus } from "~/domain/payment-records";
import { billColumns, billLabels, type BillView } from "~/bills/bills.server";
import { schema, type Database } from "~/base/db.server";

/**
 * Payment records (繳費紀錄): the payments of one bill, for anyone who found
 * it (captcha or QR link), and a member's own history, filtered and paged,
 * or streamed for the CSV. Personal data is masked here, on the server.
 */

const STATES_OF: Record<RecordStatus, PaymentOrderState[]> = {
  paid: ["paid"],
  refunded: ["refunded"],
  in_progress: ["created", "pending", "unknown"],
  not_completed: ["failed", "cancelled", "expired"],
};

function recordStatusOf(state: PaymentOrderState): RecordStatus {
  return RECORD_STATUSES.find((status) => STATES_OF[status].includes(state))!;
}

/** One bill in one payment: the row of the history and of the CSV. */
export interface PaymentRecord extends Pick<
  BillView,
  | "billTypeCode"
  | "billTypeNameZh"
  | "billTypeNameEn"
  | "agencyNameZh"
  | "agencyNameEn"
  | "writeOffNumber"
  | "payerNameMasked"
  | "subjectMasked"
> {
  orderReference: string;
  status: RecordStatus;
  paymentTool: PaymentTool;
  /** When the payment was made (or, unfinished, begun). */
  at: string;
  refundedAt: string | null;
  receiptNumber: string | null;
  /** The bill was no longer owed when this payment came in: its money is to be refunded. */
  refundPending: boolean;
  /** What this bill took of the payment. */
  amount: number;
  orderTotal: number;
}

/** Shown as the payment's time: when it was paid, or begun if it was not. */
const paidOrBegun = sql<Date>`coalesce(${schema.paymentOrders.paidAt}, ${schema.paymentOrders.createdAt})`;
/**
 * Histories are ordered and filtered by when the payment was begun (a
 * payment is paid within minutes of it): the member's index covers it.
 */
const begunAt = schema.paymentOrders.createdAt;

const recordColumns = {
  orderId: schema.paymentOrders.id,
  orderReference: schema.paymentOrders.reference,
  state: schema.paymentOrders.state,
  paymentTool: schema.paymentOrders.paymentTool,
  at: paidOrBegun.mapWith(schema.paymentOrders.createdAt),
  // Exact (microseconds), for the keyset of memberHistoryBatches.
  begunAtText: sql<string>`${begunAt}::text`,
  refundedAt: schema.paymentOrders.refundedAt,
  orderTotal: schema.paymentOrders.totalAmount,
  receiptNumber: schema.receipts.number,
  refundCaseState: schema.refundCases.state,
  ...billColumns,
  // What this bill took of the payment, not the bill's amount now.
  amount: schema.paymentOrderItems.amount,
};

function selectRecords(db: Database) {
  return db
    .select(recordColumns)
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .innerJoin(schema.agencies, eq(schema.billTypes.agencyCode, schema.agencies.code))
    .leftJoin(schema.receipts, eq(schema.receipts.orderId, schema.paymentOrders.id))
    .leftJoin(
      schema.refundCases,
      and(eq(schema.refundCases.orderId, schema.paymentOrderItems.orderId), eq(schema.refundCases.billId, schema.paymentOrderItems.billId)),
    );
}

type RecordRow = Awaited<ReturnType<ReturnType<typeof selectRecords>["execute"]>>[number];

function toRecord(row: RecordRow): PaymentRecord {
  return {
    orderReference: row.orderReference,
    status: recordStatusOf(row.state),
    paymentTool: row.paymentTool,
    at: row.at.toISOString(),
    refundedAt: row.refundedAt ? row.refundedAt.toISOString() : null,
    receiptNumber: row.receiptNumber,
    refundPending: row.refundCaseState === "open",
    ...billLabels(row),
    amount: row.amount,
    orderTotal: row.orderTotal,
  };
}

/**
 * The payments of one bill through the portal, newest first: paid, refunded
 * and those still under way (attempts that ended without payment are not
 * payments, and are left out).
 */
export async function billPaymentRecords(db: Database, billId: string): Promise<PaymentRecord[]> {
  const rows = await selectRecords(db)
    .where(
      and(
        eq(schema.paymentOrderItems.billId, billId),
        inArray(schema.paymentOrders.state, [...STATES_OF.paid, ...STATES_OF.refunded, ...STATES_OF.in_progress]),
      ),
    )
    .orderBy(desc(begunAt), desc(schema.paymentOrders.id));
  return rows.map(toRecord);
}

/** The member's history, as the filters narrow it. Dates are days in Taiwan, both ends included. */
export interface HistoryFilters {
  from: string | null;
  to: string | null;
  billType: string | null;
  status: RecordStatus | null;
}

export const NO_FILTERS: HistoryFilters = { from: null, to: null, billType: null, status: null };

export const HISTORY_PAGE_SIZE = 20;

const taipeiMidnight = (day: string) => new Date(`${day}T00:00:00+08:00`);

function historyConditions(memberId: string, filters: HistoryFilters): SQL {
  const conditions: SQL[] = [eq(schema.paymentOrders.memberId, memberId)];
  if (filters.from) conditions.push(gte(begunAt, taipeiMidnight(filters.from)));
  if (filters.to) conditions.push(lt(begunAt, taipeiMidnight(addDays(filters.to, 1))));
  if (filters.billType) conditions.push(eq(schema.bills.billTypeCode, filters.billType));
  if (filters.status) conditions.push(inArray(schema.paymentOrders.state, STATES_OF[filters.status]));
  return and(...conditions)!;
}

const historyOrder = [desc(begunAt), desc(schema.paymentOrders.id), asc(schema.bills.id)] as const;

export interface HistoryPage {
  records: PaymentRecord[];
  total: number;
  page: number;
  pages: number;
  /** Paid amounts in the filtered history (refunded and unfinished ones not counted). */
  paidAmount: number;
}

export async function memberHistoryPage(db: Database, memberId: string, filters: HistoryFilters, page: number): Promise<HistoryPage> {
  const where = historyConditions(memberId, filters);
  const [totals] = await db
    .select({
      n: count(),
      paid: sql<number>`coalesce(sum(${schema.paymentOrderItems.amount}) filter (where ${schema.paymentOrders.state} = 'paid'), 0)`.mapWith(
        Number,
      ),
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .where(where);
  const total = totals?.n ?? 0;
  const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE));
  const current = Math.min(Math.max(1, page), pages);
  const rows = await selectRecords(db)
    .where(where)
    .orderBy(...historyOrder)
    .limit(HISTORY_PAGE_SIZE)
    .offset((current - 1) * HISTORY_PAGE_SIZE);
  return { records: rows.map(toRecord), total, page: current, pages, paidAmount: totals?.paid ?? 0 };
}

/**
 * The whole filtered history, a batch at a time (keyset pagination), so a
 * long history is never held in memory at once.
 */
export async function* memberHistoryBatches(
  db: Database,
  memberId: string,
  filters: HistoryFilters,
  batchSize = 1000,
): AsyncGenerator<PaymentRecord[]> {
  const where = historyConditions(memberId, filters);
  let after: { at: string; orderId: string; billId: string } | null = null;
  for (;;) {
    const rows: RecordRow[] = await selectRecords(db)
      .where(
        after
          ? and(
              where,
              or(
                sql`${begunAt} < ${after.at}::timestamptz`,
                and(sql`${begunAt} = ${after.at}::timestamptz`, lt(schema.paymentOrders.id, after.orderId)),
                and(
                  sql`${begunAt} = ${after.at}::timestamptz`,
                  eq(schema.paymentOrders.id, after.orderId),
                  sql`${schema.bills.id} > ${after.billId}`,
                ),
              ),
            )
          : where,
      )
      .orderBy(...historyOrder)
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows.map(toRecord);
    const last = rows[rows.length - 1]!;
    after = { at: last.begunAtText, orderId: last.orderId, billId: last.id };
    if (rows.length < batchSize) return;
  }
}

/** Receipt numbers in the member's filtered history (paid or refunded payments), newest first. */
export async function memberReceiptNumbers(db: Database, memberId: string, filters: HistoryFilters, limit: number): Promise<string[]> {
  const rows = await db
    .selectDistinct({ number: schema.receipts.number, at: begunAt })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.receipts, eq(schema.receipts.orderId, schema.paymentOrders.id))
    .where(historyConditions(memberId, filters))
    .orderBy(desc(begunAt), desc(schema.receipts.number))
    .limit(limit);
  return rows.map((row) => row.number);
}

/** Of these receipt numbers, those of the member's own payments. */
export async function memberOwnsReceipts(db: Database, memberId: string, numbers: readonly string[]): Promise<string[]> {
  if (numbers.length === 0) return [];
  const rows = await db
    .select({ number: schema.receipts.number })
    .from(schema.receipts)
    .innerJoin(schema.paymentOrders, eq(schema.receipts.orderId, schema.paymentOrders.id))
    .where(and(eq(schema.paymentOrders.memberId, memberId), inArray(schema.receipts.number, [...numbers])));
  const owned = new Set(rows.map((row) => row.number));
  return numbers.filter((number) => owned.has(number));
}

export type FilterProblem = { field: "from" | "to"; code: "date_invalid" } | { field: "to"; code: "date_order" };

/**
 * The history's filters from the query string. What cannot be used is
 * reported (and left out), and what was typed is given back to show again.
 */
export function parseHistoryFilters(
  query: URLSearchParams,
  billTypeCodes: readonly string[],
): { filters: HistoryFilters; typed: Record<"from" | "to" | "billType" | "status", string>; problems: FilterProblem[]; page: number } {
  const text = (name: string, max = 40) => (query.get(name) ?? "").trim().slice(0, max);
  const typed = { from: text("from"), to: text("to"), billType: text("billType"), status: text("status") };
  const problems: FilterProblem[] = [];
  const date = (field: "from" | "to") => {
    const value = typed[field];
    if (value === "") return null;
    if (!isCalendarDate(value)) {
      problems.push({ field, code: "date_invalid" });
      return null;
    }
    return value;
  };
  let from = date("from");
  let to = date("to");
  if (from && to && from > to) {
    problems.push({ field: "to", code: "date_order" });
    from = null;
    to = null;
  }
  const page = Number.parseInt(text("page", 6), 10);
  return {
    filters: {
      from,
      to,
      billType: billTypeCodes.includes(typed.billType) ? typed.billType : null,
      status: RECORD_STATUSES.includes(typed.status as RecordStatus) ? (typed.status as RecordStatus) : null,
    },
    typed,
    problems,
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

/** YYYY-MM-DD that names a real day (the date input's format). */
function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === value;
}

/** The filters as a query string, for the page links and the downloads. */
export function historyQuery(filters: HistoryFilters, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
  for (const [name, value] of Object.entries(extra)) query.set(name, value);
  return query.toString();
}
