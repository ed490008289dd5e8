import { randomBytes } from "node:crypto";
import { and, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { taipeiDate } from "~/domain/dates";
import type { BillSourceId } from "~/domain/member";
import {
  EXPIRY_GRACE_SECONDS,
  FINAL_CHECK_AFTER_SECONDS,
  MAX_BILLS_PER_ORDER,
  UNSTARTED_HOLD_SECONDS,
  canTransition,
  holdEndsAt,
  isSettled,
  recoveryBackoffMinutes,
  releasesBills,
  type PaymentEventSource,
  type PaymentOrderState,
  type RefundCaseReason,
  type WriteOffNoticeKind,
} from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { checkBillsAtSources, type SourcedBill } from "~/members/pending-bills.server";
import { claimIds, schema, type Database } from "~/server/db.server";
import type { Env } from "~/server/env.server";
import { ProviderUnreachable, toolRoutes, type OrderForProvider, type PaymentProviderAdapter, type ProviderAnswer, type ProviderCallbacks, type Providers } from "./providers.server";
import { openRefundCase } from "./refund-cases.server";

/**
 * Payment orders (繳費訂單): creating them, starting them at a provider, and
 * applying what providers say. The rules, after GOV.UK Pay:
 * - the order row is written before any provider is called;
 * - every change of state goes through `applyTransition`, under a row lock,
 *   recorded as an event with its cause and the provider's payload, and each
 *   state is entered at most once (also a database constraint);
 * - the paid transition marks the bills paid, issues the receipt and writes
 *   the write-off notices in the same transaction: all or nothing.
 */

export type PaymentOrder = typeof schema.paymentOrders.$inferSelect;

export interface PaymentContext {
  db: Database;
  env: Env;
  providers: Providers;
  logger: Logger;
}

// Crockford base32: no I, L, O, U, so references read out on the phone unambiguously.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const randomCode = (length: number) => [...randomBytes(length)].map((byte) => ALPHABET[byte % 32]).join("");

/** Merchant order number sent to providers: "P" + YYMMDD + 11 characters (ECPay allows 20). */
function newOrderReference(now: Date): string {
  return `P${taipeiDate(now).slice(2).replaceAll("-", "")}${randomCode(11)}`;
}

function newReceiptNumber(now: Date): string {
  return `R${taipeiDate(now).replaceAll("-", "")}-${randomCode(6)}`;
}

/** The driver's error code and constraint, whichever driver raised it. */
function databaseError(error: unknown): { code?: string; constraint?: string } {
  const e = error as { code?: string; constraint?: string; constraint_name?: string; cause?: { code?: string; constraint?: string; constraint_name?: string } };
  const source = e.cause?.code ? e.cause : e;
  return { code: source.code, constraint: source.constraint ?? source.constraint_name };
}

// ---- Creating an order ------------------------------------------------------------

export type BillUnavailableReason =
  | "paid"
  | "cancelled"
  | "in_progress"
  | "not_found"
  /** Paid at its source's counter, a bank or a store: `channel` and `paidAt` say where and when. */
  | "paid_elsewhere"
  /** Its source could not be asked just now: no money is taken for it until it can. */
  | "source_unavailable"
  /** Its source no longer lists it as owed, and says no more. */
  | "source_unconfirmed";

export interface UnavailableBill {
  id: string;
  reason: BillUnavailableReason;
  /** in_progress: until when another payment holds the bill, and which (the payer's own browser may resume it). */
  heldUntil?: Date;
  heldBy?: string;
  /** paid_elsewhere */
  channel?: string;
  paidAt?: Date;
}

export type CreateOrderResult =
  | { kind: "created" | "existing"; order: PaymentOrder }
  | { kind: "bills_unavailable"; bills: UnavailableBill[] }
  | { kind: "tool_unavailable" }
  | { kind: "too_many_bills" }
  | { kind: "idempotency_conflict" };

export interface CreateOrderInput {
  billIds: readonly string[];
  tool: PaymentTool;
  /** The same key twice returns the first order: double clicks and reloads create nothing new. */
  idempotencyKey: string;
  memberId?: string | null;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

async function orderByKey(db: Database, key: string) {
  const [order] = await db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.idempotencyKey, key));
  if (!order) return null;
  const items = await db.select({ billId: schema.paymentOrderItems.billId }).from(schema.paymentOrderItems).where(eq(schema.paymentOrderItems.orderId, order.id));
  return { order, billIds: items.map((item) => item.billId) };
}

/** Open orders holding any of these bills. */
function holdsOn(db: Database, billIds: readonly string[]) {
  return db
    .select({ billId: schema.paymentOrderItems.billId, order: schema.paymentOrders })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .where(and(inArray(schema.paymentOrderItems.billId, billIds), isNull(schema.paymentOrderItems.releasedAt), ne(schema.paymentOrders.state, "paid")));
}

export interface OpenOrderHold {
  billId: string;
  reference: string;
  paymentTool: PaymentTool;
  createdAt: Date;
  heldUntil: Date;
}

/** The open payments holding these bills (read only: for the payer's own browser to resume or give up). */
export async function openOrdersHolding(db: Database, billIds: readonly string[]): Promise<OpenOrderHold[]> {
  if (billIds.length === 0) return [];
  const holds = await holdsOn(db, billIds);
  return holds
    .filter((hold) => !isSettled(hold.order.state as PaymentOrderState))
    .map((hold) => ({
      billId: hold.billId,
      reference: hold.order.reference,
      paymentTool: hold.order.paymentTool as PaymentTool,
      createdAt: hold.order.createdAt,
      heldUntil: hold.order.heldUntil,
    }));
}

/**
 * The holds on these bills that are still in force, once those that have
 * ended are let go: their provider is asked first, so a payment that went
 * through is recorded, and one the provider could still charge by itself is
 * never dropped before its window ends.
 */
async function holdsInForce(ctx: PaymentContext, billIds: readonly string[], now: Date): Promise<UnavailableBill[]> {
  const holds = await holdsOn(ctx.db, billIds);
  const inForce: UnavailableBill[] = [];
  const released = new Map<string, PaymentOrder>();
  for (const hold of holds) {
    const order = released.get(hold.order.id) ?? (await releaseEndedHold(ctx, hold.order, now));
    released.set(hold.order.id, order);
    if (!releasesBills(order.state as PaymentOrderState) && order.state !== "paid") {
      inForce.push({ id: hold.billId, reason: "in_progress", heldUntil: order.heldUntil, heldBy: order.reference });
    } else if (order.state === "paid") {
      inForce.push({ id: hold.billId, reason: "paid" });
    }
  }
  return inForce;
}

/** Bills that come from an outside source are confirmed there, fresh, before any money is taken for them. */
async function unconfirmedAtSources(ctx: PaymentContext, bills: Array<SourcedBill | { id: string; source: null }>): Promise<UnavailableBill[]> {
  const sourced = bills.filter((bill): bill is SourcedBill => bill.source !== null);
  if (sourced.length === 0) return [];
  const verdicts = await checkBillsAtSources(ctx, sourced);
  return sourced.flatMap((bill): UnavailableBill[] => {
    const verdict = verdicts.get(bill.id);
    switch (verdict?.kind) {
      case "payable":
        return [];
      case "paid_elsewhere":
        return [{ id: bill.id, reason: "paid_elsewhere", channel: verdict.channel, paidAt: verdict.paidAt }];
      case "cancelled":
        return [{ id: bill.id, reason: "cancelled" }];
      case "not_listed":
        return [{ id: bill.id, reason: "source_unconfirmed" }];
      default:
        return [{ id: bill.id, reason: "source_unavailable" }];
    }
  });
}

export async function createPaymentOrder(ctx: PaymentContext, input: CreateOrderInput, now = new Date()): Promise<CreateOrderResult> {
  const billIds = [...new Set(input.billIds)];
  const replay = async (): Promise<CreateOrderResult | null> => {
    const previous = await orderByKey(ctx.db, input.idempotencyKey);
    if (!previous) return null;
    return previous.order.paymentTool === input.tool && sameSet(previous.billIds, billIds)
      ? { kind: "existing", order: previous.order }
      : { kind: "idempotency_conflict" };
  };
  const earlier = await replay();
  if (earlier) return earlier;

  if (billIds.length > MAX_BILLS_PER_ORDER) return { kind: "too_many_bills" };
  const route = toolRoutes(ctx.env)[input.tool];
  if (route.status !== "live") return { kind: "tool_unavailable" };

  const rows = billIds.length
    ? await ctx.db
        .select({
          id: schema.bills.id,
          status: schema.bills.status,
          amount: schema.bills.amount,
          billTypeCode: schema.bills.billTypeCode,
          writeOffNumber: schema.bills.writeOffNumber,
          subject: schema.bills.subject,
          source: schema.bills.source,
          paymentTools: schema.billTypes.paymentTools,
        })
        .from(schema.bills)
        .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
        .where(inArray(schema.bills.id, billIds))
    : [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  const unavailable = billIds.flatMap((id): UnavailableBill[] => {
    const bill = byId.get(id);
    if (!bill) return [{ id, reason: "not_found" }];
    if (bill.status === "paid" || bill.status === "written_off") return [{ id, reason: "paid" }];
    if (bill.status === "cancelled") return [{ id, reason: "cancelled" }];
    return [];
  });
  if (billIds.length === 0 || unavailable.length > 0) return { kind: "bills_unavailable", bills: unavailable };
  if (rows.some((bill) => !bill.paymentTools.includes(input.tool))) return { kind: "tool_unavailable" };

  const held = await holdsInForce(ctx, billIds, now);
  if (held.length > 0) return { kind: "bills_unavailable", bills: held };
  const unconfirmed = await unconfirmedAtSources(
    ctx,
    rows.map((row) => (row.source ? { ...row, source: row.source as BillSourceId } : { id: row.id, source: null })),
  );
  if (unconfirmed.length > 0) return { kind: "bills_unavailable", bills: unconfirmed };

  // The server computes every amount, from the bills themselves.
  const totalAmount = rows.reduce((sum, bill) => sum + bill.amount, 0);
  try {
    const order = await ctx.db.transaction(async (tx) => {
      const expiresAt = new Date(now.getTime() + ctx.env.PAYMENT_WINDOW_MINUTES * 60_000);
      const [created] = await tx
        .insert(schema.paymentOrders)
        .values({
          reference: newOrderReference(now),
          idempotencyKey: input.idempotencyKey,
          memberId: input.memberId ?? null,
          paymentTool: input.tool,
          provider: route.provider,
          totalAmount,
          expiresAt,
          heldUntil: holdEndsAt({ createdAt: now, expiresAt }, "unstarted", false, now),
          // Never handed to a provider (a crash mid-request)? The recovery job asks, and frees the bills.
          nextCheckAt: new Date(now.getTime() + UNSTARTED_HOLD_SECONDS * 1000),
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await tx.insert(schema.paymentOrderItems).values(rows.map((bill) => ({ orderId: created!.id, billId: bill.id, amount: bill.amount })));
      await tx.insert(schema.paymentEvents).values({
        orderId: created!.id,
        kind: "transition",
        toState: "created",
        source: "payer",
        payload: { billIds, tool: input.tool, totalAmount },
        createdAt: now,
      });
      return created!;
    });
    ctx.logger.info({ order: order.reference, provider: order.provider, bills: billIds.length, totalAmount }, "payment order created");
    return { kind: "created", order };
  } catch (error) {
    const { code, constraint } = databaseError(error);
    if (code === "23505" && constraint === "payment_order_items_one_active_order_per_bill") {
      // Another order (another window, another payer) began paying one of these bills a moment ago.
      const busy = await holdsOn(ctx.db, billIds);
      return { kind: "bills_unavailable", bills: busy.map((row) => ({ id: row.billId, reason: "in_progress", heldUntil: row.order.heldUntil, heldBy: row.order.reference })) };
    }
    if (code === "23505" && constraint === "payment_orders_idempotency_key_unique") {
      // The same submission arrived twice at once: the other one won.
      const again = await replay();
      if (again) return again;
    }
    throw error;
  }
}

/**
 * Lets an order's bills go when its hold has ended: asks the provider, records
 * what it says (a payment that went through stays a payment), and ends an
 * order still waiting there only when nothing can be charged for it without
 * the portal's say, or its window has passed.
 */
async function releaseEndedHold(ctx: PaymentContext, order: PaymentOrder, now: Date): Promise<PaymentOrder> {
  if (order.heldUntil.getTime() > now.getTime() || isSettled(order.state as PaymentOrderState)) return order;
  const adapter = adapterOf(ctx, order);
  let answer: ProviderAnswer;
  try {
    answer = await adapter.query(await orderForProvider(ctx.db, order));
  } catch (error) {
    if (!(error instanceof ProviderUnreachable)) throw error;
    // Money may be moving: the hold stays until the provider can be asked.
    return order;
  }
  if (answer.status !== "waiting") return (await applyProviderAnswer(ctx, order, answer, "system", now)).order;
  const windowOver = now.getTime() >= order.expiresAt.getTime();
  if (adapter.chargesByItself && !windowOver) return order;
  const to = windowOver ? "expired" : "cancelled";
  return (
    await applyTransition(
      ctx,
      order.id,
      to,
      { source: "system", payload: { reason: "hold ended: another payer took the bills over", answer: answer.payload }, ...finalCheck(adapter, order, now) },
      now,
    )
  ).order;
}

/** An order the portal ends itself at a provider that charges by itself is asked about once more, later. */
function finalCheck(adapter: PaymentProviderAdapter, order: PaymentOrder, now: Date): { nextCheckAt?: Date } {
  if (!adapter.chargesByItself) return {};
  return { nextCheckAt: new Date(Math.max(now.getTime(), order.expiresAt.getTime()) + FINAL_CHECK_AFTER_SECONDS * 1000) };
}

// ---- Transitions ---------------------------------------------------------------------

export interface TransitionDetails {
  source: PaymentEventSource;
  payload?: unknown;
  providerTransactionId?: string;
  providerPaymentUrl?: string;
  paidAt?: Date;
  heldUntil?: Date;
  /** When the recovery job should ask the provider next (by default: never, once settled). */
  nextCheckAt?: Date;
}

export interface TransitionResult {
  changed: boolean;
  order: PaymentOrder;
}

/**
 * Moves an order to `to`, once. A repeated or late answer that cannot change
 * the order any more is recorded and ignored; money reported for an order
 * already refunded is recorded and alerted, for the back office.
 */
export async function applyTransition(
  ctx: PaymentContext,
  orderId: string,
  to: PaymentOrderState,
  details: TransitionDetails,
  now = new Date(),
): Promise<TransitionResult> {
  const result = await ctx.db.transaction(async (tx) => {
    const [order] = await tx.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, orderId)).for("update");
    if (!order) throw new Error(`no payment order ${orderId}`);
    const from = order.state as PaymentOrderState;
    if (from === to || !canTransition(from, to)) {
      await tx.insert(schema.paymentEvents).values({
        orderId,
        kind: "provider_answer",
        source: details.source,
        payload: { ignored: from === to ? "already in this state" : `${from} cannot become ${to}`, answer: details.payload ?? null },
        createdAt: now,
      });
      return { changed: false, order, lateMoney: to === "paid" && from !== "paid", refundCases: 0 };
    }
    const settled = isSettled(to);
    const [updated] = await tx
      .update(schema.paymentOrders)
      .set({
        state: to,
        updatedAt: now,
        ...(details.providerTransactionId ? { providerTransactionId: details.providerTransactionId } : {}),
        ...(details.providerPaymentUrl ? { providerPaymentUrl: details.providerPaymentUrl } : {}),
        ...(details.heldUntil ? { heldUntil: details.heldUntil } : {}),
        ...(to === "paid" ? { paidAt: details.paidAt ?? now } : {}),
        ...(to === "refunded" ? { refundedAt: now } : {}),
        ...(settled ? { nextCheckAt: details.nextCheckAt ?? null } : details.nextCheckAt ? { nextCheckAt: details.nextCheckAt } : {}),
        // An unknown outcome is looked into soon, whatever back-off the order had reached.
        ...(to === "unknown" ? { nextCheckAt: new Date(now.getTime() + ctx.env.RECOVERY_AFTER_SECONDS * 1000), checkAttempts: 0 } : {}),
      })
      .where(eq(schema.paymentOrders.id, orderId))
      .returning();
    await tx.insert(schema.paymentEvents).values({
      orderId,
      kind: "transition",
      fromState: from,
      toState: to,
      source: details.source,
      payload: details.payload ?? {},
      createdAt: now,
    });
    const refundCases = to === "paid" ? await recordPayment(tx, updated!, from, now) : 0;
    if (to === "refunded") await recordRefund(tx, updated!, now);
    if (releasesBills(to)) {
      await tx
        .update(schema.paymentOrderItems)
        .set({ releasedAt: now })
        .where(and(eq(schema.paymentOrderItems.orderId, orderId), isNull(schema.paymentOrderItems.releasedAt)));
    }
    return { changed: true, order: updated!, lateMoney: false, refundCases };
  });
  if (result.changed) ctx.logger.info({ order: result.order.reference, to, source: details.source }, "payment order transition");
  if (result.refundCases > 0) {
    ctx.logger.warn(
      { alert: "refund_case_opened", order: result.order.reference, bills: result.refundCases, source: details.source },
      "money taken for bills no longer owed: recorded for a refund",
    );
  }
  if (result.lateMoney) {
    ctx.logger.error(
      { alert: "payment_after_order_ended", order: result.order.reference, state: result.order.state, source: details.source },
      "a provider reports money taken for an order that already ended: refund by hand",
    );
  }
  return { changed: result.changed, order: result.order };
}

/** An order's bills, with what agency notices and providers need of them. */
function orderBills(db: Database, orderId: string) {
  return db
    .select({
      billId: schema.bills.id,
      status: schema.bills.status,
      paidChannel: schema.bills.paidChannel,
      paidAt: schema.bills.paidAt,
      amount: schema.paymentOrderItems.amount,
      releasedAt: schema.paymentOrderItems.releasedAt,
      billTypeCode: schema.bills.billTypeCode,
      billTypeNameZh: schema.billTypes.nameZh,
      writeOffNumber: schema.bills.writeOffNumber,
      agencyCode: schema.billTypes.agencyCode,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .where(eq(schema.paymentOrderItems.orderId, orderId));
}

/** One notice per bill to its agency, in the outbox that write-off-notices.server.ts delivers. */
async function queueAgencyNotices(
  tx: Database,
  order: PaymentOrder,
  items: Awaited<ReturnType<typeof orderBills>>,
  kind: WriteOffNoticeKind,
  receiptNumber: string | null,
  details: Record<string, string>,
  now: Date,
): Promise<void> {
  if (items.length === 0) return;
  await tx
    .insert(schema.writeOffNotices)
    .values(
      items.map((item) => ({
        orderId: order.id,
        billId: item.billId,
        agencyCode: item.agencyCode,
        kind,
        nextAttemptAt: now,
        createdAt: now,
        payload: {
          type: kind,
          billType: item.billTypeCode,
          writeOffNumber: item.writeOffNumber,
          amount: item.amount,
          currency: "TWD",
          ...details,
          provider: order.provider,
          providerTransactionId: order.providerTransactionId,
          orderReference: order.reference,
          receiptNumber,
        },
      })),
    )
    .onConflictDoNothing();
}

/**
 * Inside the paid transition: the receipt for the money received, and for
 * each bill either its payment (the bill paid, its agency told) or, when the
 * bill was no longer owed, a refund case (and no write-off notice: the agency
 * has collected it already). A late payment for an order that had ended pays
 * a bill only if no other order has taken it meanwhile. Returns the number of
 * refund cases opened.
 */
async function recordPayment(tx: Database, order: PaymentOrder, from: PaymentOrderState, now: Date): Promise<number> {
  const items = await orderBills(tx, order.id);
  // The bills, locked: a source's settlement or another order's payment waits for this one.
  await tx.select({ id: schema.bills.id }).from(schema.bills).where(inArray(schema.bills.id, items.map((item) => item.billId))).for("update");
  const late = releasesBills(from);
  const heldElsewhere = late
    ? new Set((await holdsOn(tx, items.map((item) => item.billId))).filter((hold) => hold.order.id !== order.id).map((hold) => hold.billId))
    : new Set<string>();
  const refund = (item: (typeof items)[number]): RefundCaseReason | null => {
    if (item.status === "unpaid" && !heldElsewhere.has(item.billId)) return null;
    return item.status !== "unpaid" && item.paidChannel !== "portal" ? "bill_settled_elsewhere" : "bill_paid_by_another_order";
  };
  const paying = items.filter((item) => refund(item) === null);
  const paidAt = order.paidAt ?? now;
  if (paying.length > 0) {
    await tx
      .update(schema.bills)
      .set({ status: "paid", paidAt, paidChannel: "portal", updatedAt: now })
      .where(and(inArray(schema.bills.id, paying.map((item) => item.billId)), eq(schema.bills.status, "unpaid")));
    // A late payment holds its bills again, as any paid order does.
    if (late) {
      await tx
        .update(schema.paymentOrderItems)
        .set({ releasedAt: null })
        .where(and(eq(schema.paymentOrderItems.orderId, order.id), inArray(schema.paymentOrderItems.billId, paying.map((item) => item.billId))));
    }
  }
  let opened = 0;
  for (const item of items) {
    const reason = refund(item);
    if (!reason) continue;
    const details = { billStatus: item.status, paidChannel: item.paidChannel, paidAt: item.paidAt?.toISOString() ?? null, lateForOrder: late ? from : null };
    if (await openRefundCase(tx, { orderId: order.id, billId: item.billId, amount: item.amount, reason, details }, now)) opened += 1;
  }
  const [receipt] = await tx.insert(schema.receipts).values({ number: newReceiptNumber(now), orderId: order.id, issuedAt: now }).returning();
  await queueAgencyNotices(tx, order, paying, "bill.paid", receipt!.number, { paidAt: paidAt.toISOString(), paymentTool: order.paymentTool }, now);
  return opened;
}

/**
 * Inside the refunded transition: the money went back, so the bills this order
 * paid are owed again (unless also paid through another channel, which keeps
 * that payment), and each agency is told to reverse its write-off. A reversal
 * is delivered only after the paid notice it reverses (write-off-notices.server.ts).
 */
async function recordRefund(tx: Database, order: PaymentOrder, now: Date): Promise<void> {
  // Only the bills this order paid: one it took money for while the bill was settled otherwise is a refund case, not a write-off.
  const cases = new Set((await tx.select({ billId: schema.refundCases.billId }).from(schema.refundCases).where(eq(schema.refundCases.orderId, order.id))).map((row) => row.billId));
  const items = (await orderBills(tx, order.id)).filter((item) => !cases.has(item.billId));
  if (items.length === 0) return;
  await tx
    .update(schema.bills)
    .set({ status: "unpaid", paidAt: null, paidChannel: null, updatedAt: now })
    .where(
      and(
        inArray(schema.bills.id, items.map((item) => item.billId)),
        eq(schema.bills.paidChannel, "portal"),
        inArray(schema.bills.status, ["paid", "written_off"]),
      ),
    );
  const [receipt] = await tx.select({ number: schema.receipts.number }).from(schema.receipts).where(eq(schema.receipts.orderId, order.id));
  await queueAgencyNotices(tx, order, items, "bill.payment_refunded", receipt?.number ?? null, { refundedAt: now.toISOString() }, now);
}

// ---- Talking to providers -------------------------------------------------------------

async function orderForProvider(db: Database, order: PaymentOrder): Promise<OrderForProvider> {
  const items = await orderBills(db, order.id);
  return {
    reference: order.reference,
    totalAmount: order.totalAmount,
    createdAt: order.createdAt,
    providerTransactionId: order.providerTransactionId,
    items: items.map((item) => ({ name: `${item.billTypeNameZh} ${item.writeOffNumber}`, amount: item.amount })),
  };
}

function adapterOf(ctx: PaymentContext, order: PaymentOrder) {
  const adapter = ctx.providers[order.provider as keyof Providers];
  if (!adapter) throw new Error(`provider ${order.provider} is not configured`);
  return adapter;
}

export type StartResult =
  | { kind: "redirect"; url: string }
  | { kind: "form"; action: string; fields: Record<string, string> }
  | { kind: "failed" | "unknown" | "settled"; order: PaymentOrder };

/**
 * Sends the payer to the provider. Calling it again for an order waiting at
 * a provider with a payment page (LINE Pay) sends them back there; a form
 * post (ECPay) cannot be repeated, since ECPay refuses the same order number.
 */
export async function startPayment(ctx: PaymentContext, order: PaymentOrder, callbacks: ProviderCallbacks, now = new Date()): Promise<StartResult> {
  const adapter = adapterOf(ctx, order);
  if (order.state === "pending" && order.providerPaymentUrl) return { kind: "redirect", url: order.providerPaymentUrl };
  if (order.state !== "created") return { kind: "settled", order };
  const atProvider = {
    heldUntil: holdEndsAt(order, "at_provider", adapter.chargesByItself, now),
    nextCheckAt: new Date(now.getTime() + ctx.env.RECOVERY_AFTER_SECONDS * 1000),
  };

  let outcome;
  try {
    outcome = await adapter.start(await orderForProvider(ctx.db, order), callbacks);
  } catch (error) {
    if (!(error instanceof ProviderUnreachable)) throw error;
    // The request may or may not have reached the provider: only a status query can tell.
    const moved = await applyTransition(ctx, order.id, "unknown", { source: "system", payload: { error: error.message } }, now);
    return { kind: "unknown", order: moved.order };
  }
  if (outcome.kind === "refused") {
    const moved = await applyTransition(ctx, order.id, "failed", { source: "system", payload: outcome.payload }, now);
    return { kind: "failed", order: moved.order };
  }
  if (outcome.kind === "redirect") {
    await applyTransition(
      ctx,
      order.id,
      "pending",
      { source: "system", payload: outcome.payload, providerTransactionId: outcome.transactionId, providerPaymentUrl: outcome.url, ...atProvider },
      now,
    );
    return { kind: "redirect", url: outcome.url };
  }
  await applyTransition(ctx, order.id, "pending", { source: "system", payload: outcome.payload, ...atProvider }, now);
  return { kind: "form", action: outcome.action, fields: outcome.fields };
}

export type AnswerResult = { accepted: true; order: PaymentOrder } | { accepted: false; reason: "amount_mismatch"; order: PaymentOrder };

/** Applies what a provider said about an order (return, notification, status query). */
async function applyProviderAnswer(
  ctx: PaymentContext,
  order: PaymentOrder,
  answer: ProviderAnswer,
  source: PaymentEventSource,
  now = new Date(),
): Promise<AnswerResult> {
  switch (answer.status) {
    case "paid": {
      if (answer.amount !== order.totalAmount) {
        await ctx.db.insert(schema.paymentEvents).values({
          orderId: order.id,
          kind: "notification_rejected",
          source,
          payload: { reason: "amount differs from the order", expected: order.totalAmount, answer: answer.payload },
          createdAt: now,
        });
        ctx.logger.error(
          { alert: "payment_amount_mismatch", order: order.reference, expected: order.totalAmount, reported: answer.amount, source },
          "provider reports a different amount: refused",
        );
        return { accepted: false, reason: "amount_mismatch", order };
      }
      const moved = await applyTransition(ctx, order.id, "paid", { source, payload: answer.payload, providerTransactionId: answer.transactionId, paidAt: answer.paidAt }, now);
      return { accepted: true, order: moved.order };
    }
    case "waiting":
      await ctx.db.insert(schema.paymentEvents).values({ orderId: order.id, kind: "provider_answer", source, payload: { status: "waiting", answer: answer.payload }, createdAt: now });
      return { accepted: true, order };
    case "simulated":
      // Someone pressed "simulate payment" at the provider: no money. Acknowledged so it is not resent, and alerted.
      await ctx.db.insert(schema.paymentEvents).values({ orderId: order.id, kind: "simulated_payment", source, payload: { answer: answer.payload }, createdAt: now });
      ctx.logger.error(
        { alert: "simulated_payment_notification", order: order.reference, provider: order.provider, source },
        "a provider sent a simulated (test) payment notice: recorded, nothing changed",
      );
      return { accepted: true, order };
    case "not_found": {
      // The provider never saw this order: nothing can have been paid.
      const moved = await applyTransition(ctx, order.id, "failed", { source, payload: { status: "not_found", answer: answer.payload } }, now);
      return { accepted: true, order: moved.order };
    }
    default: {
      const moved = await applyTransition(ctx, order.id, answer.status, { source, payload: answer.payload }, now);
      return { accepted: true, order: moved.order };
    }
  }
}

export async function findOrderByReference(db: Database, reference: string): Promise<PaymentOrder | null> {
  const [order] = await db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.reference, reference));
  return order ?? null;
}

/**
 * LINE Pay sends the payer back to the confirm URL. Anyone can open that
 * address (a link preview, a prefetch, another browser), so it proves
 * nothing: LINE Pay is asked how the payment stands, and the payment is
 * captured only when LINE Pay says the payer authorized it. A payment still
 * waiting for the payer stays open; one the portal has ended is never
 * captured (its authorization lapses, nothing is charged).
 */
export async function handleLinePayReturn(
  ctx: PaymentContext,
  query: { transactionId: string; orderId: string },
  now = new Date(),
): Promise<PaymentOrder | null> {
  const order = await findOrderByReference(ctx.db, query.orderId);
  if (!order || !ctx.providers.line_pay || order.provider !== "line_pay" || order.providerTransactionId !== query.transactionId) return null;
  if (isSettled(order.state as PaymentOrderState)) return order;
  try {
    const answer = await adapterOf(ctx, order).query(await orderForProvider(ctx.db, order));
    return (await applyProviderAnswer(ctx, order, answer, "provider_return", now)).order;
  } catch (error) {
    if (!(error instanceof ProviderUnreachable)) throw error;
    // Confirmed or not? The recovery job will ask; tell the payer we are checking.
    return (await applyTransition(ctx, order.id, "unknown", { source: "provider_return", payload: { error: error.message } }, now)).order;
  }
}

/** Asks the provider about an unsettled order and applies the answer (the payer's "cancel" too). */
export async function refreshFromProvider(ctx: PaymentContext, order: PaymentOrder, source: PaymentEventSource, now = new Date()): Promise<PaymentOrder> {
  if (isSettled(order.state as PaymentOrderState)) return order;
  try {
    const answer = await adapterOf(ctx, order).query(await orderForProvider(ctx.db, order));
    return (await applyProviderAnswer(ctx, order, answer, source, now)).order;
  } catch (error) {
    if (error instanceof ProviderUnreachable) return order;
    throw error;
  }
}

/**
 * The payer gives a payment up: the result page's button, or coming back
 * from ECPay's page without paying (返回商店). The provider is asked first
 * (the payment may have gone through after all); an order still open is then
 * cancelled and its bills freed at once. At a provider that charges by
 * itself the order is asked about once more after its window, and a payment
 * made after all is recorded, never lost.
 */
export async function abandonPayment(ctx: PaymentContext, order: PaymentOrder, reason: "gave_up" | "came_back_unpaid", now = new Date()): Promise<PaymentOrder> {
  const after = await refreshFromProvider(ctx, order, "payer", now);
  // "unknown": the provider may be taking the money right now; only its answer can end the order.
  if (after.state !== "created" && after.state !== "pending") return after;
  const adapter = adapterOf(ctx, after);
  return (await applyTransition(ctx, after.id, "cancelled", { source: "payer", payload: { reason }, ...finalCheck(adapter, after, now) }, now)).order;
}

/** ECPay's server notification (ReturnURL) and the payer's return (OrderResultURL). */
export async function handleEcpayCallback(
  ctx: PaymentContext,
  params: Record<string, string>,
  source: "provider_notification" | "provider_return",
  now = new Date(),
): Promise<{ outcome: "accepted" | "rejected_signature" | "unknown_order" | "amount_mismatch"; order: PaymentOrder | null }> {
  const adapter = ctx.providers.ecpay;
  const order = params.MerchantTradeNo ? await findOrderByReference(ctx.db, params.MerchantTradeNo) : null;
  const verified = adapter?.verifyCallback(params) ?? null;
  if (!verified) {
    if (order) {
      await ctx.db.insert(schema.paymentEvents).values({
        orderId: order.id,
        kind: "notification_rejected",
        source,
        payload: { reason: "CheckMacValue does not match", received: params },
        createdAt: now,
      });
    }
    ctx.logger.error({ alert: "forged_payment_notification", order: params.MerchantTradeNo, source }, "payment notification with a bad signature: refused");
    return { outcome: "rejected_signature", order };
  }
  if (!order || order.provider !== "ecpay") {
    ctx.logger.error({ alert: "notification_for_unknown_order", order: verified.merchantTradeNo }, "signed notification for an order we do not have");
    return { outcome: "unknown_order", order: null };
  }
  const applied = await applyProviderAnswer(ctx, order, verified.answer, source, now);
  return { outcome: applied.accepted ? "accepted" : "amount_mismatch", order: applied.order };
}

// ---- Recovery --------------------------------------------------------------------------

/**
 * The recovery job: asks providers about orders still created, pending or
 * unknown some minutes after they began, with back-off, and moves them only on
 * a definite answer. Expiry asks the provider first. Orders the portal ended
 * itself at a provider that charges by itself get one final question after
 * their window. Several instances may run it at once: orders are claimed
 * with FOR UPDATE SKIP LOCKED and leased.
 */
export async function recoverPayments(ctx: PaymentContext, now = new Date(), limit = 25): Promise<{ checked: number; settled: number }> {
  const lease = new Date(now.getTime() + 2 * 60_000);
  const ids = await claimIds(
    ctx.db,
    sql`
    update payment_orders set next_check_at = ${lease.toISOString()}, check_attempts = check_attempts + 1
    where id in (
      select id from payment_orders
      where state in ('created', 'pending', 'unknown', 'failed', 'cancelled', 'expired') and next_check_at <= ${now.toISOString()}
      order by next_check_at
      limit ${limit}
      for update skip locked
    )
    returning id`,
  );
  const orders = ids.length > 0 ? await ctx.db.select().from(schema.paymentOrders).where(inArray(schema.paymentOrders.id, ids)) : [];
  let settled = 0;
  for (const order of orders) {
    const ended = isSettled(order.state as PaymentOrderState);
    let after = order;
    try {
      const adapter = adapterOf(ctx, order);
      const answer = await adapter.query(await orderForProvider(ctx.db, order));
      if (ended && answer.status !== "paid") {
        await ctx.db.insert(schema.paymentEvents).values({ orderId: order.id, kind: "provider_answer", source: "recovery_job", payload: { finalCheck: answer.status, answer: answer.payload }, createdAt: now });
      } else if (answer.status === "waiting" && now.getTime() > order.expiresAt.getTime() + EXPIRY_GRACE_SECONDS * 1000) {
        after = (
          await applyTransition(
            ctx,
            order.id,
            "expired",
            { source: "recovery_job", payload: { status: "waiting past expiry", answer: answer.payload }, ...finalCheck(adapter, order, now) },
            now,
          )
        ).order;
      } else {
        after = (await applyProviderAnswer(ctx, order, answer, "recovery_job", now)).order;
      }
    } catch (error) {
      if (!(error instanceof ProviderUnreachable)) throw error;
      ctx.logger.warn({ order: order.reference, error: error.message }, "recovery: provider unreachable");
      if (ended) {
        // The final question is asked again later.
        await ctx.db.update(schema.paymentOrders).set({ nextCheckAt: new Date(now.getTime() + 3600_000) }).where(eq(schema.paymentOrders.id, order.id));
        continue;
      }
    }
    if (ended) {
      if (after.state === order.state) await ctx.db.update(schema.paymentOrders).set({ nextCheckAt: null }).where(eq(schema.paymentOrders.id, order.id));
    } else if (isSettled(after.state as PaymentOrderState)) {
      settled += 1;
    } else {
      const next = new Date(now.getTime() + recoveryBackoffMinutes(order.checkAttempts) * 60_000);
      await ctx.db.update(schema.paymentOrders).set({ nextCheckAt: next }).where(eq(schema.paymentOrders.id, order.id));
    }
  }
  return { checked: ids.length, settled };
}

// ---- Refunds ---------------------------------------------------------------------------

export type RefundResult =
  | { kind: "refunded"; order: PaymentOrder }
  | { kind: "not_refundable"; state: string }
  | { kind: "refundable_mismatch"; refundable: number }
  | { kind: "provider_refused"; payload: unknown }
  | { kind: "provider_unreachable" };

/**
 * A full refund, by an operator. The caller states the amount it saw as
 * refundable; if that is not what the portal holds (someone refunded it a
 * moment ago), nothing is sent to the provider: no double refunds.
 */
export async function refundPayment(
  ctx: PaymentContext,
  reference: string,
  input: { refundableAsSeen: number; operator: string },
  now = new Date(),
): Promise<RefundResult> {
  const order = await findOrderByReference(ctx.db, reference);
  if (!order || order.state !== "paid") return { kind: "not_refundable", state: order?.state ?? "not_found" };
  if (input.refundableAsSeen !== order.totalAmount) return { kind: "refundable_mismatch", refundable: order.totalAmount };
  let answer;
  try {
    answer = await adapterOf(ctx, order).refund(await orderForProvider(ctx.db, order), order.totalAmount);
  } catch (error) {
    if (error instanceof ProviderUnreachable) return { kind: "provider_unreachable" };
    throw error;
  }
  if (!answer.ok) {
    await ctx.db.insert(schema.paymentEvents).values({ orderId: order.id, kind: "provider_answer", source: "operator", payload: { refundRefused: answer.payload, operator: input.operator }, createdAt: now });
    return { kind: "provider_refused", payload: answer.payload };
  }
  const moved = await applyTransition(ctx, order.id, "refunded", { source: "operator", payload: { operator: input.operator, answer: answer.payload } }, now);
  return { kind: "refunded", order: moved.order };
}
