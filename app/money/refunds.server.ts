import { and, eq, sql } from "drizzle-orm";
import { canonicalJson } from "~/domain/canonical-json";
import { recoveryBackoffMinutes } from "~/domain/payment-order";
import type { PaymentEventSource } from "~/domain/payment-order";
import {
  canRefundTransition,
  checkApprovalChain,
  refundSteps,
  refundableAmount,
  type RefundReason,
  type RefundState,
} from "~/domain/refund";
import { allows, mayTakeStep, type ChainStep, type EffectiveRole } from "~/domain/staff";
import { recordAudit } from "~/base/audit.server";
import { claimIds, schema, type Database } from "~/base/db.server";
import { changeBills } from "~/bills/lifecycle.server";
import { ProviderUnreachable, type ProviderRefund } from "~/payments/providers/adapter.server";
import {
  adapterOf,
  newRefundNumber,
  orderBills,
  orderForProvider,
  type PaymentContext,
  type PaymentOrder,
} from "~/payments/orders/order.server";
import { applyTransition, queueAgencyNotices } from "~/payments/orders/transitions.server";
import { queueRefundNotice } from "./refund-notices.server";

/**
 * Refunds (退款), after GOV.UK Pay's rules for money going back:
 * - a refund is of one bill's part of a paid order, never more than what is
 *   still refundable of it;
 * - the issuing agency's handler requests it and the agency's chain approves
 *   it in order, each step signed with a passkey over the refund's content
 *   (the back office gets the signatures; this module checks who may take
 *   which step and keeps them); nobody takes two steps;
 * - the release checks that what is refundable now is what every approver
 *   saw, under the order's row lock, or refuses (no double refunds);
 * - the provider is called after the release is committed; no answer is an
 *   `unknown` outcome that recovery settles by asking the provider what it
 *   holds, never by calling refund again;
 * - every change of a refund is an event of its order and an audit entry.
 */

export type Refund = typeof schema.refunds.$inferSelect;

/** What each step of a refund signs: everything that decides where the money goes. */
export interface RefundContent {
  number: string;
  orderId: string;
  orderReference: string;
  billId: string;
  billType: string;
  writeOffNumber: string;
  agencyCode: string;
  provider: string;
  amount: number;
  refundableAsSeen: number;
  reason: RefundReason;
  reasonText: string;
}

/** The staff member acting, as the back office knows them. */
export interface RefundStaff {
  staffId: string;
  roles: readonly EffectiveRole[];
  requestId: string | null;
}

/** The kind of every signed refund step (the request is step 0). */
export const REFUND_STEP_KIND = "refund_step";

/** The act a staff member signs for one step: the refund's content, the step, the decision and who acts for whom. */
export function refundStepAct(
  content: RefundContent,
  step: { position: number; step: string; decision: "approve" | "reject"; note: string },
  actor: { staffId: string; actingFor: string | null },
) {
  return { kind: REFUND_STEP_KIND, refund: { ...content }, ...step, staffId: actor.staffId, actingFor: actor.actingFor };
}

type RefundStepAct = ReturnType<typeof refundStepAct>;

/** A signed act as the passkey module kept it. */
export interface SignedRefundAct {
  id: string;
  act: { kind: string; [field: string]: unknown };
}

// ---- What can be refunded ------------------------------------------------------

export interface RefundableBill {
  order: PaymentOrder;
  billId: string;
  billType: string;
  writeOffNumber: string;
  agencyCode: string;
  /** What the order charged for this bill. */
  charged: number;
  refundable: number;
  /** The agency's approval chain (roles after the request). */
  chain: string[];
  /** An open duplicate-payment case for this order and bill, if any. */
  refundCaseId: string | null;
}

/** The bill's part of the order, what can still be refunded of it, and its agency's chain. */
export async function refundableBill(db: Database, orderId: string, billId: string): Promise<RefundableBill | null> {
  const [row] = await db
    .select({
      order: schema.paymentOrders,
      charged: schema.paymentOrderItems.amount,
      billType: schema.bills.billTypeCode,
      writeOffNumber: schema.bills.writeOffNumber,
      agencyCode: schema.billTypes.agencyCode,
      chain: schema.agencies.refundApprovalChain,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .innerJoin(schema.agencies, eq(schema.billTypes.agencyCode, schema.agencies.code))
    .where(and(eq(schema.paymentOrderItems.orderId, orderId), eq(schema.paymentOrderItems.billId, billId)));
  if (!row) return null;
  const refunds = await db
    .select({ id: schema.refunds.id, amount: schema.refunds.amount, state: schema.refunds.state })
    .from(schema.refunds)
    .where(and(eq(schema.refunds.orderId, orderId), eq(schema.refunds.billId, billId)));
  const [openCase] = await db
    .select({ id: schema.refundCases.id })
    .from(schema.refundCases)
    .where(and(eq(schema.refundCases.orderId, orderId), eq(schema.refundCases.billId, billId), eq(schema.refundCases.state, "open")));
  return {
    order: row.order,
    billId,
    billType: row.billType,
    writeOffNumber: row.writeOffNumber,
    agencyCode: row.agencyCode,
    charged: row.charged,
    refundable: row.order.state === "paid" ? refundableAmount(row.charged, refunds) : 0,
    chain: row.chain,
    refundCaseId: openCase?.id ?? null,
  };
}

/** What can still be refunded of the bill, not counting `except` (the refund being released). */
async function refundableExcept(db: Database, orderId: string, billId: string, charged: number, except: string): Promise<number> {
  const refunds = await db
    .select({ id: schema.refunds.id, amount: schema.refunds.amount, state: schema.refunds.state })
    .from(schema.refunds)
    .where(and(eq(schema.refunds.orderId, orderId), eq(schema.refunds.billId, billId)));
  return refundableAmount(
    charged,
    refunds.filter((r) => r.id !== except),
  );
}

// ---- Requesting ------------------------------------------------------------------

export interface RefundRequestInput {
  orderId: string;
  billId: string;
  amount: number;
  reason: RefundReason;
  reasonText: string;
}

export type RefundRequestRefusal =
  | "not_found"
  | "not_refundable"
  | "amount_exceeds_refundable"
  | "not_in_reach"
  | "role_not_held"
  | "chain_misconfigured"
  | "changed_since_signed";

export type RefundDraft =
  | { ok: true; content: RefundContent; act: RefundStepAct; bill: RefundableBill }
  | { ok: false; refusal: RefundRequestRefusal; refundable?: number };

/**
 * Checks a request before it is signed and gives the act to sign. The
 * refund's number is chosen here, so the signature covers it.
 */
export async function draftRefundRequest(
  db: Database,
  staff: RefundStaff,
  input: RefundRequestInput,
  now = new Date(),
  number = newRefundNumber(now),
): Promise<RefundDraft> {
  const bill = await refundableBill(db, input.orderId, input.billId);
  if (!bill) return { ok: false, refusal: "not_found" };
  if (!allows(staff.roles, "refunds.request", bill.agencyCode)) return { ok: false, refusal: "not_in_reach" };
  if (bill.refundable === 0) return { ok: false, refusal: "not_refundable" };
  if (!Number.isInteger(input.amount) || input.amount < 1 || input.amount > bill.refundable)
    return { ok: false, refusal: "amount_exceeds_refundable", refundable: bill.refundable };
  if (checkApprovalChain(bill.chain) !== null) return { ok: false, refusal: "chain_misconfigured" };
  const steps = refundSteps(bill.chain as never);
  const may = mayTakeStep({ order: steps, agencyCode: bill.agencyCode, taken: [] }, "request", staff);
  if (!may.ok) return { ok: false, refusal: "role_not_held" };
  const content: RefundContent = {
    number,
    orderId: bill.order.id,
    orderReference: bill.order.reference,
    billId: bill.billId,
    billType: bill.billType,
    writeOffNumber: bill.writeOffNumber,
    agencyCode: bill.agencyCode,
    provider: bill.order.provider,
    amount: input.amount,
    refundableAsSeen: bill.refundable,
    reason: input.reason,
    reasonText: input.reasonText,
  };
  const act = refundStepAct(
    content,
    { position: 0, step: "request", decision: "approve", note: "" },
    { staffId: staff.staffId, actingFor: may.acting.actingFor },
  );
  return { ok: true, content, act, bill };
}

const isRequestAct = (act: SignedRefundAct["act"]): act is RefundStepAct =>
  act.kind === REFUND_STEP_KIND && act.position === 0 && act.step === "request" && typeof act.refund === "object";

/** Whether a signed act is a refund request (for the passkey check's `accepts`). */
export const acceptsRefundRequest = (act: SignedRefundAct["act"]) => isRequestAct(act);

/**
 * Files the signed request: checked again against the records as they are now
 * (what the handler saw must still hold), stored with its first step.
 */
export async function fileRefundRequest(
  ctx: PaymentContext,
  staff: RefundStaff,
  signed: SignedRefundAct,
  now = new Date(),
): Promise<{ ok: true; refund: Refund } | { ok: false; refusal: RefundRequestRefusal }> {
  if (!isRequestAct(signed.act) || signed.act.staffId !== staff.staffId) return { ok: false, refusal: "changed_since_signed" };
  const signedContent = signed.act.refund;
  return ctx.db.transaction(async (tx) => {
    await lockOrder(tx, signedContent.orderId);
    const again = await draftRefundRequest(tx, staff, signedContent, now, signedContent.number);
    if (!again.ok) return again;
    if (canonicalJson(again.content) !== canonicalJson(signedContent))
      return { ok: false as const, refusal: "changed_since_signed" as const };
    const steps = refundSteps(again.bill.chain as never);
    const [refund] = await tx
      .insert(schema.refunds)
      .values({
        number: signedContent.number,
        orderId: signedContent.orderId,
        billId: signedContent.billId,
        agencyCode: signedContent.agencyCode,
        refundCaseId: again.bill.refundCaseId,
        amount: signedContent.amount,
        refundableAsSeen: signedContent.refundableAsSeen,
        reason: signedContent.reason,
        reasonText: signedContent.reasonText,
        steps,
        state: "in_approval",
        requestedBy: staff.staffId,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await tx.insert(schema.refundSteps).values({
      refundId: refund!.id,
      position: 0,
      step: "request",
      role: "handler",
      staffId: staff.staffId,
      actingFor: signed.act.actingFor as string | null,
      decision: "approve",
      signedActId: signed.id,
      createdAt: now,
    });
    await recordRefundEvent(tx, refund!, null, "in_approval", "staff", { staffId: staff.staffId, signedActId: signed.id }, now);
    await recordAudit(
      tx,
      {
        actorType: "staff",
        actorId: staff.staffId,
        action: "refund.requested",
        targetType: "refund",
        targetId: refund!.id,
        requestId: staff.requestId,
        details: { ...signedContent, signedActId: signed.id, actingFor: signed.act.actingFor },
      },
      now,
    );
    return { ok: true as const, refund: refund! };
  });
}

// ---- Approving and releasing -----------------------------------------------------

export type RefundStepRefusal =
  "not_found" | "not_in_approval" | "not_in_reach" | "role_not_held" | "already_in_chain" | "step_out_of_order" | "changed_since_signed";

/** The content a refund's steps sign, from the refund as stored. */
export async function refundContent(db: Database, refund: Refund): Promise<RefundContent> {
  const [row] = await db
    .select({
      reference: schema.paymentOrders.reference,
      provider: schema.paymentOrders.provider,
      billType: schema.bills.billTypeCode,
      writeOffNumber: schema.bills.writeOffNumber,
    })
    .from(schema.paymentOrders)
    .innerJoin(schema.bills, eq(schema.bills.id, refund.billId))
    .where(eq(schema.paymentOrders.id, refund.orderId));
  return {
    number: refund.number,
    orderId: refund.orderId,
    orderReference: row!.reference,
    billId: refund.billId,
    billType: row!.billType,
    writeOffNumber: row!.writeOffNumber,
    agencyCode: refund.agencyCode,
    provider: row!.provider,
    amount: refund.amount,
    refundableAsSeen: refund.refundableAsSeen,
    reason: refund.reason,
    reasonText: refund.reasonText,
  };
}

export async function takenSteps(db: Database, refundId: string): Promise<Array<typeof schema.refundSteps.$inferSelect>> {
  return db.select().from(schema.refundSteps).where(eq(schema.refundSteps.refundId, refundId)).orderBy(schema.refundSteps.position);
}

/** Whether `staff` may take the next step of the refund now, and as whom. */
function nextStepFor(refund: Refund, taken: readonly ChainStep[], staff: RefundStaff) {
  const next = refund.steps[taken.length];
  if (!next) return { ok: false as const, reason: "step_out_of_order" as const };
  if (!allows(staff.roles, "refunds.view", refund.agencyCode)) return { ok: false as const, reason: "not_in_reach" as const };
  const may = mayTakeStep({ order: refund.steps, agencyCode: refund.agencyCode, taken }, next.step, staff);
  return may.ok ? { ok: true as const, step: next, position: taken.length, acting: may.acting } : may;
}

export type StepDraft = { ok: true; act: RefundStepAct; content: RefundContent } | { ok: false; refusal: RefundStepRefusal };

/** Checks that `staff` may take the refund's next step and gives the act to sign. */
export async function draftRefundStep(
  db: Database,
  staff: RefundStaff,
  refundId: string,
  decision: "approve" | "reject",
  note: string,
): Promise<StepDraft> {
  const [refund] = await db.select().from(schema.refunds).where(eq(schema.refunds.id, refundId));
  if (!refund) return { ok: false, refusal: "not_found" };
  if (refund.state !== "in_approval") return { ok: false, refusal: "not_in_approval" };
  const next = nextStepFor(refund, await takenSteps(db, refundId), staff);
  if (!next.ok) return { ok: false, refusal: next.reason };
  const content = await refundContent(db, refund);
  const act = refundStepAct(
    content,
    { position: next.position, step: next.step.step, decision, note },
    { staffId: staff.staffId, actingFor: next.acting.actingFor },
  );
  return { ok: true, act, content };
}

const isStepAct = (act: SignedRefundAct["act"]): act is RefundStepAct =>
  act.kind === REFUND_STEP_KIND && typeof act.position === "number" && act.position > 0 && typeof act.refund === "object";

/** Whether a signed act is a step of the refund numbered so (for the passkey check's `accepts`). */
export const acceptsRefundStep = (refundNumber: string) => (act: SignedRefundAct["act"]) =>
  isStepAct(act) && act.refund.number === refundNumber;

export type StepResult =
  { ok: true; refund: Refund; released: boolean } | { ok: false; refusal: RefundStepRefusal | "stale"; refund?: Refund };

/**
 * Takes a signed step. Under the order's row lock: the step must still be the
 * next, by someone allowed to take it, over the refund as it is. A rejection
 * ends the refund; the last approval releases it, if what is refundable of
 * the bill is still what the approvers saw (or the refund is stale).
 */
export async function takeRefundStep(
  ctx: PaymentContext,
  staff: RefundStaff,
  refundId: string,
  signed: SignedRefundAct,
  now = new Date(),
): Promise<StepResult> {
  if (!isStepAct(signed.act) || signed.act.staffId !== staff.staffId) return { ok: false, refusal: "changed_since_signed" };
  const act = signed.act;
  const result = await ctx.db.transaction(async (tx): Promise<StepResult> => {
    const [peek] = await tx.select({ orderId: schema.refunds.orderId }).from(schema.refunds).where(eq(schema.refunds.id, refundId));
    if (!peek) return { ok: false, refusal: "not_found" };
    const order = await lockOrder(tx, peek.orderId);
    const [refund] = await tx.select().from(schema.refunds).where(eq(schema.refunds.id, refundId)).for("update");
    if (refund!.state !== "in_approval") return { ok: false, refusal: "not_in_approval", refund: refund! };
    const taken = await takenSteps(tx, refundId);
    const next = nextStepFor(refund!, taken, staff);
    if (!next.ok) return { ok: false, refusal: next.reason, refund: refund! };
    const content = await refundContent(tx, refund!);
    if (
      act.position !== next.position ||
      act.step !== next.step.step ||
      act.actingFor !== next.acting.actingFor ||
      canonicalJson(act.refund) !== canonicalJson(content)
    )
      return { ok: false, refusal: "changed_since_signed", refund: refund! };
    await tx.insert(schema.refundSteps).values({
      refundId,
      position: next.position,
      step: next.step.step,
      role: next.step.role,
      staffId: staff.staffId,
      actingFor: next.acting.actingFor,
      decision: act.decision,
      note: act.note,
      signedActId: signed.id,
      createdAt: now,
    });
    await recordAudit(
      tx,
      {
        actorType: "staff",
        actorId: staff.staffId,
        action: act.decision === "reject" ? "refund.rejected" : next.step.step === "release" ? "refund.released" : "refund.approved",
        targetType: "refund",
        targetId: refundId,
        requestId: staff.requestId,
        details: { number: refund!.number, step: next.step.step, note: act.note, signedActId: signed.id, actingFor: next.acting.actingFor },
      },
      now,
    );
    const cause = { staffId: staff.staffId, step: next.step.step, signedActId: signed.id };
    if (act.decision === "reject")
      return { ok: true, refund: await moveRefund(tx, refund!, "rejected", "staff", cause, now), released: false };
    if (next.position < refund!.steps.length - 1) return { ok: true, refund: refund!, released: false };
    return releaseChecked(tx, order, refund!, "staff", cause, now);
  });
  if (result.ok && result.released) return { ...result, refund: await sendRefund(ctx, result.refund, "staff", now) };
  return result;
}

/** A release not answered within this many minutes (the process stopped mid-call) is looked into by recovery. */
const RELEASE_CHECK_MINUTES = 5;

/**
 * The release, inside the order's lock: what is refundable of the bill now
 * must be what every step saw, and the order must still be paid.
 */
async function releaseChecked(
  tx: Database,
  order: PaymentOrder,
  refund: Refund,
  source: PaymentEventSource,
  cause: Record<string, unknown>,
  now: Date,
): Promise<StepResult> {
  const [item] = await tx
    .select({ amount: schema.paymentOrderItems.amount })
    .from(schema.paymentOrderItems)
    .where(and(eq(schema.paymentOrderItems.orderId, refund.orderId), eq(schema.paymentOrderItems.billId, refund.billId)));
  const refundableNow = order.state === "paid" ? await refundableExcept(tx, refund.orderId, refund.billId, item!.amount, refund.id) : 0;
  if (refundableNow !== refund.refundableAsSeen) {
    const stale = await moveRefund(
      tx,
      refund,
      "stale",
      source,
      { ...cause, refundableNow, refundableAsSeen: refund.refundableAsSeen },
      now,
    );
    return { ok: false, refusal: "stale", refund: stale };
  }
  // Until the provider answers, recovery looks at it after a while: a crash here leaves no refund unexamined.
  const releasing = await moveRefund(tx, refund, "releasing", source, cause, now, {
    releasedAt: now,
    nextCheckAt: new Date(now.getTime() + RELEASE_CHECK_MINUTES * 60_000),
  });
  return { ok: true, refund: releasing, released: true };
}

/** Calls the provider for a released refund and records what it said (or that it said nothing). */
async function sendRefund(ctx: PaymentContext, refund: Refund, source: PaymentEventSource, now: Date): Promise<Refund> {
  const [order] = await ctx.db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, refund.orderId));
  let answer: Awaited<ReturnType<ReturnType<typeof adapterOf>["refund"]>>;
  try {
    answer = await adapterOf(ctx, order!).refund(await orderForProvider(ctx.db, order!), refund.amount);
  } catch (error) {
    if (!(error instanceof ProviderUnreachable)) throw error;
    ctx.logger.warn(
      { alert: "refund_outcome_unknown", refund: refund.number, error: error.message },
      "refund sent, no answer: recovery will ask",
    );
    return ctx.db.transaction(async (tx) =>
      moveRefund(tx, refund, "unknown", "system", { error: error.message }, now, {
        nextCheckAt: new Date(now.getTime() + ctx.env.RECOVERY_AFTER_SECONDS * 1000),
        checkAttempts: 0,
      }),
    );
  }
  if (!answer.ok) {
    // Money sent from an ATM or paid at a store cannot go back through the provider: nothing has left
    // the account, and staff send it back by bank transfer (the refund stays refused, never "refunded").
    const byBankTransfer = (answer.payload as { reason?: unknown } | null)?.reason === "manual_bank_transfer";
    ctx.logger.error(
      { alert: byBankTransfer ? "refund_needs_bank_transfer" : "refund_refused", refund: refund.number, answer: answer.payload },
      byBankTransfer ? "the provider cannot refund this payment: refund it by bank transfer" : "the provider refused a refund",
    );
    return ctx.db.transaction(async (tx) => moveRefund(tx, refund, "provider_refused", "system", { answer: answer.payload }, now));
  }
  return completeRefund(ctx, refund.id, { providerRefundId: answer.refundId, source, payload: answer.payload }, now);
}

/**
 * The money went back: the refund is done, the order's refunded amount grows,
 * and the bill's agency is told. A bill refunded in full is owed again
 * (written off in reverse), unless this payment was one the bill did not owe
 * (a duplicate: its case is closed instead); an order refunded in full ends.
 */
async function completeRefund(
  ctx: PaymentContext,
  refundId: string,
  outcome: { providerRefundId: string | null; source: PaymentEventSource; payload: unknown },
  now: Date,
): Promise<Refund> {
  return ctx.db.transaction(async (tx) => {
    const [peek] = await tx.select({ orderId: schema.refunds.orderId }).from(schema.refunds).where(eq(schema.refunds.id, refundId));
    const order = await lockOrder(tx, peek!.orderId);
    const [refund] = await tx.select().from(schema.refunds).where(eq(schema.refunds.id, refundId)).for("update");
    if (!canRefundTransition(refund!.state, "refunded")) return refund!;
    const done = await moveRefund(tx, refund!, "refunded", outcome.source, { answer: outcome.payload }, now, {
      refundedAt: now,
      providerRefundId: outcome.providerRefundId,
      nextCheckAt: null,
    });
    const refundedAmount = order.refundedAmount + done.amount;
    // Refunded in full, the order ends (the transition sets the amount); in part, it stays paid.
    const updatedOrder =
      refundedAmount === order.totalAmount
        ? (
            await applyTransition(
              { ...ctx, db: tx },
              order.id,
              "refunded",
              { source: outcome.source, payload: { lastRefund: done.number } },
              now,
            )
          ).order
        : (
            await tx
              .update(schema.paymentOrders)
              .set({ refundedAmount, updatedAt: now })
              .where(eq(schema.paymentOrders.id, order.id))
              .returning()
          )[0]!;
    await recordAudit(
      tx,
      {
        actorType: done.operator ? "operator" : "system",
        actorId: null,
        action: "refund.refunded",
        targetType: "refund",
        targetId: done.id,
        details: {
          number: done.number,
          order: order.reference,
          amount: done.amount,
          provider: order.provider,
          providerRefundId: done.providerRefundId,
          operator: done.operator,
        },
      },
      now,
    );
    await tellAgency(tx, updatedOrder, done, now);
    await queueRefundNotice(tx, ctx.env, updatedOrder, done, now);
    return done;
  });
}

async function tellAgency(tx: Database, order: PaymentOrder, refund: Refund, now: Date): Promise<void> {
  const items = (await orderBills(tx, order.id)).filter((item) => item.billId === refund.billId);
  const item = items[0]!;
  const refunded = (
    await tx
      .select({ amount: schema.refunds.amount })
      .from(schema.refunds)
      .where(and(eq(schema.refunds.orderId, order.id), eq(schema.refunds.billId, refund.billId), eq(schema.refunds.state, "refunded")))
  ).reduce((sum, r) => sum + r.amount, 0);
  const [refundCase] = await tx
    .select({ id: schema.refundCases.id })
    .from(schema.refundCases)
    .where(and(eq(schema.refundCases.orderId, order.id), eq(schema.refundCases.billId, refund.billId)));
  const full = refunded === item.amount;
  if (refundCase && full)
    await tx
      .update(schema.refundCases)
      .set({ state: "refunded", closedAt: now })
      .where(and(eq(schema.refundCases.id, refundCase.id), eq(schema.refundCases.state, "open")));
  // The agency is told of a refund only of a payment it was told of. A duplicate's payment it never heard of (the
  // bill was paid otherwise first) reverses nothing; one it heard of before the bill was reported paid elsewhere too
  // is reversed, and the bill stays paid by the other payment.
  const [paidNotice] = await tx
    .select({ id: schema.writeOffNotices.id })
    .from(schema.writeOffNotices)
    .where(
      and(
        eq(schema.writeOffNotices.orderId, order.id),
        eq(schema.writeOffNotices.billId, refund.billId),
        eq(schema.writeOffNotices.kind, "bill.paid"),
      ),
    );
  if (!paidNotice) return;
  const [receipt] = await tx.select({ number: schema.receipts.number }).from(schema.receipts).where(eq(schema.receipts.orderId, order.id));
  const details = { refundNumber: refund.number, refundAmount: refund.amount, refundedTotal: refunded, refundedAt: now.toISOString() };
  if (full) {
    if (!refundCase)
      await changeBills(
        tx,
        [refund.billId],
        { event: "reopened_after_refund" },
        { actorType: "system", actorId: null, details: { order: order.reference, refund: refund.number } },
        now,
      );
    await queueAgencyNotices(tx, order, items, "bill.payment_refunded", receipt?.number ?? null, details, now, refund.id);
  } else {
    await queueAgencyNotices(
      tx,
      order,
      items,
      "bill.payment_partially_refunded",
      receipt?.number ?? null,
      { ...details, paidAmountRemaining: item.amount - refunded },
      now,
      refund.id,
    );
  }
}

// ---- State changes ----------------------------------------------------------------

async function lockOrder(tx: Database, orderId: string): Promise<PaymentOrder> {
  const [order] = await tx.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, orderId)).for("update");
  if (!order) throw new Error(`no payment order ${orderId}`);
  return order;
}

async function recordRefundEvent(
  tx: Database,
  refund: Refund,
  from: RefundState | null,
  to: RefundState,
  source: PaymentEventSource,
  cause: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await tx.insert(schema.paymentEvents).values({
    orderId: refund.orderId,
    kind: "refund",
    refundId: refund.id,
    source,
    payload: { number: refund.number, amount: refund.amount, from, to, ...cause },
    createdAt: now,
  });
}

async function moveRefund(
  tx: Database,
  refund: Refund,
  to: RefundState,
  source: PaymentEventSource,
  cause: Record<string, unknown>,
  now: Date,
  set: Partial<typeof schema.refunds.$inferInsert> = {},
): Promise<Refund> {
  if (!canRefundTransition(refund.state, to)) throw new Error(`refund ${refund.number}: ${refund.state} cannot become ${to}`);
  const [moved] = await tx
    .update(schema.refunds)
    .set({ ...set, state: to, updatedAt: now })
    .where(and(eq(schema.refunds.id, refund.id), eq(schema.refunds.state, refund.state)))
    .returning();
  if (!moved) throw new Error(`refund ${refund.number} changed meanwhile`);
  await recordRefundEvent(tx, moved, refund.state, to, source, cause, now);
  return moved;
}

// ---- Recovery ---------------------------------------------------------------------

/**
 * Refunds whose answer never came (or that were released and then the
 * process stopped): ask the provider what refunds it holds for the payment.
 * One it holds that no refund here accounts for, of this amount, is this
 * refund; none means the money never left.
 */
export async function recoverRefunds(ctx: PaymentContext, now = new Date(), limit = 25): Promise<{ checked: number; settled: number }> {
  const lease = new Date(now.getTime() + 2 * 60_000);
  const ids = await claimIds(
    ctx.db,
    sql`
    update refunds set next_check_at = ${lease.toISOString()}, check_attempts = check_attempts + 1
    where id in (
      select id from refunds
      where state in ('releasing', 'unknown') and next_check_at <= ${now.toISOString()}
      order by next_check_at
      limit ${limit}
      for update skip locked
    )
    returning id`,
  );
  let settled = 0;
  for (const id of ids) {
    const [refund] = await ctx.db.select().from(schema.refunds).where(eq(schema.refunds.id, id));
    const [order] = await ctx.db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, refund!.orderId));
    let held: { refunds: ProviderRefund[]; payload: unknown };
    try {
      held = await adapterOf(ctx, order!).refundsOf(await orderForProvider(ctx.db, order!));
    } catch (error) {
      if (!(error instanceof ProviderUnreachable)) throw error;
      const next = new Date(now.getTime() + recoveryBackoffMinutes(refund!.checkAttempts) * 60_000);
      await ctx.db.update(schema.refunds).set({ nextCheckAt: next }).where(eq(schema.refunds.id, id));
      ctx.logger.warn({ refund: refund!.number, error: error.message }, "refund recovery: the provider did not answer");
      continue;
    }
    const accounted = await ctx.db
      .select({ id: schema.refunds.id, providerRefundId: schema.refunds.providerRefundId, amount: schema.refunds.amount })
      .from(schema.refunds)
      .where(and(eq(schema.refunds.orderId, order!.id), eq(schema.refunds.state, "refunded")));
    const match = unaccountedRefund(held.refunds, accounted, refund!.amount);
    if (match) {
      await completeRefund(ctx, id, { providerRefundId: match.id, source: "recovery_job", payload: held.payload }, now);
    } else {
      await ctx.db.transaction(async (tx) => {
        const [current] = await tx.select().from(schema.refunds).where(eq(schema.refunds.id, id)).for("update");
        if (canRefundTransition(current!.state, "provider_refused"))
          await moveRefund(
            tx,
            current!,
            "provider_refused",
            "recovery_job",
            { answer: held.payload, found: "no such refund at the provider" },
            now,
          );
      });
    }
    settled += 1;
  }
  return { checked: ids.length, settled };
}

/**
 * The provider's refund that no refund recorded here claims, of `amount`.
 * Refunds recorded with the provider's id claim it; those without one (ECPay
 * gives none) claim one of their amount each.
 */
export function unaccountedRefund(
  held: readonly ProviderRefund[],
  accounted: ReadonlyArray<{ providerRefundId: string | null; amount: number }>,
  amount: number,
): ProviderRefund | null {
  const free = [...held];
  for (const known of accounted) {
    const index = free.findIndex(
      (r) =>
        (known.providerRefundId !== null && r.id === known.providerRefundId) ||
        (known.providerRefundId === null && r.amount === known.amount),
    );
    if (index !== -1) free.splice(index, 1);
  }
  return free.find((r) => r.amount === amount) ?? null;
}

// ---- Break glass --------------------------------------------------------------------

export type BreakGlassResult =
  | { kind: "refunded"; refunds: string[] }
  | { kind: "not_refundable"; state: string }
  | { kind: "refundable_mismatch"; refundable: number }
  | { kind: "incomplete"; refunds: Array<{ number: string; state: RefundState }> };

/**
 * An operator's refund of what is left of a whole order, at the command line,
 * when the back office cannot be used. No approval chain, so it is loud: the
 * operator's name and system account are kept on each refund and audited.
 * Otherwise the same rules: the amount the operator saw as refundable must
 * be what is refundable, and the same release, call and recovery.
 */
export async function breakGlassRefund(
  ctx: PaymentContext,
  input: { orderReference: string; refundableAsSeen: number; operator: string; systemUser: string; reasonText: string },
  now = new Date(),
): Promise<BreakGlassResult> {
  const operator = `${input.operator} (${input.systemUser})`;
  const prepared = await ctx.db.transaction(async (tx) => {
    const [found] = await tx.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.reference, input.orderReference));
    if (!found) return { kind: "not_refundable" as const, state: "not_found" };
    const order = await lockOrder(tx, found.id);
    if (order.state !== "paid") return { kind: "not_refundable" as const, state: order.state };
    const bills = await Promise.all((await orderBills(tx, order.id)).map((item) => refundableBill(tx, order.id, item.billId)));
    const open = bills.filter((bill): bill is RefundableBill => bill !== null && bill.refundable > 0);
    const refundable = open.reduce((sum, bill) => sum + bill.refundable, 0);
    if (refundable !== input.refundableAsSeen || refundable === 0) return { kind: "refundable_mismatch" as const, refundable };
    const released: Refund[] = [];
    for (const bill of open) {
      const [refund] = await tx
        .insert(schema.refunds)
        .values({
          number: newRefundNumber(now),
          orderId: order.id,
          billId: bill.billId,
          agencyCode: bill.agencyCode,
          refundCaseId: bill.refundCaseId,
          amount: bill.refundable,
          refundableAsSeen: bill.refundable,
          reason: "other",
          reasonText: input.reasonText.slice(0, 500),
          steps: [],
          state: "in_approval",
          operator,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await recordRefundEvent(tx, refund!, null, "in_approval", "operator", { operator, breakGlass: true }, now);
      await recordAudit(
        tx,
        {
          actorType: "operator",
          actorId: null,
          action: "refund.break_glass",
          targetType: "refund",
          targetId: refund!.id,
          details: {
            number: refund!.number,
            order: order.reference,
            amount: refund!.amount,
            operator: input.operator,
            systemUser: input.systemUser,
            reasonText: input.reasonText,
          },
        },
        now,
      );
      const release = await releaseChecked(tx, order, refund!, "operator", { operator }, now);
      if (release.ok) released.push(release.refund);
    }
    return { kind: "released" as const, released };
  });
  if (prepared.kind !== "released") return prepared;
  const outcomes: Refund[] = [];
  for (const refund of prepared.released) outcomes.push(await sendRefund(ctx, refund, "operator", now));
  if (outcomes.every((refund) => refund.state === "refunded"))
    return { kind: "refunded", refunds: outcomes.map((refund) => refund.number) };
  return { kind: "incomplete", refunds: outcomes.map((refund) => ({ number: refund.number, state: refund.state })) };
}
