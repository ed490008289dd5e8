import { and, eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, expect, it } from "vitest";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { taipeiDate } from "~/domain/dates";
import { captchaAnswer, checkCaptcha, issueCaptcha } from "~/lookup/captcha.server";
import { queryCaseStatus, type CaseQueryContext } from "~/lookup/case-query.server";
import { schema } from "~/base/db.server";
import { describeEachDatabase } from "../support/databases";
import { startEcounter } from "../support/ecounter";
import { demoEnv } from "../support/env";
import { flushLookupTallies } from "~/lookup/tallies.server";

/**
 * The public status query of an application: anyone with the receipt's case
 * number and check code sees the case's status and fees, behind the
 * look-up's captcha and rate limits, and nothing personal.
 */

const ecounter = await startEcounter();
afterAll(() => ecounter.close());

const FAILURES_PER_NUMBER = 3;
const env = demoEnv({
  ...ecounter.env,
  RATE_LIMIT_LOOKUPS_PER_ADDRESS: "100/600",
  RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "4/600",
  RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: `${FAILURES_PER_NUMBER}/900`,
});
const logger = pino({ level: "silent" });

/** Resident 3's cases (no member): the review of an accident assessment awaiting its fee, and a rejected crop relief. */
const demoCase = (service: string) => {
  const found = ecounter.simulator.cases().find((simulated) => simulated.record.service.code === service)!;
  return { ...found, wrongCode: String((Number(found.checkCode) + 1) % 1_000_000).padStart(6, "0") };
};
const reassessment = demoCase("accident-reassessment");
const cropRelief = demoCase("crop-disaster-relief");
/** Another resident's case, whose number's failure budget this file spends. */
const assessment = demoCase("accident-assessment");

let addressCounter = 0;
/** A visitor at a fresh address, so the address's own limits of other tests do not leak in. */
function visitor(): CaseQueryContext {
  addressCounter += 1;
  return { env, clientAddress: `198.51.100.${addressCounter}`, sessionId: `case-session-${addressCounter}`, logger };
}

function solved(ctx: CaseQueryContext) {
  const { token } = issueCaptcha(env.CAPTCHA_SECRET, ctx.sessionId);
  return { captchaToken: token, captchaAnswer: captchaAnswer(env.CAPTCHA_SECRET, token.split(".")[1]!) };
}

describeEachDatabase(
  "application status query",
  (database) => {
    const query = (ctx: CaseQueryContext, caseNumber: string, checkCode: string) =>
      queryCaseStatus(database().db, ctx, { caseNumber, checkCode, ...solved(ctx) });

    it("shows a case's status, timeline and fees as typed from the receipt, and nothing personal", async () => {
      const outcome = await query(
        visitor(),
        ` ${reassessment.caseNumber.toLowerCase().replace(/(\d{5})$/, "-$1")} `,
        reassessment.checkCode,
      );
      expect(outcome.kind).toBe("found");
      if (outcome.kind !== "found") return;
      expect(outcome.case).toMatchObject({
        caseNumber: reassessment.caseNumber,
        status: "awaiting_payment",
        service: { code: "accident-reassessment" },
        nextStep: { kind: "pay", amount: 3000 },
      });
      expect(outcome.case.timeline.map((entry) => entry.status)).toEqual(["applied", "awaiting_payment"]);
      expect(outcome.case.fees).toEqual([
        expect.objectContaining({ billTypeCode: "accident-assessment-fee", amount: 3000, state: "payable", billId: expect.any(String) }),
      ]);
      // The fee is a bill of the portal, payable like any other.
      const [bill] = await database()
        .db.select({ subject: schema.bills.subject, source: schema.bills.source })
        .from(schema.bills)
        .where(eq(schema.bills.id, outcome.case.fees[0]!.billId!));
      expect(bill).toEqual({ subject: reassessment.caseNumber, source: "ecounter" });
      expect(JSON.stringify(outcome)).not.toContain(reassessment.applicantName);
    });

    it("leaves out the agency's notes, which are the applicant's only", async () => {
      const outcome = await query(visitor(), cropRelief.caseNumber, cropRelief.checkCode);
      expect(outcome.kind).toBe("found");
      if (outcome.kind !== "found") return;
      expect(outcome.case.status).toBe("rejected");
      expect(outcome.case.nextStep).toEqual({ kind: "none" });
      expect(outcome.case.timeline.every((entry) => entry.noteZh === undefined && entry.noteEn === undefined)).toBe(true);
      expect(JSON.stringify(outcome)).not.toContain("災損");
      expect(JSON.stringify(outcome)).not.toContain(cropRelief.applicantName);
    });

    it("answers a wrong check code and a wrong case number alike", async () => {
      const ctx = visitor();
      const wrongCode = await query(ctx, reassessment.caseNumber, reassessment.wrongCode);
      const unknownNumber = await query(ctx, reassessment.caseNumber.replace(/\d{5}$/, "99999"), reassessment.checkCode);
      expect(wrongCode).toEqual({ kind: "no_match" });
      expect(unknownNumber).toEqual(wrongCode);
    });

    it("counts wrong check codes as failed look-ups of the number: past its limit even the right code waits", async () => {
      // From different addresses: the number's own budget, not an address's, runs out.
      for (let attempt = 0; attempt < FAILURES_PER_NUMBER; attempt += 1) {
        expect((await query(visitor(), assessment.caseNumber, assessment.wrongCode)).kind).toBe("no_match");
      }
      const requestsBefore = ecounter.simulator.requests;
      const limited = await query(visitor(), assessment.caseNumber, assessment.checkCode);
      expect(limited).toMatchObject({ kind: "rate_limited", retryAfterSeconds: expect.any(Number) });
      expect(ecounter.simulator.requests).toBe(requestsBefore);
    });

    it("counts a wrong captcha as a failed look-up, and asks the e-counter nothing", async () => {
      const ctx = visitor();
      const requestsBefore = ecounter.simulator.requests;
      for (let attempt = 0; attempt < 4; attempt += 1) {
        const { captchaToken } = solved(ctx);
        // Numbers of their own: the address's budget runs out, not a number's.
        const outcome = await queryCaseStatus(database().db, ctx, {
          caseNumber: `ZZ115110000${attempt}`,
          checkCode: "123456",
          captchaToken,
          captchaAnswer: "0000x",
        });
        expect(outcome).toEqual({ kind: "captcha", check: "wrong" });
      }
      expect(ecounter.simulator.requests).toBe(requestsBefore);
      // The address's failures are used up: the right answer waits too.
      expect((await query(ctx, reassessment.caseNumber, reassessment.checkCode)).kind).toBe("rate_limited");
    });

    it("explains a typo before anything else: no captcha used, no e-counter asked", async () => {
      const ctx = visitor();
      const requestsBefore = ecounter.simulator.requests;
      const challenge = solved(ctx);
      const outcome = await queryCaseStatus(database().db, ctx, { caseNumber: "AR11511", checkCode: "", ...challenge });
      expect(outcome).toEqual({ kind: "invalid", problems: { caseNumber: "shape", checkCode: "empty" } });
      const onlyCode = await queryCaseStatus(database().db, ctx, {
        caseNumber: reassessment.caseNumber,
        checkCode: "12a456",
        ...challenge,
      });
      expect(onlyCode).toEqual({ kind: "invalid", problems: { checkCode: "shape" } });
      expect(ecounter.simulator.requests).toBe(requestsBefore);
      // The challenge is still unused: the resident answers it once the typo is fixed.
      expect(
        await checkCaptcha(database().db, env.CAPTCHA_SECRET, {
          token: challenge.captchaToken,
          answer: challenge.captchaAnswer,
          sessionId: ctx.sessionId,
        }),
      ).toBe("ok");
    });

    it("names the e-counter unavailable when it is down for the case, without counting it against the resident", async () => {
      const ctx = visitor();
      ecounter.simulator.setBehaviour("down", undefined, [reassessment.caseNumber]);
      try {
        for (let attempt = 0; attempt <= FAILURES_PER_NUMBER + 1; attempt += 1) {
          expect(await query(ctx, reassessment.caseNumber, reassessment.checkCode)).toEqual({ kind: "unavailable" });
        }
      } finally {
        ecounter.simulator.setBehaviour("normal", undefined, [reassessment.caseNumber]);
      }
      expect((await query(ctx, reassessment.caseNumber, reassessment.checkCode)).kind).toBe("found");
    });

    it("tallies every outcome under the case query, with no bill type", async () => {
      await flushLookupTallies(database().db);
      const rows = await database()
        .db.select({ outcome: schema.lookupTallies.outcome, billTypeCode: schema.lookupTallies.billTypeCode })
        .from(schema.lookupTallies)
        .where(and(eq(schema.lookupTallies.day, taipeiDate()), eq(schema.lookupTallies.way, "case_query")));
      expect(new Set(rows.map((row) => row.outcome))).toEqual(
        new Set(["case_found", "no_match", "rate_limited", "captcha_wrong", "invalid_case_number", "source_unavailable"]),
      );
      expect(rows.every((row) => row.billTypeCode === "")).toBe(true);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 1 });
  },
);
