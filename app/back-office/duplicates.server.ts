import { and, count, desc, eq, inArray } from "drizzle-orm";
import { REFUND_CASE_STATES, type RefundCaseReason, type RefundCaseState } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import type { RefundState } from "~/domain/refund";
import { agenciesFor, allows } from "~/domain/staff";
import { schema, type Database } from "~/base/db.server";
import { pageCount, pageNumber, type StaffActor } from "./listing.server";
import { refundsOfCases } from "./refunds.server";
import { auditStaffAct } from "./staff-request.server";

/**
 * Duplicate payments (重複繳費): the refund cases the payments opened when
 * money came in for a bill no longer owed (refund-cases.server.ts). Each is
 * shown with both payments side by side: the portal's order that is to be
 * refunded, and the other payment (at the bill's source, a store, a bank or
 * a counter, or another order here). Scoped by the agency of the bill's type.
 * An open case is settled by refunding the portal's payment: its one action
 * starts the refund request (refunds.server.ts), which links the case.
 */

const DUPLICATES_PAGE_SIZE = 20;

export interface DuplicateFilters {
  state: RefundCaseState | null;
  page: number;
}

export function parseDuplicateFilters(params: URLSearchParams): DuplicateFilters {
  const state = params.get("state");
  return {
    state: (REFUND_CASE_STATES as readonly (string | null)[]).includes(state) ? (state as RefundCaseState) : null,
    page: pageNumber(params),
  };
}

export interface PortalPayment {
  orderId: string;
  reference: string;
  paidAt: Date | null;
  paymentTool: PaymentTool;
  /** What the order charged for this bill. */
  amount: number;
}

/** The payment the portal's order duplicated. */
type OtherPayment =
  | { kind: "portal"; order: PortalPayment }
  /** Reported by the bill's source, or recorded on the bill: its channel (a PAYMENT_CHANNELS value or the source's word) and time. */
  | { kind: "elsewhere"; source: string | null; channel: string | null; at: string | null }
  | { kind: "unknown" };

export interface DuplicateCase {
  id: string;
  billId: string;
  billTypeCode: string;
  billTypeNameZh: string;
  billTypeNameEn: string;
  agencyCode: string;
  writeOffNumber: string;
  amount: number;
  reason: RefundCaseReason;
  state: RefundCaseState;
  createdAt: Date;
  closedAt: Date | null;
  portalPayment: PortalPayment;
  otherPayment: OtherPayment;
  /** The refund settling the case (the latest, when one was rejected or went stale and another followed). */
  refund: { id: string; number: string; state: RefundState } | null;
  /** Whether the staff member may start its refund now: the case open, no refund of it under way, refunds.request for the agency. */
  mayRefund: boolean;
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);

function paymentElsewhere(reason: RefundCaseReason, details: Record<string, unknown>, billSource: string | null): OtherPayment {
  if (reason === "source_reports_other_payment")
    return { kind: "elsewhere", source: text(details.source) ?? billSource, channel: text(details.channel), at: text(details.settledAt) };
  if (reason === "bill_settled_elsewhere")
    return { kind: "elsewhere", source: billSource, channel: text(details.paidChannel), at: text(details.paidAt) };
  return { kind: "unknown" };
}

/** One page of the cases of the agencies in reach, newest first; the search is audited. */
export async function listDuplicatePayments(
  db: Database,
  staff: StaffActor,
  filters: DuplicateFilters,
): Promise<{ cases: DuplicateCase[]; total: number; page: number; pageCount: number }> {
  const reach = agenciesFor(staff.roles, "duplicates.view");
  let cases: DuplicateCase[] = [];
  let total = 0;
  if (reach === "all" || reach.length > 0) {
    const where = and(
      reach === "all" ? undefined : inArray(schema.billTypes.agencyCode, reach),
      filters.state ? eq(schema.refundCases.state, filters.state) : undefined,
    );
    const rows = await db
      .select({
        refundCase: schema.refundCases,
        billTypeCode: schema.billTypes.code,
        billTypeNameZh: schema.billTypes.nameZh,
        billTypeNameEn: schema.billTypes.nameEn,
        agencyCode: schema.billTypes.agencyCode,
        writeOffNumber: schema.bills.writeOffNumber,
        billSource: schema.bills.source,
        order: {
          reference: schema.paymentOrders.reference,
          paidAt: schema.paymentOrders.paidAt,
          paymentTool: schema.paymentOrders.paymentTool,
        },
        orderAmount: schema.paymentOrderItems.amount,
      })
      .from(schema.refundCases)
      .innerJoin(schema.bills, eq(schema.refundCases.billId, schema.bills.id))
      .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
      .innerJoin(schema.paymentOrders, eq(schema.refundCases.orderId, schema.paymentOrders.id))
      .innerJoin(
        schema.paymentOrderItems,
        and(
          eq(schema.paymentOrderItems.orderId, schema.refundCases.orderId),
          eq(schema.paymentOrderItems.billId, schema.refundCases.billId),
        ),
      )
      .where(where)
      .orderBy(desc(schema.refundCases.createdAt), desc(schema.refundCases.id))
      .limit(DUPLICATES_PAGE_SIZE)
      .offset((filters.page - 1) * DUPLICATES_PAGE_SIZE);
    total = (
      await db
        .select({ n: count() })
        .from(schema.refundCases)
        .innerJoin(schema.bills, eq(schema.refundCases.billId, schema.bills.id))
        .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
        .where(where)
    )[0]!.n;
    const others = await otherPortalPayments(
      db,
      rows.filter((row) => row.refundCase.reason === "bill_paid_by_another_order").map((row) => row.refundCase),
    );
    const refunds = await refundsOfCases(
      db,
      rows.map((row) => row.refundCase.id),
    );
    cases = rows.map((row) => {
      const c = row.refundCase;
      const other = others.get(c.id);
      const refund = refunds.get(c.id);
      return {
        id: c.id,
        billId: c.billId,
        billTypeCode: row.billTypeCode,
        billTypeNameZh: row.billTypeNameZh,
        billTypeNameEn: row.billTypeNameEn,
        agencyCode: row.agencyCode,
        writeOffNumber: row.writeOffNumber,
        amount: c.amount,
        reason: c.reason,
        state: c.state,
        createdAt: c.createdAt,
        closedAt: c.closedAt,
        portalPayment: { orderId: c.orderId, ...row.order, amount: row.orderAmount },
        otherPayment: other
          ? { kind: "portal", order: other }
          : paymentElsewhere(c.reason, (c.details ?? {}) as Record<string, unknown>, row.billSource),
        refund: refund ? { id: refund.id, number: refund.number, state: refund.state } : null,
        mayRefund: c.state === "open" && !refund?.open && allows(staff.roles, "refunds.request", row.agencyCode),
      };
    });
  }
  await auditStaffAct(
    staff,
    { action: "duplicates.searched", targetType: "refund_case", details: { state: filters.state, page: filters.page, results: total } },
    db,
  );
  return { cases, total, page: filters.page, pageCount: pageCount(total, DUPLICATES_PAGE_SIZE) };
}

/** For bills paid twice here: the other order that paid the bill (the first paid, when several did). */
async function otherPortalPayments(
  db: Database,
  cases: ReadonlyArray<{ id: string; orderId: string; billId: string }>,
): Promise<Map<string, PortalPayment>> {
  const found = new Map<string, PortalPayment>();
  if (cases.length === 0) return found;
  const rows = await db
    .select({
      billId: schema.paymentOrderItems.billId,
      orderId: schema.paymentOrders.id,
      reference: schema.paymentOrders.reference,
      paidAt: schema.paymentOrders.paidAt,
      paymentTool: schema.paymentOrders.paymentTool,
      amount: schema.paymentOrderItems.amount,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .where(
      and(
        inArray(
          schema.paymentOrderItems.billId,
          cases.map((c) => c.billId),
        ),
        inArray(schema.paymentOrders.state, ["paid", "refunded"]),
      ),
    )
    .orderBy(schema.paymentOrders.paidAt);
  for (const c of cases) {
    const other = rows.find((row) => row.billId === c.billId && row.orderId !== c.orderId);
    if (other)
      found.set(c.id, {
        orderId: other.orderId,
        reference: other.reference,
        paidAt: other.paidAt,
        paymentTool: other.paymentTool,
        amount: other.amount,
      });
  }
  return found;
}
