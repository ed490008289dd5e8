import { and, asc, count, desc, eq, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { addDays } from "~/domain/dates";
import type { PaymentChannel, SubjectKind } from "~/domain/catalogue";
import type { PaymentOrderState } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { RECORD_STATUSES, type RecordStatus } from "~/domain/payment-records";
import { billColumns, billLabels, type BillView } from "~/bills/bills.server";
import type { PgSelect } from "drizzle-orm/pg-core";
import { schema, type Database } from "~/base/db.server";
import { billRefunds, payerRefundsOf, type PayerRefunds } from "./payer-refunds.server";

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
  /** When this bill's money went back (its latest refund), or the whole payment's. */
  refundedAt: string | null;
  receiptNumber: string | null;
  /**
   * Money of this bill's is on its way back: a refund under way, or the bill
   * was no longer owed when this payment came in (a case to refund).
   */
  refundPending: boolean;
  /** Refunds made of this bill's part, oldest first; a payment refunded in part stays paid. */
  refunds: Array<{ number: string; amount: number; refundedAt: string }>;
  refundedAmount: number;
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
  ...billColumns,
  // What this bill took of the payment, not the bill's amount now.
  amount: schema.paymentOrderItems.amount,
};

/** Bills in payments, with their payment, type, agency and receipt: what records are read from (refunds: payer-refunds.server.ts). */
function joinPaymentItems<Query extends PgSelect>(query: Query) {
  return query
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .innerJoin(schema.agencies, eq(schema.billTypes.agencyCode, schema.agencies.code))
    .leftJoin(schema.receipts, eq(schema.receipts.orderId, schema.paymentOrders.id));
}

const selectRecords = (db: Database) => joinPaymentItems(db.select(recordColumns).from(schema.paymentOrderItems).$dynamic());

type RecordRow = Awaited<ReturnType<ReturnType<typeof selectRecords>["execute"]>>[number];

function toRecord(row: RecordRow, refunds: Map<string, PayerRefunds>): PaymentRecord {
  return {
    orderReference: row.orderReference,
    status: recordStatusOf(row.state),
    paymentTool: row.paymentTool,
    at: row.at.toISOString(),
    receiptNumber: row.receiptNumber,
    ...refundsOfRecord(refunds, row.orderId, row.id, row.refundedAt?.toISOString() ?? null),
    ...billLabels(row),
    amount: row.amount,
    orderTotal: row.orderTotal,
  };
}

/** What a record says of its bill's refunds (the open case is among those under way). */
function refundsOfRecord(refunds: Map<string, PayerRefunds>, orderId: string | null, billId: string, orderRefundedAt: string | null) {
  const bill = billRefunds(refunds, orderId, billId);
  return {
    refundedAt: bill.refunds.at(-1)?.refundedAt ?? orderRefundedAt,
    refundPending: bill.refundUnderWay,
    refunds: bill.refunds,
    refundedAmount: bill.refundedAmount,
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
  const refunds = await payerRefundsOf(
    db,
    rows.map((row) => row.orderId),
  );
  return rows.map((row) => toRecord(row, refunds));
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

/**
 * Whose history: the member's own payments (made while logged in, or in the
 * same browser before and claimed at login), and, when given, bills issued
 * to their verified identity that were paid here by anyone, and bills of
 * their bound numbers paid through another channel (a store, a counter: the
 * portal issued no receipt for those).
 */
export interface HistoryOwner {
  memberId: string;
  /** A verified member's national ID hash; null otherwise. */
  nationalIdHash: string | null;
  subjects: ReadonlyArray<{ kind: SubjectKind; values: readonly string[] }>;
}

const ownerOf = (who: string | HistoryOwner): HistoryOwner =>
  typeof who === "string" ? { memberId: who, nationalIdHash: null, subjects: [] } : who;

/** Where a record of the history comes from (the history page says which kinds it holds). */
type HistoryOrigin = "member" | "identity" | "elsewhere";

/** One row of a member's history: a bill in one of their payments here, or a bill of theirs paid elsewhere. */
export interface HistoryRecord extends Omit<PaymentRecord, "paymentTool" | "orderReference" | "orderTotal"> {
  origin: HistoryOrigin;
  /** Null for a bill paid elsewhere: no payment of this portal's. */
  orderReference: string | null;
  paymentTool: PaymentTool | null;
  /** Where it was paid: "portal" for payments here. */
  channel: PaymentChannel;
  orderTotal: number | null;
}

const PAID_STATES: PaymentOrderState[] = [...STATES_OF.paid, ...STATES_OF.refunded];

/** The day filters, on the moment a record is ordered by. */
function dayConditions(moment: SQL, filters: HistoryFilters): SQL[] {
  const conditions: SQL[] = [];
  const midnight = (day: string) => taipeiMidnight(day).toISOString();
  if (filters.from) conditions.push(sql`${moment} >= ${midnight(filters.from)}::timestamptz`);
  if (filters.to) conditions.push(sql`${moment} < ${midnight(addDays(filters.to, 1))}::timestamptz`);
  if (filters.billType) conditions.push(eq(schema.bills.billTypeCode, filters.billType));
  return conditions;
}

const billFields = {
  billId: sql<string>`${schema.bills.id}::text`.as("bill_id"),
  billTypeCode: sql<string>`${schema.bills.billTypeCode}`.as("bill_type_code"),
  billTypeNameZh: sql<string>`${schema.billTypes.nameZh}`.as("bill_type_name_zh"),
  billTypeNameEn: sql<string>`${schema.billTypes.nameEn}`.as("bill_type_name_en"),
  agencyNameZh: sql<string>`${schema.agencies.nameZh}`.as("agency_name_zh"),
  agencyNameEn: sql<string>`${schema.agencies.nameEn}`.as("agency_name_en"),
  writeOffNumber: sql<string>`${schema.bills.writeOffNumber}`.as("write_off_number"),
  payerName: sql<string>`${schema.bills.payerName}`.as("payer_name"),
  subjectKind: sql<SubjectKind>`${schema.billTypes.subjectKind}`.as("subject_kind"),
  subject: sql<string>`${schema.bills.subject}`.as("subject"),
};

/** Payments here: the member's own, or (identity) others' payments of bills issued to them. */
function paymentsPart(db: Database, origin: "member" | "identity", condition: SQL, filters: HistoryFilters) {
  const conditions = [condition, ...dayConditions(sql`${begunAt}`, filters)];
  if (filters.status) conditions.push(inArray(schema.paymentOrders.state, STATES_OF[filters.status]));
  const fields = {
    origin: sql<HistoryOrigin>`${origin}::text`.as("origin"),
    orderKey: sql<string>`${schema.paymentOrders.id}::text`.as("order_key"),
    orderReference: sql<string | null>`${schema.paymentOrders.reference}`.as("order_reference"),
    state: sql<PaymentOrderState>`${schema.paymentOrders.state}`.as("state"),
    paymentTool: sql<PaymentTool | null>`${schema.paymentOrders.paymentTool}`.as("payment_tool"),
    channel: sql<PaymentChannel>`'portal'::text`.as("channel"),
    sortAt: sql<string>`${begunAt}`.as("sort_at"),
    sortAtText: sql<string>`${begunAt}::text`.as("sort_at_text"),
    atText: sql<string>`${paidOrBegun}::text`.as("at_text"),
    refundedAtText: sql<string | null>`${schema.paymentOrders.refundedAt}::text`.as("refunded_at_text"),
    orderTotal: sql<number | null>`${schema.paymentOrders.totalAmount}`.as("order_total"),
    receiptNumber: sql<string | null>`${schema.receipts.number}`.as("receipt_number"),
    ...billFields,
    amount: sql<number>`${schema.paymentOrderItems.amount}`.as("amount"),
  };
  return joinPaymentItems(db.select(fields).from(schema.paymentOrderItems).$dynamic()).where(and(...conditions));
}

/** Bills of the member's bound numbers paid through another channel, as their source or agency reported. */
function elsewherePart(db: Database, owner: HistoryOwner, filters: HistoryFilters) {
  const subjects = owner.subjects
    .filter((group) => group.values.length > 0)
    .map((group) => and(eq(schema.billTypes.subjectKind, group.kind), inArray(schema.bills.subject, [...group.values]))!);
  const conditions: SQL[] = [
    // Nothing to match (no bindings, or a status filter no such record has): an empty part.
    subjects.length > 0 && (!filters.status || filters.status === "paid") ? or(...subjects)! : sql`false`,
    inArray(schema.bills.status, ["paid", "written_off"]),
    sql`${schema.bills.paidChannel} <> 'portal'`,
    ...dayConditions(sql`${schema.bills.paidAt}`, filters),
  ];
  return db
    .select({
      origin: sql<HistoryOrigin>`'elsewhere'::text`.as("origin"),
      // Sorts after every payment here begun at the same moment; the bill id breaks the tie.
      orderKey: sql<string>`''::text`.as("order_key"),
      orderReference: sql<string | null>`null::text`.as("order_reference"),
      state: sql<PaymentOrderState>`'paid'::text`.as("state"),
      paymentTool: sql<PaymentTool | null>`null::text`.as("payment_tool"),
      channel: sql<PaymentChannel>`${schema.bills.paidChannel}`.as("channel"),
      sortAt: sql<string>`${schema.bills.paidAt}`.as("sort_at"),
      sortAtText: sql<string>`${schema.bills.paidAt}::text`.as("sort_at_text"),
      atText: sql<string>`${schema.bills.paidAt}::text`.as("at_text"),
      refundedAtText: sql<string | null>`null::text`.as("refunded_at_text"),
      orderTotal: sql<number | null>`null::integer`.as("order_total"),
      receiptNumber: sql<string | null>`null::text`.as("receipt_number"),
      ...billFields,
      amount: sql<number>`${schema.bills.amount}`.as("amount"),
    })
    .from(schema.bills)
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .innerJoin(schema.agencies, eq(schema.billTypes.agencyCode, schema.agencies.code))
    .where(and(...conditions));
}

/** The member's whole history as one table (a subquery), every kind of record in it. */
function historyRows(db: Database, who: string | HistoryOwner, filters: HistoryFilters) {
  const owner = ownerOf(who);
  const own = paymentsPart(db, "member", eq(schema.paymentOrders.memberId, owner.memberId), filters);
  const identity = paymentsPart(
    db,
    "identity",
    owner.nationalIdHash
      ? and(
          eq(schema.bills.payerNationalIdHash, owner.nationalIdHash),
          inArray(schema.paymentOrders.state, PAID_STATES),
          // The member's own payments are in the first part already.
          sql`${schema.paymentOrders.memberId} is distinct from ${owner.memberId}::uuid`,
        )!
      : sql`false`,
    filters,
  );
  return own
    .unionAll(identity)
    .unionAll(elsewherePart(db, owner, filters))
    .as("history");
}

type HistoryTable = ReturnType<typeof historyRows>;

function historyOrder(h: HistoryTable) {
  return [desc(h.sortAt), desc(h.orderKey), asc(h.billId)];
}

type HistoryRow = {
  [K in keyof HistoryTable["_"]["selectedFields"]]: HistoryTable["_"]["selectedFields"][K] extends SQL.Aliased<infer T> ? T : never;
};

/** A timestamp as PostgreSQL prints it (`2026-11-20 10:00:00.123+08`), as ISO 8601. */
const isoFromText = (text: string) => new Date(text.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00")).toISOString();

/** The records of a page or a batch, with their refunds. */
async function toHistoryRecords(db: Database, rows: readonly HistoryRow[]): Promise<HistoryRecord[]> {
  const refunds = await payerRefundsOf(
    db,
    rows.flatMap((row) => (row.orderKey ? [row.orderKey] : [])),
  );
  return rows.map((row) => toHistoryRecord(row, refunds));
}

function toHistoryRecord(row: HistoryRow, refunds: Map<string, PayerRefunds>): HistoryRecord {
  return {
    origin: row.origin,
    orderReference: row.orderReference,
    status: recordStatusOf(row.state),
    paymentTool: row.paymentTool,
    channel: row.channel,
    at: isoFromText(row.atText),
    receiptNumber: row.receiptNumber,
    ...refundsOfRecord(refunds, row.orderKey || null, row.billId, row.refundedAtText ? isoFromText(row.refundedAtText) : null),
    ...billLabels(row),
    amount: Number(row.amount),
    orderTotal: row.orderTotal === null ? null : Number(row.orderTotal),
  };
}

export interface HistoryPage {
  records: HistoryRecord[];
  total: number;
  page: number;
  pages: number;
  /** Paid amounts in the filtered history (refunded and unfinished ones not counted). */
  paidAmount: number;
}

export async function memberHistoryPage(
  db: Database,
  who: string | HistoryOwner,
  filters: HistoryFilters,
  page: number,
): Promise<HistoryPage> {
  const h = historyRows(db, who, filters);
  const [totals] = await db
    .select({
      n: count(),
      paid: sql<number>`coalesce(sum(${h.amount}) filter (where ${h.state} = 'paid'), 0)`.mapWith(Number),
    })
    .from(h);
  const total = totals?.n ?? 0;
  const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE_SIZE));
  const current = Math.min(Math.max(1, page), pages);
  const rows = await db
    .select()
    .from(h)
    .orderBy(...historyOrder(h))
    .limit(HISTORY_PAGE_SIZE)
    .offset((current - 1) * HISTORY_PAGE_SIZE);
  return { records: await toHistoryRecords(db, rows), total, page: current, pages, paidAmount: totals?.paid ?? 0 };
}

/**
 * The whole filtered history, a batch at a time (keyset pagination), so a
 * long history is never held in memory at once.
 */
export async function* memberHistoryBatches(
  db: Database,
  who: string | HistoryOwner,
  filters: HistoryFilters,
  batchSize = 1000,
): AsyncGenerator<HistoryRecord[]> {
  const h = historyRows(db, who, filters);
  let after: { at: string; orderKey: string; billId: string } | null = null;
  for (;;) {
    const rows: HistoryRow[] = await db
      .select()
      .from(h)
      .where(
        after
          ? or(
              sql`${h.sortAt} < ${after.at}::timestamptz`,
              and(sql`${h.sortAt} = ${after.at}::timestamptz`, sql`${h.orderKey} < ${after.orderKey}`),
              and(sql`${h.sortAt} = ${after.at}::timestamptz`, sql`${h.orderKey} = ${after.orderKey}`, sql`${h.billId} > ${after.billId}`),
            )
          : undefined,
      )
      .orderBy(...historyOrder(h))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield await toHistoryRecords(db, rows);
    const last = rows[rows.length - 1]!;
    after = { at: last.sortAtText, orderKey: last.orderKey, billId: last.billId };
    if (rows.length < batchSize) return;
  }
}

/** Receipt numbers in the member's filtered history (paid or refunded payments), newest first. */
export async function memberReceiptNumbers(
  db: Database,
  who: string | HistoryOwner,
  filters: HistoryFilters,
  limit: number,
): Promise<string[]> {
  const h = historyRows(db, who, filters);
  const rows = await db
    .selectDistinct({ number: h.receiptNumber, at: h.sortAt })
    .from(h)
    .where(sql`${h.receiptNumber} is not null`)
    .orderBy(desc(h.sortAt), desc(h.receiptNumber))
    .limit(limit);
  return rows.flatMap((row) => (row.number ? [row.number] : []));
}

/**
 * Of these receipt numbers, those in the member's history: their own
 * payments, and payments of bills issued to their verified identity.
 */
export async function memberOwnsReceipts(db: Database, who: string | HistoryOwner, numbers: readonly string[]): Promise<string[]> {
  if (numbers.length === 0) return [];
  const h = historyRows(db, who, NO_FILTERS);
  const rows = await db
    .selectDistinct({ number: h.receiptNumber })
    .from(h)
    .where(inArray(h.receiptNumber, [...numbers]));
  const owned = new Set(rows.map((row) => row.number));
  return numbers.filter((number) => owned.has(number));
}

/**
 * Makes the payments this browser started before logging in the member's
 * (the references come from the browser's signed session). Only payments
 * nobody holds are taken: never another member's. Returns those claimed.
 */
export async function claimOrders(db: Database, memberId: string, references: readonly string[]): Promise<string[]> {
  if (references.length === 0) return [];
  const rows = await db
    .update(schema.paymentOrders)
    .set({ memberId })
    .where(and(inArray(schema.paymentOrders.reference, [...references]), isNull(schema.paymentOrders.memberId)))
    .returning({ reference: schema.paymentOrders.reference });
  return rows.map((row) => row.reference);
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

/**
 * YYYY-MM-DD that names a real day (the date input's format), in a year a
 * search can run on: the day's Taiwan midnight and the next day's must be
 * moments PostgreSQL reads (0001-01-01 begins in year 0, 9999-12-31 ends in 10000).
 */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const year = Number(value.slice(0, 4));
  if (year < 1000 || year > 9998) return false;
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
