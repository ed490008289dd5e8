import type { Logger } from "pino";
import { normalizeCaseNumber, normalizeCheckCode, type CaseNumberProblem, type CheckCodeProblem } from "~/domain/cases";
import { maskIdentifier } from "~/domain/masking";
import type { BillPaidTwice } from "~/bills/sources.server";
import { caseByNumber, type CaseView } from "~/cases/cases.server";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import type { CaptchaCheck } from "./captcha.server";
import { billFindingLimits } from "./lookup.server";
import { tallyLookup } from "./tallies.server";

/**
 * The public status query of an application (申辦案件進度查詢): a case number
 * and the check code printed next to it on the receipt of application. The
 * order is the bill look-up's: both formats first (no database or e-counter
 * work for a typo), then the look-up's rate limits (the same budget per
 * address, and one per case number), then the captcha, then the e-counter.
 * A wrong number and a wrong check code are one answer and one failure.
 */

export type CaseQueryOutcome =
  | { kind: "found"; case: CaseView; paidTwice: BillPaidTwice[] }
  | { kind: "invalid"; problems: { caseNumber?: CaseNumberProblem; checkCode?: CheckCodeProblem } }
  | { kind: "captcha"; check: Exclude<CaptchaCheck, "ok"> | "empty" }
  | { kind: "no_match" }
  | { kind: "rate_limited"; retryAfterSeconds: number }
  /** The e-counter did not answer (or this portal has none): not the resident's failure. */
  | { kind: "unavailable" };

export interface CaseQueryContext {
  env: Env;
  clientAddress: string;
  sessionId: string;
  logger: Logger;
}

interface CaseQueryInput {
  caseNumber: string;
  checkCode: string;
  captchaToken: string;
  captchaAnswer: string;
}

/** The rate limits' key of a case number: the look-up's limits are kept per bill type and number. */
const LIMIT_KEY = "case";

export async function queryCaseStatus(
  db: Database,
  ctx: CaseQueryContext,
  input: CaseQueryInput,
  now = new Date(),
): Promise<CaseQueryOutcome> {
  const caseNumber = normalizeCaseNumber(input.caseNumber);
  const checkCode = normalizeCheckCode(input.checkCode);
  let outcome: CaseQueryOutcome;
  let told: string;
  if (caseNumber.ok && checkCode.ok) {
    const asked = await checkAndAsk(db, ctx, input, caseNumber.value, checkCode.value, now);
    outcome = asked.outcome;
    told = asked.told;
  } else {
    outcome = {
      kind: "invalid",
      problems: { caseNumber: caseNumber.ok ? undefined : caseNumber.problem, checkCode: checkCode.ok ? undefined : checkCode.problem },
    };
    told = "invalid_case_number";
  }
  ctx.logger.info(
    { caseNumber: caseNumber.ok ? maskIdentifier(caseNumber.value, 4, 2) : "(invalid)", outcome: told },
    "application status query",
  );
  tallyLookup(db, { way: "case_query", billTypeCode: null, outcome: told }, now);
  return outcome;
}

async function checkAndAsk(
  db: Database,
  ctx: CaseQueryContext,
  input: CaseQueryInput,
  caseNumber: string,
  checkCode: string,
  now: Date,
): Promise<{ outcome: CaseQueryOutcome; told: string }> {
  const limits = billFindingLimits(db, ctx.env, ctx.clientAddress);
  const retryAfterSeconds = await limits.admit(LIMIT_KEY, caseNumber, now);
  if (retryAfterSeconds !== null) return { outcome: { kind: "rate_limited", retryAfterSeconds }, told: "rate_limited" };

  const check = await limits.checkCaptcha(LIMIT_KEY, caseNumber, { ...input, sessionId: ctx.sessionId }, now);
  if (check !== "ok") return { outcome: { kind: "captcha", check }, told: `captcha_${check}` };

  const answer = await caseByNumber({ db, env: ctx.env, logger: ctx.logger }, caseNumber, checkCode, now);
  switch (answer.kind) {
    case "found": {
      // Anyone with the receipt may ask: the agency's notes (the documents missing, a rejection's reasons) are the applicant's only.
      const timeline = answer.case.timeline.map(({ status, at }) => ({ status, at }));
      return { outcome: { ...answer, case: { ...answer.case, timeline } }, told: "case_found" };
    }
    case "no_match":
      await limits.recordFailure(LIMIT_KEY, caseNumber, now);
      return { outcome: { kind: "no_match" }, told: "no_match" };
    case "unavailable":
    case "not_configured":
      // The statistics' word for a source that did not answer (statistics.outcomes.source_unavailable).
      return { outcome: { kind: "unavailable" }, told: "source_unavailable" };
  }
}
