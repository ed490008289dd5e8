import type { Logger } from "pino";
import { agencyLinkKeyFinder, verifyBillLink, type BillLinkCheck } from "./bill-links.server";
import { maskWriteOffNumber } from "~/domain/masking";
import { validateWriteOffNumber, type WriteOffProblem } from "~/domain/write-off-number";
import { findBill, type BillView } from "~/bills/bills.server";
import { checkCaptcha, type CaptchaCheck } from "./captcha.server";
import { findBillType, type CatalogueBillType } from "~/bills/catalogue.server";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { hitRateLimit, isRefused, peekRateLimits, type RateLimitRule } from "~/base/rate-limit.server";
import { tallyLookup } from "./tallies.server";

/**
 * Looking up a bill by write-off number (線上查繳). The order matters: the
 * number's own rule first (no database work for a typo), then the rate limits,
 * then the captcha, then the database. Every outcome is logged with the
 * request id; the number only masked.
 */

export type LookupOutcome =
  | { kind: "found"; bill: BillView }
  | { kind: "invalid_number"; problem: WriteOffProblem }
  | { kind: "captcha"; check: Exclude<CaptchaCheck, "ok"> | "empty" }
  | { kind: "not_found" }
  | { kind: "rate_limited"; retryAfterSeconds: number };

export interface LookupContext {
  env: Env;
  clientAddress: string;
  sessionId: string;
  logger: Logger;
}

function rules(env: Env): Record<"lookups" | "failuresPerAddress" | "failuresPerNumber", RateLimitRule> {
  return {
    lookups: { name: "lookup:address", ...env.RATE_LIMIT_LOOKUPS_PER_ADDRESS },
    failuresPerAddress: { name: "lookup-failure:address", ...env.RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS },
    failuresPerNumber: { name: "lookup-failure:number", ...env.RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER },
  };
}

/**
 * The limits every way of finding a bill without a signature shares (typing
 * the number with a captcha, scanning or typing the barcodes): one budget per
 * client address and per bill number, whichever way is used.
 */
export function billFindingLimits(db: Database, env: Env, clientAddress: string) {
  const limits = rules(env);
  const numberKey = (billTypeCode: string, writeOffNumber: string) => `${billTypeCode}:${writeOffNumber}`;
  async function recordFailure(billTypeCode: string, writeOffNumber: string, now: Date): Promise<void> {
    await Promise.all([
      hitRateLimit(db, limits.failuresPerAddress, clientAddress, now),
      hitRateLimit(db, limits.failuresPerNumber, numberKey(billTypeCode, writeOffNumber), now),
    ]);
  }
  return {
    /** Counts an attempt; the seconds to wait when any limit is reached, else null. */
    async admit(billTypeCode: string, writeOffNumber: string, now: Date): Promise<number | null> {
      const [failures, lookups] = await Promise.all([
        peekRateLimits(
          db,
          [
            { rule: limits.failuresPerAddress, key: clientAddress },
            { rule: limits.failuresPerNumber, key: numberKey(billTypeCode, writeOffNumber) },
          ],
          now,
        ),
        hitRateLimit(db, limits.lookups, clientAddress, now),
      ]);
      const states = [...failures, lookups];
      const checked = [limits.failuresPerAddress, limits.failuresPerNumber, limits.lookups];
      const blocked = states.filter((state, index) => isRefused(checked[index]!, state));
      return blocked.length > 0 ? Math.max(...blocked.map((state) => state.retryAfterSeconds)) : null;
    },
    recordFailure,
    /** Checks a look-up's captcha; a wrong answer is a failed look-up of the number, an empty one is only asked again. */
    async checkCaptcha(
      billTypeCode: string,
      writeOffNumber: string,
      input: { captchaToken: string; captchaAnswer: string; sessionId: string },
      now: Date,
    ): Promise<CaptchaCheck | "empty"> {
      if (input.captchaAnswer.trim() === "") return "empty";
      const check = await checkCaptcha(
        db,
        env.CAPTCHA_SECRET,
        { token: input.captchaToken, answer: input.captchaAnswer, sessionId: input.sessionId },
        now,
      );
      if (check !== "ok") await recordFailure(billTypeCode, writeOffNumber, now);
      return check;
    },
  };
}

type LookupInput = { billType: CatalogueBillType; writeOffNumber: string; captchaToken: string; captchaAnswer: string };

export async function lookUpBill(db: Database, context: LookupContext, input: LookupInput, now = new Date()): Promise<LookupOutcome> {
  const number = validateWriteOffNumber(input.writeOffNumber, input.billType.writeOffRule);
  const outcome: LookupOutcome = number.ok
    ? await checkAndFind(db, context, input, number.value, now)
    : { kind: "invalid_number", problem: number.problem };
  const told = outcome.kind === "captcha" ? `captcha_${outcome.check}` : outcome.kind;
  context.logger.info(
    {
      billType: input.billType.code,
      writeOffNumber: number.ok ? maskWriteOffNumber(number.value) : "(invalid)",
      outcome: told,
    },
    "bill look-up",
  );
  tallyLookup(db, { way: "lookup", billTypeCode: input.billType.code, outcome: told }, now);
  return outcome;
}

async function checkAndFind(
  db: Database,
  context: LookupContext,
  input: LookupInput,
  writeOffNumber: string,
  now: Date,
): Promise<LookupOutcome> {
  const limits = billFindingLimits(db, context.env, context.clientAddress);
  const code = input.billType.code;
  const retryAfterSeconds = await limits.admit(code, writeOffNumber, now);
  if (retryAfterSeconds !== null) return { kind: "rate_limited", retryAfterSeconds };

  const check = await limits.checkCaptcha(code, writeOffNumber, { ...input, sessionId: context.sessionId }, now);
  if (check !== "ok") return { kind: "captcha", check };

  const bill = await findBill(db, code, writeOffNumber, now);
  if (!bill) {
    await limits.recordFailure(code, writeOffNumber, now);
    return { kind: "not_found" };
  }
  return { kind: "found", bill };
}

export type BillLinkOutcome =
  | { kind: "found"; bill: BillView }
  | {
      kind: "refused";
      reason: Exclude<BillLinkCheck, { ok: true }>["reason"] | "not_found";
      billType: CatalogueBillType | null;
      writeOffNumber: string | null;
    };

/** Opens the bill of an agency's signed QR link; never the bill when anything is wrong. */
export async function openBillLink(
  db: Database,
  context: { env: Env; logger: Logger },
  query: URLSearchParams,
  now = new Date(),
): Promise<BillLinkOutcome> {
  const findKey = agencyLinkKeyFinder(context.env.AGENCY_LINK_KEYS);
  const check = verifyBillLink(query, findKey, now);
  const code = check.billTypeCode;
  const found = code ? await findBillType(db, code) : null;
  const billType = found?.billType ?? null;

  let outcome: BillLinkOutcome;
  if (!check.ok) {
    outcome = { kind: "refused", reason: check.reason, billType, writeOffNumber: check.writeOffNumber ?? null };
  } else if (!billType || billType.agencyCode !== check.key.agency) {
    // A genuine key of one agency cannot open another agency's bills.
    outcome = { kind: "refused", reason: "tampered", billType, writeOffNumber: check.writeOffNumber };
  } else {
    const bill = await findBill(db, billType.code, check.writeOffNumber, now);
    outcome = bill ? { kind: "found", bill } : { kind: "refused", reason: "not_found", billType, writeOffNumber: check.writeOffNumber };
  }
  const told = outcome.kind === "found" ? "found" : outcome.reason;
  context.logger.info({ billType: code ?? "(none)", keyId: query.get("k") ?? "(none)", outcome: told }, "bill link opened");
  // Only a bill type the catalogue knows is counted by name: a forged link's code is anyone's text.
  tallyLookup(db, { way: "qr_link", billTypeCode: billType?.code, outcome: told }, now);
  return outcome;
}
