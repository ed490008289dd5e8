import { and, count, desc, eq, inArray, isNull, gt, lte } from "drizzle-orm";
import { z } from "zod";
import { canonicalJson } from "~/domain/canonical-json";
import type { RefundCaseReason } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { REFUND_REASONS, REFUND_STATES, REFUND_STATES_OPEN, type RefundReason, type RefundState } from "~/domain/refund";
import { agenciesFor, allows, mayTakeStep, type AgencyRole, type ChainRefusal } from "~/domain/staff";
import { schema, type Database } from "~/base/db.server";
import {
  REFUND_STEP_KIND,
  acceptsRefundRequest,
  acceptsRefundStep,
  draftRefundRequest,
  draftRefundStep,
  fileRefundRequest,
  refundContent,
  refundableBill,
  takeRefundStep,
  takenSteps,
  type RefundContent,
  type RefundRequestRefusal,
  type RefundStaff,
  type RefundStepRefusal,
} from "~/money/refunds.server";
import type { PaymentContext } from "~/payments/orders/order.server";
import { pageCount, pageNumber, type StaffActor } from "./listing.server";
import { confirmPostedStepUp, prepareStepUp, verifySignedAct, type StepUpRefusal } from "./passkeys.server";
import { auditStaffAct } from "./staff-request.server";

/**
 * Refunds in the back office (退款作業): what a staff member may see of them
 * and do with them. The rules are the refund service's
 * (app/money/refunds.server.ts): this module scopes what is shown to the
 * agencies the staff member's roles reach, reads the forms, and runs each
 * act's two steps (the act to sign, then the passkey's signature over it),
 * as the reveal of personal data does.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const asRefundStaff = (staff: StaffActor): RefundStaff => ({ staffId: staff.staffId, roles: staff.roles, requestId: staff.requestId });

/** A refund case's reason as the reason of the refund that settles it. */
const REFUND_REASON_OF_CASE: Record<RefundCaseReason, RefundReason> = {
  bill_paid_by_another_order: "duplicate_payment",
  bill_settled_elsewhere: "paid_elsewhere",
  source_reports_other_payment: "paid_elsewhere",
};

// ---- What one bill of a payment can give back --------------------------------------

interface BillLabels {
  billTypeCode: string;
  billTypeNameZh: string;
  billTypeNameEn: string;
  writeOffNumber: string;
}

async function billLabels(db: Database, billId: string): Promise<BillLabels> {
  const [row] = await db
    .select({
      billTypeCode: schema.billTypes.code,
      billTypeNameZh: schema.billTypes.nameZh,
      billTypeNameEn: schema.billTypes.nameEn,
      writeOffNumber: schema.bills.writeOffNumber,
    })
    .from(schema.bills)
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .where(eq(schema.bills.id, billId));
  return row!;
}

/** The refund request page: the bill's part of the payment, what is left to refund, and what the form starts with. */
export interface RefundRequestPage extends BillLabels {
  orderId: string;
  billId: string;
  orderReference: string;
  paymentTool: PaymentTool;
  agencyCode: string;
  charged: number;
  refundable: number;
  /** The agency's chain after the request, in order (the last releases). */
  chain: string[];
  /** The open duplicate-payment case the refund will settle. */
  refundCase: { id: string; reason: RefundCaseReason; amount: number } | null;
  /** What the form is filled with at first: everything refundable (or the case's amount), the case's reason. */
  prefill: { amount: string; reason: RefundReason | "" };
}

/** The page for requesting a refund of one bill of a payment; null when there is no such bill there or it is not the staff member's to refund. */
export async function refundRequestPage(
  db: Database,
  staff: StaffActor,
  orderId: string,
  billId: string,
): Promise<RefundRequestPage | null> {
  if (!UUID.test(orderId) || !UUID.test(billId)) return null;
  const bill = await refundableBill(db, orderId, billId);
  if (!bill || !allows(staff.roles, "refunds.request", bill.agencyCode)) return null;
  const [refundCase] = bill.refundCaseId
    ? await db
        .select({ id: schema.refundCases.id, reason: schema.refundCases.reason, amount: schema.refundCases.amount })
        .from(schema.refundCases)
        .where(eq(schema.refundCases.id, bill.refundCaseId))
    : [];
  const amount = refundCase ? Math.min(refundCase.amount, bill.refundable) : bill.refundable;
  return {
    orderId,
    billId,
    orderReference: bill.order.reference,
    paymentTool: bill.order.paymentTool,
    agencyCode: bill.agencyCode,
    ...(await billLabels(db, billId)),
    charged: bill.charged,
    refundable: bill.refundable,
    chain: bill.chain,
    refundCase: refundCase ?? null,
    prefill: { amount: amount > 0 ? String(amount) : "", reason: refundCase ? REFUND_REASON_OF_CASE[refundCase.reason] : "" },
  };
}

// ---- The request form ------------------------------------------------------------------

type RequestField = "amount" | "reason" | "reasonText";
type RequestProblem =
  | "amountRequired"
  | "amountNotWhole"
  | "amountTooSmall"
  | "amountOverRefundable"
  | "reasonRequired"
  | "reasonTextRequired"
  | "reasonTextTooLong";

type RequestValues = Record<RequestField, string>;

const REASON_TEXT_MAX = 500;

/** Whole NT dollars as people type them: digits, maybe thousands separators or spaces; full-width digits read as digits. */
const typedAmount = z
  .string()
  .transform((value) => value.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[\s,，]/g, ""))
  .pipe(
    z
      .string()
      .min(1, "amountRequired")
      .regex(/^-?\d+(\.\d+)?$/, "amountNotWhole")
      .transform(Number)
      .pipe(z.number().min(1, "amountTooSmall").max(1_000_000_000, "amountOverRefundable").int("amountNotWhole")),
  );

const requestSchema = z
  .object({
    amount: typedAmount,
    reason: z.enum(REFUND_REASONS, { error: "reasonRequired" }),
    reasonText: z
      .string()
      .transform((value) => value.trim())
      .pipe(z.string().max(REASON_TEXT_MAX, "reasonTextTooLong")),
  })
  .refine((value) => value.reason !== "other" || value.reasonText.length > 0, { path: ["reasonText"], message: "reasonTextRequired" });

/** The request's fields as typed (bounded: they are shown again). */
function requestValues(form: FormData): RequestValues {
  const text = (name: RequestField, max: number) => String(form.get(name) ?? "").slice(0, max);
  return { amount: text("amount", 40), reason: text("reason", 40), reasonText: text("reasonText", 2_000) };
}

function parseRequestForm(
  form: FormData,
  refundable: number,
):
  | { ok: true; amount: number; reason: RefundReason; reasonText: string; values: RequestValues }
  | { ok: false; errors: Partial<Record<RequestField, RequestProblem>>; values: RequestValues } {
  const values = requestValues(form);
  const parsed = requestSchema.safeParse(values);
  const errors: Partial<Record<RequestField, RequestProblem>> = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = (issue.path[0] ?? "amount") as RequestField;
      errors[field] ??= issue.message as RequestProblem;
    }
  } else if (parsed.data.amount > refundable) errors.amount = "amountOverRefundable";
  if (!parsed.success || errors.amount) return { ok: false, errors, values };
  return { ok: true, ...parsed.data, values };
}

/** Where a request stands after the page's action: the form (again), the act to sign, or filed. */
export type RefundRequestState =
  | {
      stage: "ask";
      errors?: Partial<Record<RequestField, RequestProblem>>;
      /** The service's or the passkey's refusal, for the whole form. */
      refusal?: Exclude<RefundRequestRefusal, "amount_exceeds_refundable"> | "signature_refused";
      values?: RequestValues;
    }
  | { stage: "confirm"; options: object; content: RefundContent; values: RequestValues }
  | { stage: "filed"; refundId: string; number: string };

/**
 * The two steps of a request as one action: intent "refund-prepare" (the
 * form) answers with the act to sign, "refund-confirm" (the signature) files
 * it. Null for an intent the page has not.
 */
export async function answerRefundRequest(
  ctx: PaymentContext,
  staff: StaffActor,
  page: RefundRequestPage,
  form: FormData,
): Promise<RefundRequestState | null> {
  const intent = form.get("intent");
  // Back from the signature to the form, with what was typed.
  if (intent === "refund-edit") return { stage: "ask", values: requestValues(form) };
  if (intent === "refund-confirm") {
    const values = requestValues(form);
    const confirmed = await confirmPostedStepUp(
      ctx.db,
      ctx.env,
      staff.staffId,
      {
        kind: REFUND_STEP_KIND,
        accepts: (act) => acceptsRefundRequest(act) && sameBill(act.refund, page),
      },
      form,
    );
    if (!confirmed.ok) {
      await auditRefusedSignature(ctx.db, staff, "refund_request", page.orderId, confirmed.reason);
      return { stage: "ask", refusal: "signature_refused", values };
    }
    const filed = await fileRefundRequest(ctx, asRefundStaff(staff), confirmed.signed);
    if (!filed.ok) return refusedRequest(filed.refusal, values);
    return { stage: "filed", refundId: filed.refund.id, number: filed.refund.number };
  }
  if (intent !== "refund-prepare") return null;
  const parsed = parseRequestForm(form, page.refundable);
  if (!parsed.ok) return { stage: "ask", errors: parsed.errors, values: parsed.values };
  const draft = await draftRefundRequest(ctx.db, asRefundStaff(staff), {
    orderId: page.orderId,
    billId: page.billId,
    amount: parsed.amount,
    reason: parsed.reason,
    reasonText: parsed.reasonText,
  });
  if (!draft.ok) return refusedRequest(draft.refusal, parsed.values);
  const { options } = await prepareStepUp(ctx.db, ctx.env, staff.staffId, draft.act);
  return { stage: "confirm", options, content: draft.content, values: parsed.values };
}

const sameBill = (signed: unknown, page: Pick<RefundRequestPage, "orderId" | "billId">) =>
  typeof signed === "object" &&
  signed !== null &&
  (signed as RefundContent).orderId === page.orderId &&
  (signed as RefundContent).billId === page.billId;

function refusedRequest(refusal: RefundRequestRefusal, values: RequestValues): RefundRequestState {
  // Over what is refundable is the amount's problem: the field says so, with what is refundable now.
  if (refusal === "amount_exceeds_refundable") return { stage: "ask", errors: { amount: "amountOverRefundable" }, values };
  return { stage: "ask", refusal, values };
}

async function auditRefusedSignature(db: Database, staff: StaffActor, act: string, targetId: string, reason: StepUpRefusal) {
  await auditStaffAct(
    staff,
    {
      action: "refund.signature_refused",
      targetType: act === "refund_request" ? "payment_order" : "refund",
      targetId,
      details: { act, reason },
    },
    db,
  );
}

// ---- One refund ------------------------------------------------------------------------

export interface RefundStepView {
  position: number;
  step: string;
  role: AgencyRole;
  taken: {
    staffId: string;
    staffName: string;
    actingForName: string | null;
    decision: "approve" | "reject";
    note: string;
    at: string;
    signedActId: string;
  } | null;
}

export interface RefundView extends BillLabels {
  id: string;
  number: string;
  state: RefundState;
  amount: number;
  refundableAsSeen: number;
  reason: RefundReason;
  reasonText: string;
  agencyCode: string;
  orderId: string;
  billId: string;
  orderReference: string;
  paymentTool: PaymentTool;
  provider: string;
  charged: number;
  refundCase: { id: string; reason: RefundCaseReason; state: string } | null;
  /** Break glass: the operator who ran it at the command line (no chain). */
  operator: string | null;
  providerRefundId: string | null;
  createdAt: string;
  releasedAt: string | null;
  refundedAt: string | null;
  updatedAt: string;
  steps: RefundStepView[];
  /** The next step while the refund is in approval, and who could take it now. */
  next: { position: number; step: string; role: AgencyRole; candidates: string[] } | null;
  /** Whether the viewer may take the next step now, or why not. */
  viewer: { may: true } | { may: false; reason: ChainRefusal | "not_in_approval" };
}

async function refundInReach(db: Database, staff: StaffActor, refundId: string) {
  if (!UUID.test(refundId)) return null;
  const [refund] = await db.select().from(schema.refunds).where(eq(schema.refunds.id, refundId));
  if (!refund || !allows(staff.roles, "refunds.view", refund.agencyCode)) return null;
  return refund;
}

async function namesOf(db: Database, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: schema.staff.id, name: schema.staff.displayName })
    .from(schema.staff)
    .where(inArray(schema.staff.id, unique));
  return new Map(rows.map((row) => [row.id, row.name]));
}

/**
 * Who could take a step of `role` in `agencyCode` now: the holders, and
 * anyone standing in for one, less everyone already in the chain (nobody
 * takes two steps; a proxy not for someone in it either).
 */
async function candidatesFor(db: Database, role: AgencyRole, agencyCode: string, inChain: ReadonlySet<string>, now: Date) {
  const holders = await db
    .select({ id: schema.staff.id, name: schema.staff.displayName })
    .from(schema.staffRoles)
    .innerJoin(schema.staff, eq(schema.staffRoles.staffId, schema.staff.id))
    .where(
      and(
        eq(schema.staffRoles.role, role),
        eq(schema.staffRoles.agencyCode, agencyCode),
        isNull(schema.staffRoles.revokedAt),
        eq(schema.staff.active, true),
      ),
    );
  const proxies = await db
    .select({ proxyId: schema.staffProxies.proxyId, principalId: schema.staffProxies.principalId })
    .from(schema.staffProxies)
    .innerJoin(schema.staff, eq(schema.staffProxies.proxyId, schema.staff.id))
    .where(
      and(
        eq(schema.staffProxies.role, role),
        eq(schema.staffProxies.agencyCode, agencyCode),
        isNull(schema.staffProxies.revokedAt),
        lte(schema.staffProxies.startsAt, now),
        gt(schema.staffProxies.endsAt, now),
        eq(schema.staff.active, true),
      ),
    );
  const free = holders.filter((holder) => !inChain.has(holder.id));
  const standIns = proxies.filter(
    (p) => !inChain.has(p.proxyId) && !inChain.has(p.principalId) && holders.some((holder) => holder.id === p.principalId),
  );
  const names = await namesOf(
    db,
    standIns.map((p) => p.proxyId),
  );
  const holderName = (id: string) => holders.find((holder) => holder.id === id)?.name ?? "";
  return [
    ...free.map((holder) => ({ name: holder.name })),
    ...standIns.map((p) => ({ name: names.get(p.proxyId) ?? "", for: holderName(p.principalId) })),
  ];
}

/** One refund as the staff member may see it, or null (another agency's, or none). */
export async function viewRefund(db: Database, staff: StaffActor, refundId: string, now = new Date()): Promise<RefundView | null> {
  const refund = await refundInReach(db, staff, refundId);
  if (!refund) return null;
  const [order] = await db
    .select({
      reference: schema.paymentOrders.reference,
      paymentTool: schema.paymentOrders.paymentTool,
      provider: schema.paymentOrders.provider,
      charged: schema.paymentOrderItems.amount,
    })
    .from(schema.paymentOrders)
    .innerJoin(
      schema.paymentOrderItems,
      and(eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id), eq(schema.paymentOrderItems.billId, refund.billId)),
    )
    .where(eq(schema.paymentOrders.id, refund.orderId));
  const [refundCase] = refund.refundCaseId
    ? await db
        .select({ id: schema.refundCases.id, reason: schema.refundCases.reason, state: schema.refundCases.state })
        .from(schema.refundCases)
        .where(eq(schema.refundCases.id, refund.refundCaseId))
    : [];
  const taken = await takenSteps(db, refund.id);
  const names = await namesOf(db, [...taken.map((s) => s.staffId), ...taken.flatMap((s) => (s.actingFor ? [s.actingFor] : []))]);
  const steps: RefundStepView[] = refund.steps.map((planned, position) => {
    const step = taken.find((s) => s.position === position);
    return {
      position,
      step: planned.step,
      role: planned.role,
      taken: step
        ? {
            staffId: step.staffId,
            staffName: names.get(step.staffId) ?? "",
            actingForName: step.actingFor ? (names.get(step.actingFor) ?? "") : null,
            decision: step.decision,
            note: step.note,
            at: step.createdAt.toISOString(),
            signedActId: step.signedActId,
          }
        : null,
    };
  });
  let next: RefundView["next"] = null;
  let viewer: RefundView["viewer"] = { may: false, reason: "not_in_approval" };
  const planned = refund.steps[taken.length];
  if (refund.state === "in_approval" && planned) {
    const inChain = new Set(taken.flatMap((s) => [s.staffId, ...(s.actingFor ? [s.actingFor] : [])]));
    const candidates = await candidatesFor(db, planned.role, refund.agencyCode, inChain, now);
    next = {
      position: taken.length,
      step: planned.step,
      role: planned.role,
      candidates: candidates.map((c) => ("for" in c ? `${c.name} (${c.for})` : c.name)),
    };
    const may = mayTakeStep({ order: refund.steps, agencyCode: refund.agencyCode, taken }, planned.step, staff);
    viewer = may.ok ? { may: true } : { may: false, reason: may.reason };
  }
  return {
    id: refund.id,
    number: refund.number,
    state: refund.state,
    amount: refund.amount,
    refundableAsSeen: refund.refundableAsSeen,
    reason: refund.reason,
    reasonText: refund.reasonText,
    agencyCode: refund.agencyCode,
    orderId: refund.orderId,
    billId: refund.billId,
    orderReference: order!.reference,
    paymentTool: order!.paymentTool,
    provider: order!.provider,
    charged: order!.charged,
    ...(await billLabels(db, refund.billId)),
    refundCase: refundCase ?? null,
    operator: refund.operator,
    providerRefundId: refund.providerRefundId,
    createdAt: refund.createdAt.toISOString(),
    releasedAt: refund.releasedAt?.toISOString() ?? null,
    refundedAt: refund.refundedAt?.toISOString() ?? null,
    updatedAt: refund.updatedAt.toISOString(),
    steps,
    next,
    viewer,
  };
}

// ---- Taking a step -----------------------------------------------------------------------

type StepField = "decision" | "note";
type StepProblem = "decisionRequired" | "noteRequired" | "noteTooLong";
type StepValues = Record<StepField, string>;

const stepSchema = z
  .object({
    decision: z.enum(["approve", "reject"], { error: "decisionRequired" }),
    note: z
      .string()
      .transform((value) => value.trim())
      .pipe(z.string().max(REASON_TEXT_MAX, "noteTooLong")),
  })
  // Saying no ends the refund: the requester must be told why.
  .refine((value) => value.decision !== "reject" || value.note.length > 0, { path: ["note"], message: "noteRequired" });

/** What a step's outcome was, for the page after it. */
type StepOutcome = "approved" | "rejected" | RefundState;

export type RefundStepState =
  | {
      stage: "ask";
      errors?: Partial<Record<StepField, StepProblem>>;
      refusal?: RefundStepRefusal | "signature_refused";
      values?: StepValues;
    }
  | { stage: "confirm"; options: object; content: RefundContent; step: string; decision: "approve" | "reject"; note: string }
  | { stage: "taken"; outcome: StepOutcome }
  | { stage: "verified"; signatures: Record<string, boolean> };

/**
 * The refund page's actions: "step-prepare" (decision and note) answers with
 * the act to sign, "step-confirm" (the signature) takes the step, the last
 * approval releasing the refund; "verify" checks every step's signature
 * again. Null when the refund is not the staff member's to see, or the
 * intent is none of these.
 */
export async function answerRefundStep(
  ctx: PaymentContext,
  staff: StaffActor,
  refundId: string,
  form: FormData,
): Promise<RefundStepState | "not_found" | null> {
  const refund = await refundInReach(ctx.db, staff, refundId);
  if (!refund) return "not_found";
  const intent = form.get("intent");
  if (intent === "verify") return { stage: "verified", signatures: await verifyRefundSignatures(ctx, refund) };
  const values: StepValues = {
    decision: String(form.get("decision") ?? "").slice(0, 20),
    note: String(form.get("note") ?? "").slice(0, 2_000),
  };
  if (intent === "step-confirm") {
    const confirmed = await confirmPostedStepUp(
      ctx.db,
      ctx.env,
      staff.staffId,
      { kind: REFUND_STEP_KIND, accepts: acceptsRefundStep(refund.number) },
      form,
    );
    if (!confirmed.ok) {
      await auditRefusedSignature(ctx.db, staff, "refund_step", refund.id, confirmed.reason);
      return { stage: "ask", refusal: "signature_refused", values };
    }
    const result = await takeRefundStep(ctx, asRefundStaff(staff), refund.id, confirmed.signed);
    if (result.ok) {
      const outcome: StepOutcome = result.released ? result.refund.state : result.refund.state === "rejected" ? "rejected" : "approved";
      return { stage: "taken", outcome };
    }
    if (result.refusal === "stale") return { stage: "taken", outcome: "stale" };
    return { stage: "ask", refusal: result.refusal, values };
  }
  if (intent !== "step-prepare") return null;
  const parsed = stepSchema.safeParse(values);
  if (!parsed.success) {
    const errors: Partial<Record<StepField, StepProblem>> = {};
    for (const issue of parsed.error.issues) errors[(issue.path[0] ?? "decision") as StepField] ??= issue.message as StepProblem;
    return { stage: "ask", errors, values };
  }
  const draft = await draftRefundStep(ctx.db, asRefundStaff(staff), refund.id, parsed.data.decision, parsed.data.note);
  if (!draft.ok) return { stage: "ask", refusal: draft.refusal, values };
  const { options } = await prepareStepUp(ctx.db, ctx.env, staff.staffId, draft.act);
  return { stage: "confirm", options, content: draft.content, step: draft.act.step, ...parsed.data };
}

/** Each step's signature checked again: the passkey's signature holds, over this refund's content as it is. */
async function verifyRefundSignatures(ctx: PaymentContext, refund: typeof schema.refunds.$inferSelect): Promise<Record<string, boolean>> {
  const content = canonicalJson(await refundContent(ctx.db, refund));
  const steps = await takenSteps(ctx.db, refund.id);
  const acts = steps.length
    ? await ctx.db
        .select({ id: schema.signedActs.id, act: schema.signedActs.act })
        .from(schema.signedActs)
        .where(
          inArray(
            schema.signedActs.id,
            steps.map((s) => s.signedActId),
          ),
        )
    : [];
  const result: Record<string, boolean> = {};
  for (const step of steps) {
    const act = acts.find((a) => a.id === step.signedActId)?.act as { refund?: unknown } | undefined;
    result[step.signedActId] =
      act !== undefined && canonicalJson(act.refund) === content && (await verifySignedAct(ctx.db, ctx.env, step.signedActId));
  }
  return result;
}

// ---- The list ------------------------------------------------------------------------------

const REFUNDS_PAGE_SIZE = 25;
/** In-approval refunds looked at for "waiting for you" (the oldest first: they have waited longest). */
const WAITING_LIMIT = 200;

export interface RefundFilters {
  state: RefundState | null;
  page: number;
}

export function parseRefundFilters(params: URLSearchParams): RefundFilters {
  const state = params.get("state");
  return {
    state: (REFUND_STATES as readonly (string | null)[]).includes(state) ? (state as RefundState) : null,
    page: pageNumber(params),
  };
}

export interface RefundRow {
  id: string;
  number: string;
  state: RefundState;
  amount: number;
  agencyCode: string;
  billTypeNameZh: string;
  billTypeNameEn: string;
  writeOffNumber: string;
  orderReference: string;
  createdAt: string;
  /** While in approval: the step to take next. */
  nextStep: { step: string; role: AgencyRole } | null;
}

const rowColumns = {
  refund: schema.refunds,
  billTypeNameZh: schema.billTypes.nameZh,
  billTypeNameEn: schema.billTypes.nameEn,
  writeOffNumber: schema.bills.writeOffNumber,
  orderReference: schema.paymentOrders.reference,
};

function selectRows(db: Database) {
  return db
    .select(rowColumns)
    .from(schema.refunds)
    .innerJoin(schema.bills, eq(schema.refunds.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .innerJoin(schema.paymentOrders, eq(schema.refunds.orderId, schema.paymentOrders.id))
    .$dynamic();
}

type Row = Awaited<ReturnType<ReturnType<typeof selectRows>["execute"]>>[number];

function toRow(row: Row, takenCount: number): RefundRow {
  const next = row.refund.state === "in_approval" ? row.refund.steps[takenCount] : undefined;
  return {
    id: row.refund.id,
    number: row.refund.number,
    state: row.refund.state,
    amount: row.refund.amount,
    agencyCode: row.refund.agencyCode,
    billTypeNameZh: row.billTypeNameZh,
    billTypeNameEn: row.billTypeNameEn,
    writeOffNumber: row.writeOffNumber,
    orderReference: row.orderReference,
    createdAt: row.refund.createdAt.toISOString(),
    nextStep: next ? { step: next.step, role: next.role } : null,
  };
}

async function stepsOf(db: Database, refundIds: readonly string[]) {
  if (refundIds.length === 0) return [];
  return db
    .select({
      refundId: schema.refundSteps.refundId,
      step: schema.refundSteps.step,
      staffId: schema.refundSteps.staffId,
      actingFor: schema.refundSteps.actingFor,
      position: schema.refundSteps.position,
    })
    .from(schema.refundSteps)
    .where(inArray(schema.refundSteps.refundId, [...refundIds]))
    .orderBy(schema.refundSteps.position);
}

/**
 * The refunds of the agencies in reach: first those whose next step the
 * staff member may take now ("waiting for you", the longest waiting first),
 * then every refund the filter keeps, newest first, a page at a time.
 */
export async function listRefunds(
  db: Database,
  staff: StaffActor,
  filters: RefundFilters,
): Promise<{ waiting: RefundRow[]; rows: RefundRow[]; total: number; page: number; pageCount: number }> {
  const reach = agenciesFor(staff.roles, "refunds.view");
  if (reach !== "all" && reach.length === 0) return { waiting: [], rows: [], total: 0, page: filters.page, pageCount: 1 };
  const inReach = reach === "all" ? undefined : inArray(schema.refunds.agencyCode, reach);

  const open = await selectRows(db)
    .where(and(inReach, eq(schema.refunds.state, "in_approval")))
    .orderBy(schema.refunds.createdAt)
    .limit(WAITING_LIMIT);
  const openSteps = await stepsOf(
    db,
    open.map((row) => row.refund.id),
  );
  const waiting = open.flatMap((row) => {
    const taken = openSteps.filter((s) => s.refundId === row.refund.id);
    const next = row.refund.steps[taken.length];
    if (!next) return [];
    const may = mayTakeStep({ order: row.refund.steps, agencyCode: row.refund.agencyCode, taken }, next.step, staff);
    return may.ok ? [toRow(row, taken.length)] : [];
  });

  const where = and(inReach, filters.state ? eq(schema.refunds.state, filters.state) : undefined);
  const [counted] = await db.select({ n: count() }).from(schema.refunds).where(where);
  const total = counted?.n ?? 0;
  const page = await selectRows(db)
    .where(where)
    .orderBy(desc(schema.refunds.createdAt), desc(schema.refunds.id))
    .limit(REFUNDS_PAGE_SIZE)
    .offset((filters.page - 1) * REFUNDS_PAGE_SIZE);
  const pageSteps = await stepsOf(
    db,
    page.filter((row) => row.refund.state === "in_approval").map((row) => row.refund.id),
  );
  return {
    waiting,
    rows: page.map((row) => toRow(row, pageSteps.filter((s) => s.refundId === row.refund.id).length)),
    total,
    page: filters.page,
    pageCount: pageCount(total, REFUNDS_PAGE_SIZE),
  };
}

// ---- Refunds seen from a payment -------------------------------------------------------

export interface PaymentBillRefunds {
  billId: string;
  refundable: number;
  /** Whether the staff member may ask for a refund of this bill now (refunds.request for its agency, something left). */
  mayRequest: boolean;
  /** Whether they may open its refunds (refunds.view for its agency). */
  mayView: boolean;
  refunds: Array<{ id: string; number: string; state: RefundState; amount: number; createdAt: string }>;
}

/** Per bill of a payment (those the staff member sees): what is still refundable, and its refunds. */
export async function refundsOfPayment(
  db: Database,
  staff: StaffActor,
  orderId: string,
  billIds: readonly string[],
): Promise<PaymentBillRefunds[]> {
  if (billIds.length === 0) return [];
  const refunds = await db
    .select({
      id: schema.refunds.id,
      billId: schema.refunds.billId,
      number: schema.refunds.number,
      state: schema.refunds.state,
      amount: schema.refunds.amount,
      createdAt: schema.refunds.createdAt,
    })
    .from(schema.refunds)
    .where(and(eq(schema.refunds.orderId, orderId), inArray(schema.refunds.billId, [...billIds])))
    .orderBy(schema.refunds.createdAt);
  const result: PaymentBillRefunds[] = [];
  for (const billId of billIds) {
    const bill = await refundableBill(db, orderId, billId);
    if (!bill) continue;
    result.push({
      billId,
      refundable: bill.refundable,
      mayRequest: bill.refundable > 0 && allows(staff.roles, "refunds.request", bill.agencyCode),
      mayView: allows(staff.roles, "refunds.view", bill.agencyCode),
      refunds: refunds
        .filter((r) => r.billId === billId)
        .map(({ billId: _bill, createdAt, ...r }) => ({ ...r, createdAt: createdAt.toISOString() })),
    });
  }
  return result;
}

/** The refunds settling these duplicate-payment cases, the latest of each case. */
export async function refundsOfCases(
  db: Database,
  caseIds: readonly string[],
): Promise<Map<string, { id: string; number: string; state: RefundState; open: boolean }>> {
  const found = new Map<string, { id: string; number: string; state: RefundState; open: boolean }>();
  if (caseIds.length === 0) return found;
  const rows = await db
    .select({ caseId: schema.refunds.refundCaseId, id: schema.refunds.id, number: schema.refunds.number, state: schema.refunds.state })
    .from(schema.refunds)
    .where(inArray(schema.refunds.refundCaseId, [...caseIds]))
    .orderBy(schema.refunds.createdAt);
  for (const row of rows)
    found.set(row.caseId!, { id: row.id, number: row.number, state: row.state, open: REFUND_STATES_OPEN.includes(row.state) });
  return found;
}
