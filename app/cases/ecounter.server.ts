import { createHmac } from "node:crypto";
import { z } from "zod";
import { CASE_NUMBER_PATTERN, CASE_STATUSES, sortedTimeline } from "~/domain/cases";
import { PAYMENT_CHANNELS } from "~/domain/catalogue";
import type { Env } from "~/base/env.server";
import { SignedPostFailed, signedJsonPost } from "~/base/signatures.server";
import { observeEcounterCall } from "~/base/metrics.server";

/**
 * The HTTP adapter of the e-counter (服務e櫃檯), the city's system of online
 * applications. Every call is a signed POST, as with the bill sources
 * (X-Portal-Key-Id / X-Portal-Timestamp / X-Portal-Signature), with the
 * e-counter's own timeout; docs/ecounter-cases.md is the protocol:
 *
 *   POST <url>/applicant-cases {"applicant": "<digest>"}              → 200 {"cases": [Case]}
 *   POST <url>/case-status     {"caseNumber": "…", "checkCode": "…"}  → 200 {"case": Case} | 404 {"error": "no_match"}
 *   POST <url>/case-changes    {"after": "<cursor>" | null, "limit": n} → 200 {"changes": [Change], "cursor": "…"}
 *   POST <url>/pending-bills   {"subjects": ["<case number>"]}        → the bill sources' answer (sources.server.ts)
 *
 * The applicant is named by a digest, never by the national ID itself: an
 * HMAC-SHA256 of the ID under a key the two systems share, so a leaked
 * request or database row names nobody.
 */

export type EcounterConfig = NonNullable<Env["ecounter"]>;

export class EcounterUnavailable extends Error {
  constructor(
    readonly reason: "timeout" | "http_error" | "bad_answer" | "network" | "not_configured",
    detail: string,
  ) {
    super(`ecounter: ${reason} (${detail})`);
  }
}

/** How the e-counter knows an applicant: the HMAC of the national ID (upper case) under the shared key, hex. */
export function applicantDigest(nationalId: string, applicantKey: string): string {
  return createHmac("sha256", applicantKey).update(nationalId.trim().toUpperCase()).digest("hex");
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const isoTime = z.iso.datetime({ offset: true });
const words = (max: number) => z.string().min(1).max(max);

const caseFee = z
  .object({
    billType: words(40),
    writeOffNumber: words(40),
    payerName: words(60),
    amount: z.number().int().positive().max(999_999_999),
    issuedOn: isoDate,
    dueDate: isoDate,
    period: z.string().regex(/^[0-9A-Z]{4}$/),
    /** Where the fee stands at the e-counter: "paid" names where, unless it was paid here ("portal"). */
    status: z.enum(["unpaid", "paid", "cancelled"]),
    settledAt: isoTime.optional(),
    channel: z.enum(PAYMENT_CHANNELS).optional(),
  })
  .refine((fee) => fee.dueDate >= fee.issuedOn, "due before issued")
  .refine((fee) => fee.status === "unpaid" || fee.settledAt !== undefined, "a settled fee says when")
  .refine((fee) => fee.status !== "paid" || fee.channel !== undefined, "a paid fee says where");
export type EcounterFee = z.infer<typeof caseFee>;

const timelineEntry = z.object({
  status: z.enum(CASE_STATUSES),
  at: isoTime,
  noteZh: z.string().max(300).optional(),
  noteEn: z.string().max(600).optional(),
});

const service = z.object({
  code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/),
  nameZh: words(60),
  nameEn: words(120),
  agencyZh: words(60),
  agencyEn: words(120),
});

const caseSchema = z.object({
  caseNumber: z.string().regex(CASE_NUMBER_PATTERN),
  service,
  appliedAt: isoTime,
  timeline: z.array(timelineEntry).min(1).max(50),
  /** When more documents are needed: by when (a date), if the e-counter set one. */
  documentsDue: isoDate.nullable().optional(),
  fees: z.array(caseFee).max(10),
});
export type EcounterCase = z.infer<typeof caseSchema>;

const caseChange = z.object({
  cursor: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/),
  applicant: z.string().regex(/^[0-9a-f]{64}$/),
  caseNumber: z.string().regex(CASE_NUMBER_PATTERN),
  service,
  status: z.enum(CASE_STATUSES),
  at: isoTime,
});
export type CaseChange = z.infer<typeof caseChange>;

const failureReason = (error: unknown) => (error instanceof EcounterUnavailable ? error.reason : undefined);

/** One call to the e-counter, timed and its failures counted for the metrics (by its protocol's operation, never a case). */
const observed = <T>(operation: string, work: () => Promise<T>) => observeEcounterCall(operation, failureReason, work);

async function signedPost(config: EcounterConfig, path: string, payload: unknown): Promise<Response> {
  try {
    return await signedJsonPost(config, path, payload, config.timeoutMs);
  } catch (error) {
    if (!(error instanceof SignedPostFailed)) throw error;
    throw new EcounterUnavailable(error.reason, error.message);
  }
}

async function readJson<T extends z.ZodType>(response: Response, shape: T): Promise<z.infer<T>> {
  if (!response.ok) {
    await response.body?.cancel();
    throw new EcounterUnavailable("http_error", `HTTP ${response.status}`);
  }
  try {
    return shape.parse(await response.json());
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new EcounterUnavailable(timedOut ? "timeout" : "bad_answer", String(error).slice(0, 200));
  }
}

/** Keeps the entries of the agreed shape, timelines oldest first; counts the others (logged, never shown). */
function wellFormedCases(entries: readonly unknown[]): { cases: EcounterCase[]; rejected: number } {
  const cases: EcounterCase[] = [];
  let rejected = 0;
  for (const entry of entries) {
    const parsed = caseSchema.safeParse(entry);
    if (parsed.success) cases.push({ ...parsed.data, timeline: sortedTimeline(parsed.data.timeline) });
    else rejected += 1;
  }
  return { cases, rejected };
}

/** Every case of one applicant. One malformed case is dropped, not the whole answer. */
export function fetchApplicantCases(config: EcounterConfig, applicant: string): Promise<{ cases: EcounterCase[]; rejected: number }> {
  return observed("applicant-cases", async () => {
    const response = await signedPost(config, "applicant-cases", { applicant });
    const answer = await readJson(response, z.object({ cases: z.array(z.unknown()).max(200) }));
    return wellFormedCases(answer.cases);
  });
}

/**
 * One case by its number and check code, or null when the two do not match
 * a case (the e-counter does not say which of them was wrong).
 */
export function fetchCaseStatus(config: EcounterConfig, caseNumber: string, checkCode: string): Promise<EcounterCase | null> {
  return observed("case-status", () => askCaseStatus(config, caseNumber, checkCode));
}

async function askCaseStatus(config: EcounterConfig, caseNumber: string, checkCode: string): Promise<EcounterCase | null> {
  const response = await signedPost(config, "case-status", { caseNumber, checkCode });
  if (response.status === 404) {
    await response.body?.cancel();
    return null;
  }
  const answer = await readJson(response, z.object({ case: z.unknown() }));
  const { cases } = wellFormedCases([answer.case]);
  if (cases.length === 0) throw new EcounterUnavailable("bad_answer", "case not of the agreed shape");
  // The answer must be the case asked about, whatever else the e-counter says.
  if (cases[0]!.caseNumber !== caseNumber) throw new EcounterUnavailable("bad_answer", "another case answered");
  return cases[0]!;
}

/**
 * Status changes after a cursor, oldest first, and the cursor to ask after
 * next. `after: null` asks for no changes, only the cursor of now: a portal
 * starting to read the feed does not tell residents of old changes.
 */
export function fetchCaseChanges(
  config: EcounterConfig,
  after: string | null,
  limit = 100,
): Promise<{ changes: CaseChange[]; cursor: string; rejected: number }> {
  return observed("case-changes", () => askCaseChanges(config, after, limit));
}

async function askCaseChanges(
  config: EcounterConfig,
  after: string | null,
  limit: number,
): Promise<{ changes: CaseChange[]; cursor: string; rejected: number }> {
  const response = await signedPost(config, "case-changes", { after, limit });
  const answer = await readJson(
    response,
    z.object({ changes: z.array(z.unknown()).max(1000), cursor: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/) }),
  );
  const changes: CaseChange[] = [];
  let rejected = 0;
  for (const entry of answer.changes) {
    const parsed = caseChange.safeParse(entry);
    if (parsed.success) changes.push(parsed.data);
    else rejected += 1;
  }
  return { changes, cursor: answer.cursor, rejected };
}
