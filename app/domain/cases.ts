import { foldIdentifier } from "./text";

/**
 * Applications (申辦案件) residents file at the city's e-counter (服務e櫃檯) and
 * follow here: each has a service, a case number, a timeline of statuses and
 * zero or more fees, each fee a bill the portal takes payment for. The
 * e-counter decides the statuses; the portal shows them and says what the
 * resident has to do next. The protocol is docs/ecounter-cases.md.
 */

/** The statuses of a case's timeline, in the order a case usually moves through them. */
export const CASE_STATUSES = [
  "applied", // 已申請
  "awaiting_payment", // 待繳費
  "paid", // 已繳費
  "under_review", // 審查中
  "more_documents_needed", // 待補件
  "done", // 已結案
  "rejected", // 已駁回
  "withdrawn", // 已撤回
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const isCaseStatus = (value: unknown): value is CaseStatus => CASE_STATUSES.includes(value as CaseStatus);

/** A case in one of these is closed: nothing more happens to it, and nothing is asked of the resident. */
const CLOSED_CASE_STATUSES = ["done", "rejected", "withdrawn"] as const satisfies readonly CaseStatus[];
export const isClosedCaseStatus = (status: CaseStatus): boolean => (CLOSED_CASE_STATUSES as readonly CaseStatus[]).includes(status);

/**
 * Case numbers (案件編號) as the e-counter prints them on the receipt of
 * application: two letters for the service, then ten digits (the ROC year,
 * the month and a serial), e.g. `AC1151100021`. Typed with spaces, dashes,
 * lower case or full-width characters, they are folded first.
 */
export const CASE_NUMBER_PATTERN = /^[A-Z]{2}\d{10}$/;

/** The check code (查詢碼) printed next to the case number: six digits, the second factor of the public query. */
const CHECK_CODE_PATTERN = /^\d{6}$/;

export type CaseNumberProblem = "empty" | "shape";
export type CheckCodeProblem = "empty" | "shape";

export function normalizeCaseNumber(raw: string): { ok: true; value: string } | { ok: false; problem: CaseNumberProblem } {
  const folded = foldIdentifier(raw);
  if (folded === "") return { ok: false, problem: "empty" };
  return CASE_NUMBER_PATTERN.test(folded) ? { ok: true, value: folded } : { ok: false, problem: "shape" };
}

export function normalizeCheckCode(raw: string): { ok: true; value: string } | { ok: false; problem: CheckCodeProblem } {
  const folded = foldIdentifier(raw);
  if (folded === "") return { ok: false, problem: "empty" };
  return CHECK_CODE_PATTERN.test(folded) ? { ok: true, value: folded } : { ok: false, problem: "shape" };
}

/** A fee of a case as the portal shows it: its bill, and where that bill stands here. */
export type CaseFeeState = "payable" | "paid" | "cancelled";

export interface CaseTimelineEntry {
  status: CaseStatus;
  /** ISO 8601. */
  at: string;
  /** What the e-counter says with it (the documents missing, the reason of a rejection), in each language. */
  noteZh?: string;
  noteEn?: string;
}

/** What the resident has to do next, read off the case (its status, its fees, the e-counter's deadline). */
export type CaseNextStep =
  | { kind: "pay"; dueDate: string; amount: number }
  | { kind: "send_documents"; dueDate: string | null }
  | { kind: "wait" }
  | { kind: "none" };

export function caseNextStep(
  status: CaseStatus,
  fees: ReadonlyArray<{ state: CaseFeeState; dueDate: string; amount: number }>,
  documentsDue: string | null,
): CaseNextStep {
  if (isClosedCaseStatus(status)) return { kind: "none" };
  const owed = fees.filter((fee) => fee.state === "payable");
  if (owed.length > 0) {
    return {
      kind: "pay",
      dueDate: owed.map((fee) => fee.dueDate).sort()[0]!,
      amount: owed.reduce((total, fee) => total + fee.amount, 0),
    };
  }
  if (status === "more_documents_needed") return { kind: "send_documents", dueDate: documentsDue };
  return { kind: "wait" };
}

/** The timeline oldest first, as the e-counter may send it in any order; equal times keep its order. */
export function sortedTimeline<T extends { at: string }>(timeline: readonly T[]): T[] {
  return timeline
    .map((entry, index) => ({ entry, index, time: Date.parse(entry.at) }))
    .sort((a, b) => a.time - b.time || a.index - b.index)
    .map(({ entry }) => entry);
}

/** Cases newest first (by the date of application, then case number), as "My applications" lists them. */
export function newestCasesFirst<T extends { appliedAt: string; caseNumber: string }>(cases: readonly T[]): T[] {
  return [...cases].sort((a, b) => Date.parse(b.appliedAt) - Date.parse(a.appliedAt) || b.caseNumber.localeCompare(a.caseNumber));
}

/**
 * What a status mail tells the resident to do next, read off the new status
 * alone (the mail is written from the feed of changes, which names no fees):
 * pay in the portal, send the documents at the e-counter, nothing (closed),
 * or wait for the e-counter.
 */
export type StatusChangeNextStep = "pay" | "send_documents" | "none" | "wait";

export function nextStepAfterChange(status: CaseStatus): StatusChangeNextStep {
  if (isClosedCaseStatus(status)) return "none";
  if (status === "awaiting_payment") return "pay";
  if (status === "more_documents_needed") return "send_documents";
  return "wait";
}
