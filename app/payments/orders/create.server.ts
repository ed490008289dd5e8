import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import { isPaid } from "~/domain/bill-lifecycle";
import {
  MAX_BILLS_PER_ORDER,
  UNSTARTED_HOLD_SECONDS,
  entryChannelOrNull,
  holdEndsAt,
  isSettled,
  releasesBills,
  type EntryChannel,
} from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { DEFAULT_LOCALE, type Locale } from "~/i18n";
import { checkBillsAtSources, type SourcedBill } from "~/bills/sources.server";
import { openRefundCasesForBillsPaidTwice } from "../refund-cases.server";
import { schema, type Database } from "~/base/db.server";
import { releaseEndedHold } from "./answers.server";
import { holdsOn, newOrderReference, type PaymentContext, type PaymentOrder } from "./order.server";

type BillUnavailableReason =
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
  /** How the payer came to pay (look-up, paper-bill link, scan, member dashboard); anything else is kept as not recorded. */
  entryChannel?: EntryChannel | null;
  /** Where the receipt and notices of this payment go (checked by the caller: isEmailAddress). */
  payerEmail?: string | null;
  /** The payer's language, for the mails about this payment (kept in the created event). */
  locale?: Locale;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

async function orderByKey(db: Database, key: string) {
  const [order] = await db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.idempotencyKey, key));
  if (!order) return null;
  const items = await db
    .select({ billId: schema.paymentOrderItems.billId })
    .from(schema.paymentOrderItems)
    .where(eq(schema.paymentOrderItems.orderId, order.id));
  return { order, billIds: items.map((item) => item.billId) };
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
    .filter((hold) => !isSettled(hold.order.state))
    .map((hold) => ({
      billId: hold.billId,
      reference: hold.order.reference,
      paymentTool: hold.order.paymentTool,
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
    if (!releasesBills(order.state) && order.state !== "paid") {
      inForce.push({ id: hold.billId, reason: "in_progress", heldUntil: order.heldUntil, heldBy: order.reference });
    } else if (order.state === "paid") {
      inForce.push({ id: hold.billId, reason: "paid" });
    }
  }
  return inForce;
}

/** Bills that come from an outside source are confirmed there, fresh, before any money is taken for them. */
async function unconfirmedAtSources(
  ctx: PaymentContext,
  bills: Array<SourcedBill | { id: string; source: null }>,
): Promise<UnavailableBill[]> {
  const sourced = bills.filter((bill): bill is SourcedBill => bill.source !== null);
  if (sourced.length === 0) return [];
  const { verdicts, paidTwice } = await checkBillsAtSources(ctx, sourced);
  await openRefundCasesForBillsPaidTwice(ctx.db, paidTwice);
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

/** What an order needs of its bills, read before its transaction (and again under a lock inside it). */
function billsToPay(db: Database, billIds: readonly string[]) {
  return db
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
    .where(inArray(schema.bills.id, [...billIds]));
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
  const tooMany = billIds.length > MAX_BILLS_PER_ORDER;
  // The bills are read alongside the replay check (one round trip, not two); a replay is rare.
  const [earlier, rows] = await Promise.all([replay(), billIds.length === 0 || tooMany ? [] : billsToPay(ctx.db, billIds)]);
  if (earlier) return earlier;

  if (tooMany) return { kind: "too_many_bills" };
  const route = ctx.providers.route(input.tool);
  if (route.status !== "live") return { kind: "tool_unavailable" };

  const byId = new Map(rows.map((row) => [row.id, row]));
  const unavailable = billIds.flatMap((id): UnavailableBill[] => {
    const bill = byId.get(id);
    if (!bill) return [{ id, reason: "not_found" }];
    if (isPaid(bill.status)) return [{ id, reason: "paid" }];
    if (bill.status === "cancelled") return [{ id, reason: "cancelled" }];
    return [];
  });
  if (billIds.length === 0 || unavailable.length > 0) return { kind: "bills_unavailable", bills: unavailable };
  if (rows.some((bill) => !bill.paymentTools.includes(input.tool))) return { kind: "tool_unavailable" };

  const held = await holdsInForce(ctx, billIds, now);
  // Held by the same submission, arrived a moment earlier (a double click): that order is the answer.
  if (held.length > 0) return (await replay()) ?? { kind: "bills_unavailable", bills: held };
  const unconfirmed = await unconfirmedAtSources(
    ctx,
    rows.map((row) => (row.source ? { ...row, source: row.source } : { id: row.id, source: null })),
  );
  if (unconfirmed.length > 0) return { kind: "bills_unavailable", bills: unconfirmed };

  try {
    const order = await ctx.db.transaction(async (tx) => {
      // The server computes every amount, from the bills themselves, read again under a share lock: an
      // agency's amendment or cancellation committed since the checks above (a source was asked meanwhile)
      // is what is charged or refused, and one arriving now waits for this order and then finds it.
      const locked = await tx
        .select({ id: schema.bills.id, amount: schema.bills.amount, status: schema.bills.status })
        .from(schema.bills)
        .where(inArray(schema.bills.id, billIds))
        .for("share");
      const changed = locked.filter((bill) => bill.status !== "unpaid");
      if (changed.length > 0)
        throw new BillsChanged(changed.map((bill) => ({ id: bill.id, reason: isPaid(bill.status) ? "paid" : "cancelled" })));
      const totalAmount = locked.reduce((sum, bill) => sum + bill.amount, 0);
      const expiresAt = new Date(now.getTime() + ctx.env.PAYMENT_WINDOW_MINUTES * 60_000);
      // The id is made here, so the order, its items and its event go out together.
      const orderId = randomUUID();
      const [[created]] = await Promise.all([
        tx
          .insert(schema.paymentOrders)
          .values({
            id: orderId,
            reference: newOrderReference(now),
            idempotencyKey: input.idempotencyKey,
            memberId: input.memberId ?? null,
            entryChannel: entryChannelOrNull(input.entryChannel),
            paymentTool: input.tool,
            payerEmail: input.payerEmail ?? null,
            provider: route.adapter.provider,
            totalAmount,
            expiresAt,
            heldUntil: holdEndsAt({ createdAt: now, expiresAt }, "unstarted", false, now),
            // Never handed to a provider (a crash mid-request)? The recovery job asks, and frees the bills.
            nextCheckAt: new Date(now.getTime() + UNSTARTED_HOLD_SECONDS * 1000),
            payerLocale: input.locale ?? DEFAULT_LOCALE,
            createdAt: now,
            updatedAt: now,
          })
          .returning(),
        tx.insert(schema.paymentOrderItems).values(locked.map((bill) => ({ orderId, billId: bill.id, amount: bill.amount }))),
        tx.insert(schema.paymentEvents).values({
          orderId,
          kind: "transition",
          toState: "created",
          source: "payer",
          payload: { billIds, tool: input.tool, totalAmount },
          createdAt: now,
        }),
      ]);
      return created!;
    });
    ctx.logger.info(
      { order: order.reference, provider: order.provider, bills: billIds.length, totalAmount: order.totalAmount },
      "payment order created",
    );
    return { kind: "created", order };
  } catch (error) {
    if (error instanceof BillsChanged) return { kind: "bills_unavailable", bills: error.bills };
    const { code, constraint } = databaseError(error);
    if (code === "23505" && constraint === "payment_order_items_one_active_order_per_bill") {
      // Another order began paying one of these bills a moment ago: the same submission's (its twin won), or
      // another window's or payer's.
      const again = await replay();
      if (again) return again;
      const busy = await holdsOn(ctx.db, billIds);
      return {
        kind: "bills_unavailable",
        bills: busy.map((row) => ({ id: row.billId, reason: "in_progress", heldUntil: row.order.heldUntil, heldBy: row.order.reference })),
      };
    }
    if (code === "23505" && constraint === "payment_orders_idempotency_key_unique") {
      // The same submission arrived twice at once: the other one won.
      const again = await replay();
      if (again) return again;
    }
    throw error;
  }
}

/** A bill paid or cancelled between the checks and the order's transaction: nothing is created. */
class BillsChanged extends Error {
  constructor(readonly bills: UnavailableBill[]) {
    super("bills changed before the order was created");
  }
}

/** The driver's error code and constraint, whichever driver raised it. */
function databaseError(error: unknown): { code?: string; constraint?: string } {
  const e = error as {
    code?: string;
    constraint?: string;
    constraint_name?: string;
    cause?: { code?: string; constraint?: string; constraint_name?: string };
  };
  const source = e.cause?.code ? e.cause : e;
  return { code: source.code, constraint: source.constraint ?? source.constraint_name };
}
