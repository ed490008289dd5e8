import { afterAll, beforeAll, expect, it } from "vitest";
import { isClosedCaseStatus } from "~/domain/cases";
import { taipeiDate } from "~/domain/dates";
import { applicantDigest } from "~/cases/ecounter.server";
import type { CasesContext } from "~/cases/cases.server";
import { applicationsOfMember } from "~/members/applications.server";
import type { LoggedInIdentity } from "~/members/oidc.server";
import { billsVisibleToMember } from "~/members/pending-bills.server";
import { upsertMember, type Member } from "~/members/sessions.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { DEMO_SECRETS } from "~/demo/keys";
import { describeEachDatabase } from "../support/databases";
import { startEcounter } from "../support/ecounter";
import { capturedLogger, newKey, startPaymentWorld, type PaymentWorld } from "../support/payments";

/**
 * "My applications" (issue 18): a verified member's cases at the e-counter,
 * matched by the digest made at login from the verified national ID, with
 * their fees payable by that member alone, and the e-counter's last word
 * asked before any fee's money is taken.
 */

const TODAY = taipeiDate();
const residents = generateDemoData({ today: TODAY, billsPerType: 1, residents: 10 }).residents;

function identity(subject: string, resident: { name: string; nationalId: string } | null, verified = resident !== null): LoggedInIdentity {
  return {
    issuer: "https://id.example",
    subject,
    name: resident?.name ?? "王小明",
    nationalId: verified ? resident!.nationalId : null,
    verified,
    idToken: null,
    returnTo: "/account/applications",
  };
}

describeEachDatabase(
  "my applications",
  (database) => {
    let ecounter: Awaited<ReturnType<typeof startEcounter>>;
    let world: PaymentWorld;
    let ctx: CasesContext;
    let meihsin: Member;
    let memberC: Member;
    let unverified: Member;
    const db = () => database().db;
    const casesOf = (resident: { name: string }) =>
      ecounter.simulator
        .cases()
        .filter((found) => found.applicantName === resident.name)
        .map((found) => found.caseNumber)
        .sort();
    const answered = async (member: Member) => {
      const answer = await applicationsOfMember(ctx, member);
      if (answer.state !== "answered") throw new Error(`the e-counter did not answer: ${answer.state}`);
      return answer.cases;
    };

    beforeAll(async () => {
      ecounter = await startEcounter();
      world = await startPaymentWorld(db(), ecounter.env);
      ctx = { db: db(), env: world.ctx.env, logger: capturedLogger("info").logger };
      meihsin = await upsertMember(db(), world.ctx.env, identity("tc-0001", residents[0]!));
      memberC = await upsertMember(db(), world.ctx.env, identity("tc-0004", residents[2]!));
      unverified = await upsertMember(db(), world.ctx.env, identity("tc-0002", null));
    });
    afterAll(async () => {
      await world?.close();
      await ecounter?.close();
    });

    it("makes the applicant digest at login from the verified national ID only, and drops it when no longer verified", async () => {
      expect(meihsin.caseApplicantDigest).toBe(applicantDigest(residents[0]!.nationalId, ecounter.applicantKey));
      expect(memberC.caseApplicantDigest).toBe(applicantDigest(residents[2]!.nationalId, ecounter.applicantKey));
      expect(unverified.caseApplicantDigest).toBeNull();
      // The same person at a portal with no e-counter: no digest.
      const elsewhere = await upsertMember(db(), { ...world.ctx.env, ecounter: null }, identity("tc-0003", residents[1]!));
      expect(elsewhere.caseApplicantDigest).toBeNull();
      // The provider no longer vouches for the identity: the digest, and with it the cases, are gone.
      const lapsed = await upsertMember(db(), world.ctx.env, identity("tc-0009", residents[4]!));
      expect(lapsed.caseApplicantDigest).not.toBeNull();
      const relogged = await upsertMember(db(), world.ctx.env, identity("tc-0009", residents[4]!, false));
      expect(relogged.caseApplicantDigest).toBeNull();
      expect(await applicationsOfMember(ctx, relogged)).toEqual({ state: "not_verified" });
    });

    it("shows each verified member their own cases, newest first, and never another identity's", async () => {
      const mine = await answered(meihsin);
      expect(mine.map((found) => found.caseNumber).sort()).toEqual(casesOf(residents[0]!));
      expect(mine.map((found) => found.service.code).sort()).toEqual(["accident-assessment", "accident-assessment", "pet-registration"]);
      const applied = mine.map((found) => Date.parse(found.appliedAt));
      expect(applied).toEqual([...applied].sort((a, b) => b - a));

      const theirs = await answered(memberC);
      expect(theirs.map((found) => found.caseNumber).sort()).toEqual(casesOf(residents[2]!));
      expect(theirs).toHaveLength(2);
      expect(theirs.some((found) => mine.some((other) => other.caseNumber === found.caseNumber))).toBe(false);

      expect(await applicationsOfMember(ctx, unverified)).toEqual({ state: "not_verified" });
    });

    it("says what is needed next: the fee to pay by its date, documents to send, nothing once closed", async () => {
      const mine = await answered(meihsin);
      const byService = (code: string, closed: boolean) =>
        mine.find((found) => found.service.code === code && isClosedCaseStatus(found.status) === closed)!;
      const owed = byService("accident-assessment", false);
      expect(owed.status).toBe("awaiting_payment");
      expect(owed.nextStep).toEqual({ kind: "pay", amount: owed.fees[0]!.amount, dueDate: owed.fees[0]!.dueDate });
      expect(byService("pet-registration", false).nextStep).toMatchObject({ kind: "send_documents" });
      const done = byService("accident-assessment", true);
      expect(done.nextStep).toEqual({ kind: "none" });
      // Paid at the agency's counter before the portal ever showed it: no bill here, nothing to pay.
      expect(done.fees).toMatchObject([{ billId: null, state: "paid" }]);
    });

    it("lets the member pay their case's fee, and nobody else", async () => {
      const [fee] = (await answered(meihsin)).find((found) => found.status === "awaiting_payment")!.fees;
      expect(fee).toMatchObject({ state: "payable", billTypeCode: "accident-assessment-fee" });
      expect(fee!.billId).not.toBeNull();
      expect(await billsVisibleToMember(world.ctx, meihsin, [fee!.billId!])).toEqual(new Set([fee!.billId]));
      expect(await billsVisibleToMember(world.ctx, memberC, [fee!.billId!])).toEqual(new Set());
      expect(await billsVisibleToMember(world.ctx, unverified, [fee!.billId!])).toEqual(new Set());
    });

    it("refuses at checkout a fee paid at the agency's counter meanwhile, and the case shows it paid", async () => {
      const owed = (await answered(memberC)).find((found) => found.status === "awaiting_payment")!;
      const [fee] = owed.fees;
      expect(fee).toMatchObject({ state: "payable" });
      expect(ecounter.simulator.settleFee(fee!.writeOffNumber, "paid")).toBe(true);

      const created = await createPaymentOrder(world.ctx, { billIds: [fee!.billId!], tool: "line_pay", idempotencyKey: newKey() });
      expect(created).toMatchObject({ kind: "bills_unavailable", bills: [{ id: fee!.billId, reason: "paid_elsewhere" }] });

      const after = (await answered(memberC)).find((found) => found.caseNumber === owed.caseNumber)!;
      expect(after.status).toBe("paid");
      expect(after.fees).toMatchObject([{ billId: fee!.billId, state: "paid" }]);
      expect(after.nextStep).toEqual({ kind: "wait" });
    });

    it("names the e-counter unavailable when it is down for a member's cases, and others still see theirs", async () => {
      const mine = casesOf(residents[0]!);
      ecounter.simulator.setBehaviour("down", undefined, mine);
      try {
        expect(await applicationsOfMember(ctx, meihsin)).toEqual({ state: "unavailable" });
        expect(await answered(memberC)).toHaveLength(2);
      } finally {
        ecounter.simulator.setBehaviour("normal", undefined, mine);
      }
      expect(await answered(meihsin)).toHaveLength(3);
      expect(await applicationsOfMember({ ...ctx, env: { ecounter: null } }, meihsin)).toEqual({ state: "not_configured" });
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: DEMO_SECRETS.PII_HMAC_KEY, today: TODAY });
  },
);
