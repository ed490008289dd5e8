import type { AgencyRole } from "./staff";
import { AGENCY_ROLES } from "./staff";

/**
 * Refunds (退款): money given back for one bill of a paid order. The issuing
 * agency's handler requests it; the agency's approval chain approves it step
 * by step, each step signed with a passkey over the refund's content; the
 * last step releases it to the provider. Plain rules over plain data.
 */

/** Why a refund is asked for (the free text beside it says more). */
export const REFUND_REASONS = [
  "duplicate_payment",
  "paid_elsewhere",
  "bill_cancelled",
  "amount_corrected",
  "payer_request",
  "other",
] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/**
 * - `in_approval`: requested, steps still to take;
 * - `releasing`: the release is signed and the provider is being called;
 * - `unknown`: the provider was called and did not answer: recovery asks it;
 * - `refunded`: the provider refunded it (final);
 * - `provider_refused`: the provider said no (final; nothing left the account);
 * - `rejected`: an approver said no (final);
 * - `stale`: at release the bill's refundable amount was no longer what the
 *   approvers saw (final; request again if still wanted);
 * - `withdrawn`: the requester took it back before release (final).
 */
export const REFUND_STATES = [
  "in_approval",
  "releasing",
  "unknown",
  "refunded",
  "provider_refused",
  "rejected",
  "stale",
  "withdrawn",
] as const;
export type RefundState = (typeof REFUND_STATES)[number];

const REFUND_NEXT: Record<RefundState, readonly RefundState[]> = {
  in_approval: ["releasing", "rejected", "stale", "withdrawn"],
  releasing: ["refunded", "provider_refused", "unknown"],
  unknown: ["refunded", "provider_refused"],
  refunded: [],
  provider_refused: [],
  rejected: [],
  stale: [],
  withdrawn: [],
};

export function canRefundTransition(from: RefundState, to: RefundState): boolean {
  return REFUND_NEXT[from].includes(to);
}

/** States in which the refund's money may be gone or is going: they count against what can still be refunded. */
const REFUND_STATES_HOLDING_MONEY: readonly RefundState[] = ["releasing", "unknown", "refunded"];

/** States still open: the refund is under way (the payer is told so). */
export const REFUND_STATES_OPEN: readonly RefundState[] = ["in_approval", "releasing", "unknown"];

/**
 * What can still be refunded of a bill's part of an order: what it was
 * charged less every refund that has taken (or may have taken) money.
 */
export function refundableAmount(charged: number, refunds: ReadonlyArray<{ amount: number; state: RefundState }>): number {
  const taken = refunds.filter((r) => REFUND_STATES_HOLDING_MONEY.includes(r.state)).reduce((sum, r) => sum + r.amount, 0);
  return Math.max(0, charged - taken);
}

/**
 * An approval chain: the roles that approve a refund after the handler's
 * request, in order; the last one releases it. At least one step, each a
 * role of the agency, none twice; the handler does not approve (the request
 * is theirs). Combined with `mayTakeStep` (nobody holds two steps) a refund
 * always passes at least two different people.
 */
export type ApprovalChain = readonly AgencyRole[];

export const DEFAULT_APPROVAL_CHAIN: ApprovalChain = ["reviewer", "releaser"];

export type ApprovalChainProblem = "empty" | "unknown_role" | "handler_approves" | "repeated_role" | "too_long";

export function checkApprovalChain(chain: readonly string[]): ApprovalChainProblem | null {
  if (chain.length === 0) return "empty";
  if (chain.length > 5) return "too_long";
  if (chain.some((role) => !(AGENCY_ROLES as readonly string[]).includes(role))) return "unknown_role";
  if (chain.includes("handler")) return "handler_approves";
  if (new Set(chain).size !== chain.length) return "repeated_role";
  return null;
}

/** The steps of a refund: the request, then one per role of the chain; the last is the release. */
export function refundSteps(chain: ApprovalChain): Array<{ step: string; role: AgencyRole }> {
  return [
    { step: "request", role: "handler" },
    ...chain.map((role, i) => ({ step: i === chain.length - 1 ? "release" : `approve_${role}`, role })),
  ];
}

/** Refund numbers (退款編號): RF + Taiwan date + 6 characters, printed on the payer's receipt and the agency's statement. */
export const REFUND_NUMBER_PATTERN = /^RF\d{8}[0-9A-Z]{6}$/;
