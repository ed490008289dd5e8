import { and, count, desc, eq, exists, gte, inArray, lt, type SQL } from "drizzle-orm";
import { z } from "zod";
import { addDays } from "~/domain/dates";
import { maskPersonName } from "~/domain/masking";
import {
  ENTRY_CHANNELS,
  PAYMENT_ORDER_STATES,
  type EntryChannel,
  type PaymentEventKind,
  type PaymentEventSource,
  type PaymentOrderState,
  type PaymentProvider,
  type RefundCaseReason,
  type RefundCaseState,
  type WriteOffNoticeKind,
} from "~/domain/payment-order";
import { PAYMENT_TOOLS, type PaymentTool } from "~/domain/payment-tools";
import type { RefundState } from "~/domain/refund";
import { actingForIn, agenciesFor, allows } from "~/domain/staff";
import type { BillStatus } from "~/domain/catalogue";
import { normalizeWriteOffNumber } from "~/domain/write-off-number";
import { isCalendarDate } from "~/payments/records.server";
import { schema, type Database } from "~/base/db.server";
import { answerRevealIntent, type RevealState, type RevealTarget } from "./reveal.server";
import { auditStaffAct, type StaffContext } from "./staff-request.server";

/**
 * What staff see of payments: orders holding bills of the agencies their
 * `payments.view` reaches, found by any number a resident or an agency
 * quotes, and one order's whole story. An order with no bill of theirs does
 * not exist for them (the same answer as an order that does not exist).
 * Payer and member names are personal data: masked, revealed only through a
 * signed reveal. Every search and every view is in the audit trail.
 */

export type PaymentViewer = Pick<StaffContext, "staffId" | "requestId" | "roles">;

type Scope = "all" | string[];

const scopeOf = (staff: PaymentViewer): Scope => agenciesFor(staff.roles, "payments.view");

// ---------------------------------------------------------------------------
// The search form

const PAYMENT_SEARCH_FIELDS = [
  "writeOffNumber",
  "reference",
  "receiptNumber",
  "providerTransactionId",
  "from",
  "to",
  "status",
  "tool",
  "channel",
] as const;
type PaymentSearchField = (typeof PAYMENT_SEARCH_FIELDS)[number];

type PaymentSearchProblem =
  | "writeOffNumberInvalid"
  | "referenceInvalid"
  | "receiptNumberInvalid"
  | "providerTransactionIdInvalid"
  | "dateInvalid"
  | "dateOrder"
  | "statusInvalid"
  | "toolInvalid"
  | "channelInvalid";

const PAYMENTS_PER_PAGE = 50;

// An empty field is no filter; a filled one must be well formed.
const optional = <T extends z.ZodType>(inner: T) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined), inner.optional());
const upperCased = (pattern: RegExp, problem: PaymentSearchProblem) =>
  z
    .string()
    .transform((value) => value.toUpperCase())
    .pipe(z.string().regex(pattern, problem));

const searchSchema = z
  .object({
    writeOffNumber: optional(
      z
        .string()
        .transform(normalizeWriteOffNumber)
        .pipe(z.string().regex(/^[0-9A-Z]{6,16}$/, "writeOffNumberInvalid")),
    ),
    reference: optional(upperCased(/^[0-9A-Z]{8,20}$/, "referenceInvalid")),
    receiptNumber: optional(upperCased(/^[0-9A-Z-]{8,24}$/, "receiptNumberInvalid")),
    providerTransactionId: optional(z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, "providerTransactionIdInvalid")),
    from: optional(z.string().refine(isCalendarDate, "dateInvalid")),
    to: optional(z.string().refine(isCalendarDate, "dateInvalid")),
    status: optional(z.enum(PAYMENT_ORDER_STATES, { error: "statusInvalid" })),
    tool: optional(z.enum(PAYMENT_TOOLS, { error: "toolInvalid" })),
    channel: optional(z.enum(ENTRY_CHANNELS, { error: "channelInvalid" })),
  })
  .refine((filters) => !filters.from || !filters.to || filters.from <= filters.to, { path: ["to"], message: "dateOrder" });

export type PaymentSearchFilters = {
  writeOffNumber?: string;
  reference?: string;
  receiptNumber?: string;
  providerTransactionId?: string;
  /** Taipei calendar days, both included. */
  from?: string;
  to?: string;
  status?: PaymentOrderState;
  tool?: PaymentTool;
  channel?: EntryChannel;
};

export type ParsedPaymentSearch =
  | { ok: true; filters: PaymentSearchFilters; typed: Record<PaymentSearchField, string>; page: number }
  | { ok: false; problems: Partial<Record<PaymentSearchField, PaymentSearchProblem>>; typed: Record<PaymentSearchField, string> };

/** The search as typed in the address bar; problems name the field to fix. */
export function parsePaymentSearch(query: URLSearchParams): ParsedPaymentSearch {
  const typed = Object.fromEntries(PAYMENT_SEARCH_FIELDS.map((field) => [field, (query.get(field) ?? "").slice(0, 100)])) as Record<
    PaymentSearchField,
    string
  >;
  const parsed = searchSchema.safeParse(typed);
  if (!parsed.success) {
    const problems: Partial<Record<PaymentSearchField, PaymentSearchProblem>> = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as PaymentSearchField;
      problems[field] ??= issue.message as PaymentSearchProblem;
    }
    return { ok: false, problems, typed };
  }
  const page = Number.parseInt(query.get("page") ?? "", 10);
  return { ok: true, filters: parsed.data, typed, page: Number.isSafeInteger(page) && page >= 1 && page <= 10_000 ? page : 1 };
}

/** The filters as a query string, for the next and previous pages. */
export function paymentSearchQuery(filters: PaymentSearchFilters, page: number): string {
  const query = new URLSearchParams();
  for (const field of PAYMENT_SEARCH_FIELDS) {
    const value = filters[field];
    if (value) query.set(field, value);
  }
  if (page > 1) query.set("page", String(page));
  return query.toString();
}

// ---------------------------------------------------------------------------
// Scope

/** Bills of the order's items whose bill type belongs to an agency in scope (all of them for "all"). */
function billsInScope(scope: Scope, extra?: SQL) {
  const i = schema.paymentOrderItems;
  return and(eq(i.orderId, schema.paymentOrders.id), scope === "all" ? undefined : inArray(schema.billTypes.agencyCode, scope), extra);
}

function scopedOrderBills(db: Database, scope: Scope, extra?: SQL) {
  return db
    .select({ billId: schema.paymentOrderItems.billId })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.bills, eq(schema.bills.id, schema.paymentOrderItems.billId))
    .innerJoin(schema.billTypes, eq(schema.billTypes.code, schema.bills.billTypeCode))
    .where(billsInScope(scope, extra));
}

const taipeiMidnight = (isoDate: string) => new Date(`${isoDate}T00:00:00+08:00`);

function searchCondition(db: Database, scope: Scope, filters: PaymentSearchFilters): SQL | undefined {
  const o = schema.paymentOrders;
  return and(
    // The write-off number must be one of the staff member's own bills in the order.
    exists(scopedOrderBills(db, scope, filters.writeOffNumber ? eq(schema.bills.writeOffNumber, filters.writeOffNumber) : undefined)),
    filters.reference ? eq(o.reference, filters.reference) : undefined,
    filters.receiptNumber
      ? exists(
          db
            .select({ id: schema.receipts.id })
            .from(schema.receipts)
            .where(and(eq(schema.receipts.orderId, o.id), eq(schema.receipts.number, filters.receiptNumber))),
        )
      : undefined,
    filters.providerTransactionId ? eq(o.providerTransactionId, filters.providerTransactionId) : undefined,
    filters.from ? gte(o.createdAt, taipeiMidnight(filters.from)) : undefined,
    filters.to ? lt(o.createdAt, taipeiMidnight(addDays(filters.to, 1))) : undefined,
    filters.status ? eq(o.state, filters.status) : undefined,
    filters.tool ? eq(o.paymentTool, filters.tool) : undefined,
    filters.channel ? eq(o.entryChannel, filters.channel) : undefined,
  );
}

interface ScopedBill {
  orderId: string;
  billId: string;
  agencyCode: string;
  billTypeCode: string;
  billTypeNameZh: string;
  billTypeNameEn: string;
  writeOffNumber: string;
  payerName: string;
  amount: number;
  status: BillStatus;
}

async function billsOfOrders(db: Database, scope: Scope, orderIds: readonly string[]): Promise<ScopedBill[]> {
  if (orderIds.length === 0) return [];
  return db
    .select({
      orderId: schema.paymentOrderItems.orderId,
      billId: schema.bills.id,
      agencyCode: schema.billTypes.agencyCode,
      billTypeCode: schema.billTypes.code,
      billTypeNameZh: schema.billTypes.nameZh,
      billTypeNameEn: schema.billTypes.nameEn,
      writeOffNumber: schema.bills.writeOffNumber,
      payerName: schema.bills.payerName,
      amount: schema.paymentOrderItems.amount,
      status: schema.bills.status,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.bills, eq(schema.bills.id, schema.paymentOrderItems.billId))
    .innerJoin(schema.billTypes, eq(schema.billTypes.code, schema.bills.billTypeCode))
    .where(
      and(
        inArray(schema.paymentOrderItems.orderId, [...orderIds]),
        scope === "all" ? undefined : inArray(schema.billTypes.agencyCode, scope),
      ),
    )
    .orderBy(schema.bills.writeOffNumber);
}

// ---------------------------------------------------------------------------
// Searching

interface PaymentSearchRow {
  id: string;
  reference: string;
  createdAt: string;
  totalAmount: number;
  state: PaymentOrderState;
  paymentTool: PaymentTool;
  entryChannel: EntryChannel | null;
  bills: Array<{ billTypeNameZh: string; billTypeNameEn: string; writeOffNumber: string; payerNameMasked: string }>;
}

export interface PaymentSearchResult {
  total: number;
  page: number;
  pages: number;
  rows: PaymentSearchRow[];
}

/** One page of the orders in the staff member's scope that match, newest first; the search is audited. */
export async function searchPayments(
  db: Database,
  staff: PaymentViewer,
  filters: PaymentSearchFilters,
  page = 1,
): Promise<PaymentSearchResult> {
  const scope = scopeOf(staff);
  let result: PaymentSearchResult = { total: 0, page, pages: 0, rows: [] };
  if (scope === "all" || scope.length > 0) {
    const o = schema.paymentOrders;
    const where = searchCondition(db, scope, filters);
    const [counted] = await db.select({ n: count() }).from(o).where(where);
    const orders = await db
      .select({
        id: o.id,
        reference: o.reference,
        createdAt: o.createdAt,
        totalAmount: o.totalAmount,
        state: o.state,
        paymentTool: o.paymentTool,
        entryChannel: o.entryChannel,
      })
      .from(o)
      .where(where)
      .orderBy(desc(o.createdAt), desc(o.id))
      .limit(PAYMENTS_PER_PAGE)
      .offset((page - 1) * PAYMENTS_PER_PAGE);
    const bills = await billsOfOrders(
      db,
      scope,
      orders.map((order) => order.id),
    );
    const total = counted?.n ?? 0;
    result = {
      total,
      page,
      pages: Math.ceil(total / PAYMENTS_PER_PAGE),
      rows: orders.map((order) => ({
        ...order,
        createdAt: order.createdAt.toISOString(),
        bills: bills
          .filter((bill) => bill.orderId === order.id)
          .map((bill) => ({
            billTypeNameZh: bill.billTypeNameZh,
            billTypeNameEn: bill.billTypeNameEn,
            writeOffNumber: bill.writeOffNumber,
            payerNameMasked: maskPersonName(bill.payerName),
          })),
      })),
    };
  }
  await auditStaffAct(staff, {
    action: "staff.payments_searched",
    targetType: "payment_order",
    details: { filters: { ...filters }, page, found: result.total, scope: scope === "all" ? "all" : scope },
  });
  return result;
}

// ---------------------------------------------------------------------------
// One order

interface OrderInScope {
  order: typeof schema.paymentOrders.$inferSelect;
  bills: ScopedBill[];
  /** Bills of other agencies in the same order: counted, never shown. */
  otherBills: number;
  /** The agency whose item the order is for this staff member (null when their bills span several). */
  agencyCode: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function orderInScope(db: Database, scope: Scope, orderId: string): Promise<OrderInScope | null> {
  if (!UUID.test(orderId) || (scope !== "all" && scope.length === 0)) return null;
  const [order] = await db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, orderId));
  if (!order) return null;
  const bills = await billsOfOrders(db, scope, [order.id]);
  if (bills.length === 0) return null;
  const [all] = await db.select({ n: count() }).from(schema.paymentOrderItems).where(eq(schema.paymentOrderItems.orderId, order.id));
  const agencies = [...new Set(bills.map((bill) => bill.agencyCode))];
  return { order, bills, otherBills: (all?.n ?? bills.length) - bills.length, agencyCode: agencies.length === 1 ? agencies[0]! : null };
}

export type TimelineEntry =
  | {
      kind: "event";
      at: string;
      eventKind: PaymentEventKind;
      fromState: PaymentOrderState | null;
      toState: PaymentOrderState | null;
      source: PaymentEventSource;
      /** A refund asked of the provider: done (the refunded transition) or refused. */
      refund: "done" | "refused" | null;
      /** A `refund` event: which refund, from which state to which (domain/refund.ts). */
      refundChange: { number: string; from: RefundState | null; to: RefundState } | null;
      payload: string;
    }
  | { kind: "notice_queued"; at: string; noticeKind: WriteOffNoticeKind; noticeState: "pending" | "delivered"; writeOffNumber: string }
  | {
      kind: "notice_attempt";
      at: string;
      noticeKind: WriteOffNoticeKind;
      noticeState: "pending" | "delivered";
      writeOffNumber: string;
      url: string;
      statusCode: number | null;
      error: string | null;
      durationMs: number;
    }
  | {
      kind: "refund_case_opened" | "refund_case_closed";
      at: string;
      writeOffNumber: string;
      reason: RefundCaseReason;
      state: RefundCaseState;
      amount: number;
      details: string;
    }
  | { kind: "source_settlement"; at: string; writeOffNumber: string; source: string; channel: string | null; settledAt: string | null };

export interface PaymentDetail {
  id: string;
  reference: string;
  state: PaymentOrderState;
  totalAmount: number;
  paymentTool: PaymentTool;
  provider: PaymentProvider;
  providerTransactionId: string | null;
  entryChannel: EntryChannel | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  paidAt: string | null;
  refundedAt: string | null;
  receiptNumber: string | null;
  memberNameMasked: string | null;
  agencyCode: string | null;
  /** Whether the staff member may ask to see the names (personal_data.reveal for this agency). */
  mayReveal: boolean;
  otherBills: number;
  bills: Array<{
    id: string;
    billTypeNameZh: string;
    billTypeNameEn: string;
    writeOffNumber: string;
    amount: number;
    status: BillStatus;
    payerNameMasked: string;
  }>;
  timeline: TimelineEntry[];
}

const readableJson = (value: unknown) => JSON.stringify(value ?? {}, null, 2);

function refundOf(event: { kind: PaymentEventKind; toState: PaymentOrderState | null; payload: unknown }): "done" | "refused" | null {
  if (event.kind === "transition" && event.toState === "refunded") return "done";
  const payload = event.payload as Record<string, unknown> | null;
  return payload && typeof payload === "object" && "refundRefused" in payload ? "refused" : null;
}

function refundChangeOf(payload: unknown): { number: string; from: RefundState | null; to: RefundState } | null {
  const change = payload as { number?: unknown; from?: unknown; to?: unknown } | null;
  if (!change || typeof change.number !== "string" || typeof change.to !== "string") return null;
  return {
    number: change.number,
    from: typeof change.from === "string" ? (change.from as RefundState) : null,
    to: change.to as RefundState,
  };
}

async function timelineOf(db: Database, found: OrderInScope): Promise<TimelineEntry[]> {
  const { order, bills } = found;
  const billIds = bills.map((bill) => bill.billId);
  const numberOf = (billId: string) => bills.find((bill) => bill.billId === billId)?.writeOffNumber ?? "";
  const entries: TimelineEntry[] = [];

  const events = await db
    .select()
    .from(schema.paymentEvents)
    .where(eq(schema.paymentEvents.orderId, order.id))
    .orderBy(schema.paymentEvents.id);
  for (const event of events) {
    entries.push({
      kind: "event",
      at: event.createdAt.toISOString(),
      eventKind: event.kind,
      fromState: event.fromState,
      toState: event.toState,
      source: event.source,
      refund: refundOf(event),
      refundChange: event.kind === "refund" ? refundChangeOf(event.payload) : null,
      payload: readableJson(event.payload),
    });
  }

  const notices = await db
    .select()
    .from(schema.writeOffNotices)
    .where(and(eq(schema.writeOffNotices.orderId, order.id), inArray(schema.writeOffNotices.billId, billIds)))
    .orderBy(schema.writeOffNotices.createdAt);
  const deliveries = notices.length
    ? await db
        .select()
        .from(schema.webhookDeliveries)
        .where(
          inArray(
            schema.webhookDeliveries.noticeId,
            notices.map((notice) => notice.id),
          ),
        )
        .orderBy(schema.webhookDeliveries.id)
    : [];
  for (const notice of notices) {
    const about = { noticeKind: notice.kind, noticeState: notice.state, writeOffNumber: notice.billId ? numberOf(notice.billId) : "" };
    entries.push({ kind: "notice_queued", at: notice.createdAt.toISOString(), ...about });
    for (const delivery of deliveries.filter((d) => d.noticeId === notice.id)) {
      entries.push({
        kind: "notice_attempt",
        at: delivery.attemptedAt.toISOString(),
        ...about,
        url: delivery.url,
        statusCode: delivery.statusCode,
        error: delivery.error,
        durationMs: delivery.durationMs,
      });
    }
  }

  const cases = await db
    .select()
    .from(schema.refundCases)
    .where(and(eq(schema.refundCases.orderId, order.id), inArray(schema.refundCases.billId, billIds)))
    .orderBy(schema.refundCases.createdAt);
  for (const refundCase of cases) {
    const about = {
      writeOffNumber: numberOf(refundCase.billId),
      reason: refundCase.reason,
      state: refundCase.state,
      amount: refundCase.amount,
      details: readableJson(refundCase.details),
    };
    entries.push({ kind: "refund_case_opened", at: refundCase.createdAt.toISOString(), ...about });
    if (refundCase.closedAt) entries.push({ kind: "refund_case_closed", at: refundCase.closedAt.toISOString(), ...about });
  }

  // A bill's source reporting it paid through another channel after it was paid here (sources.server.ts).
  if (order.paidAt) {
    const settlements = await db
      .select()
      .from(schema.auditLog)
      .where(
        and(
          eq(schema.auditLog.action, "bill.paid_twice"),
          eq(schema.auditLog.targetType, "bill"),
          inArray(schema.auditLog.targetId, billIds),
          gte(schema.auditLog.occurredAt, order.createdAt),
        ),
      )
      .orderBy(schema.auditLog.seq);
    for (const settlement of settlements) {
      const details = settlement.details as { channel?: unknown; settledAt?: unknown };
      entries.push({
        kind: "source_settlement",
        at: settlement.occurredAt.toISOString(),
        writeOffNumber: numberOf(settlement.targetId ?? ""),
        source: settlement.actorId ?? "",
        channel: typeof details.channel === "string" ? details.channel : null,
        settledAt: typeof details.settledAt === "string" ? details.settledAt : null,
      });
    }
  }

  // Stable: entries of the same moment keep the order they were recorded in.
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** One order as the staff member may see it, or null (not theirs, or no such order); the view is audited. */
export async function viewPayment(db: Database, staff: PaymentViewer, orderId: string): Promise<PaymentDetail | null> {
  const found = await orderInScope(db, scopeOf(staff), orderId);
  if (!found) return null;
  const { order, bills } = found;
  const [receipt] = await db.select({ number: schema.receipts.number }).from(schema.receipts).where(eq(schema.receipts.orderId, order.id));
  const memberName = await memberNameOf(db, order.memberId);
  const detail: PaymentDetail = {
    id: order.id,
    reference: order.reference,
    state: order.state,
    totalAmount: order.totalAmount,
    paymentTool: order.paymentTool,
    provider: order.provider,
    providerTransactionId: order.providerTransactionId,
    entryChannel: order.entryChannel,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    expiresAt: order.expiresAt.toISOString(),
    paidAt: order.paidAt?.toISOString() ?? null,
    refundedAt: order.refundedAt?.toISOString() ?? null,
    receiptNumber: receipt?.number ?? null,
    memberNameMasked: memberName === null ? null : maskPersonName(memberName),
    agencyCode: found.agencyCode,
    mayReveal: allows(staff.roles, "personal_data.reveal", found.agencyCode),
    otherBills: found.otherBills,
    bills: bills.map((bill) => ({
      id: bill.billId,
      billTypeNameZh: bill.billTypeNameZh,
      billTypeNameEn: bill.billTypeNameEn,
      writeOffNumber: bill.writeOffNumber,
      amount: bill.amount,
      status: bill.status,
      payerNameMasked: maskPersonName(bill.payerName),
    })),
    timeline: await timelineOf(db, found),
  };
  await auditStaffAct(staff, {
    action: "staff.payment_viewed",
    targetType: "payment_order",
    targetId: order.id,
    actingFor: actingForIn(staff.roles, "payments.view", found.agencyCode ?? found.bills[0]!.agencyCode),
    details: { reference: order.reference },
  });
  return detail;
}

async function memberNameOf(db: Database, memberId: string | null): Promise<string | null> {
  if (!memberId) return null;
  const [member] = await db.select({ name: schema.members.displayName }).from(schema.members).where(eq(schema.members.id, memberId));
  return member?.name ?? null;
}

// ---------------------------------------------------------------------------
// Revealing the names

const PAYMENT_REVEAL_FIELDS = ["payerName", "memberName"] as const;

export interface RevealedPaymentNames {
  payerNames: Record<string, string>;
  memberName: string | null;
}

/** Whether the staff member may reveal this order's names, and as whose proxy; null when the order is not theirs to see. */
export async function paymentRevealTarget(
  db: Database,
  staff: PaymentViewer,
  orderId: string,
): Promise<{ target: RevealTarget; mayReveal: boolean; actingFor: string | null } | null> {
  const found = await orderInScope(db, scopeOf(staff), orderId);
  if (!found) return null;
  return {
    target: { type: "payment_order", id: found.order.id, agencyCode: found.agencyCode, fields: PAYMENT_REVEAL_FIELDS },
    mayReveal: allows(staff.roles, "personal_data.reveal", found.agencyCode),
    actingFor: actingForIn(staff.roles, "personal_data.reveal", found.agencyCode),
  };
}

/** The names in clear, for the one answer that follows a confirmed reveal. */
export async function revealedPaymentNames(db: Database, staff: PaymentViewer, orderId: string): Promise<RevealedPaymentNames | null> {
  const found = await orderInScope(db, scopeOf(staff), orderId);
  if (!found) return null;
  return {
    payerNames: Object.fromEntries(found.bills.map((bill) => [bill.billId, bill.payerName])),
    memberName: await memberNameOf(db, found.order.memberId),
  };
}

export type PaymentRevealAnswer =
  { kind: "not_found" } | { kind: "forbidden" } | { kind: "answered"; state: RevealState; names: RevealedPaymentNames | null };

/** The detail page's reveal: reason, then passkey; the names only once the signature is checked. */
export async function answerPaymentReveal(
  db: Database,
  staff: StaffContext,
  orderId: string,
  form: FormData,
): Promise<PaymentRevealAnswer> {
  const reveal = await paymentRevealTarget(db, staff, orderId);
  if (!reveal) return { kind: "not_found" };
  if (!reveal.mayReveal) return { kind: "forbidden" };
  const state = await answerRevealIntent(staff, reveal.target, form, reveal.actingFor);
  return { kind: "answered", state, names: state.stage === "revealed" ? await revealedPaymentNames(db, staff, orderId) : null };
}
