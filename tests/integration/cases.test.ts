import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { caseByNumber, casesOfApplicant, type CaseView } from "~/cases/cases.server";
import { applicantDigest } from "~/cases/ecounter.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { startPayment } from "~/payments/orders/answers.server";
import { deliverWriteOffNotices } from "~/payments/write-off-notices.server";
import { generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { taipeiDate } from "~/domain/dates";
import { schema } from "~/base/db.server";
import { describeEachDatabase } from "../support/databases";
import { startEcounter } from "../support/ecounter";
import { followBack, newKey, payerAtLinePay, startPaymentWorld, type PaymentWorld } from "../support/payments";

/**
 * A case's fees are bills of the portal: recorded from the e-counter's
 * answer, checked there again before money is taken, paid and written off to
 * the agency like any bill; the e-counter hears of the payment from the
 * agency and moves the case on.
 */

const PII_KEY = "cases-test-pii-key-cases-test-pii-key";
const residents = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 10 }).residents;

describeEachDatabase(
  "case fees as bills",
  (database) => {
    let ecounter: Awaited<ReturnType<typeof startEcounter>>;
    let world: PaymentWorld;
    beforeAll(async () => {
      ecounter = await startEcounter();
      world = await startPaymentWorld(database().db, { ...ecounter.env, PII_HMAC_KEY: PII_KEY });
      // The agency's systems tell the e-counter, as the demo wires them.
      world.simulator.listeners.push((notice) => {
        const { billType, writeOffNumber } = notice.body as { billType: string; writeOffNumber: string };
        if (notice.type === "bill.paid") ecounter.simulator.feePaidAtPortal(billType, writeOffNumber, new Date());
      });
    });
    afterAll(async () => {
      await world.close();
      await ecounter.close();
    });

    const demoCase = (service: string) => ecounter.simulator.cases().find((found) => found.record.service.code === service)!;
    const casesCtx = () => ({ db: database().db, env: world.ctx.env, logger: world.ctx.logger });
    const feeBill = async (caseNumber: string) => {
      const [bill] = await database()
        .db.select()
        .from(schema.bills)
        .where(and(eq(schema.bills.source, "ecounter"), eq(schema.bills.subject, caseNumber)));
      return bill;
    };

    it("records a case's owed fee as a bill of the e-counter, for anyone who has the number and check code", async () => {
      const demo = demoCase("accident-reassessment");
      const answer = await caseByNumber(casesCtx(), demo.caseNumber, demo.checkCode);
      expect(answer.kind).toBe("found");
      const found = (answer as { case: CaseView }).case;
      expect(found.status).toBe("awaiting_payment");
      expect(found.fees).toHaveLength(1);
      const [fee] = found.fees;
      expect(fee).toMatchObject({ state: "payable", amount: 3000, billTypeCode: "accident-assessment-fee" });
      expect(found.nextStep).toEqual({ kind: "pay", dueDate: fee!.dueDate, amount: 3000 });
      const bill = await feeBill(demo.caseNumber);
      expect(bill).toMatchObject({ id: fee!.billId, status: "unpaid", subject: demo.caseNumber, amount: 3000 });
      // Asked by number, the case names no payer to the portal's access rule.
      expect(bill!.payerNationalIdHash).toBeNull();
      expect(await caseByNumber(casesCtx(), demo.caseNumber, "000000")).toEqual({ kind: "no_match" });
    });

    it("does not take money for a fee paid at the agency's counter since it was shown", async () => {
      const demo = demoCase("labor-fine-instalments");
      const digest = applicantDigest(residents[2]!.nationalId, ecounter.applicantKey);
      const shown = await casesOfApplicant(casesCtx(), { caseApplicantDigest: digest, nationalIdHash: "a".repeat(64) });
      if (shown.state !== "answered") throw new Error(shown.state);
      const fee = shown.cases.find((found) => found.caseNumber === demo.caseNumber)!.fees[0]!;
      expect(fee.state).toBe("payable");
      // The member's case: its fee is theirs to pay from "My applications".
      expect((await feeBill(demo.caseNumber))!.payerNationalIdHash).toBe("a".repeat(64));

      expect(ecounter.simulator.settleFee(fee.writeOffNumber, "paid")).toBe(true);
      const refused = await createPaymentOrder(world.ctx, { billIds: [fee.billId!], tool: "line_pay", idempotencyKey: newKey() });
      expect(refused).toMatchObject({
        kind: "bills_unavailable",
        bills: [{ id: fee.billId, reason: "paid_elsewhere", channel: "agency_counter" }],
      });
      const again = await casesOfApplicant(casesCtx(), { caseApplicantDigest: digest, nationalIdHash: "a".repeat(64) });
      const after = (again as { cases: CaseView[] }).cases.find((found) => found.caseNumber === demo.caseNumber)!;
      expect(after.fees[0]!.state).toBe("paid");
      expect(after.status).toBe("paid");
    });

    it("pays a fee here; the agency's write-off notice moves the case to paid at the e-counter", async () => {
      const demo = demoCase("accident-assessment");
      const shown = await caseByNumber(casesCtx(), demo.caseNumber, demo.checkCode);
      const fee = (shown as { case: CaseView }).case.fees.find((candidate) => candidate.state === "payable")!;
      const created = await createPaymentOrder(world.ctx, {
        billIds: [fee.billId!],
        tool: "line_pay",
        idempotencyKey: newKey(),
        entryChannel: "case",
      });
      if (created.kind !== "created") throw new Error(created.kind);
      expect(created.order.entryChannel).toBe("case");
      const started = await startPayment(world.ctx, created.order);
      if (started.kind !== "redirect") throw new Error(started.kind);
      expect((await followBack(world, await payerAtLinePay(started.url, "approve")))?.state).toBe("paid");

      // Before the notice reaches the agency the portal's own record already says paid.
      const before = (await caseByNumber(casesCtx(), demo.caseNumber, demo.checkCode)) as { case: CaseView };
      expect(before.case.fees.find((candidate) => candidate.billId === fee.billId)!.state).toBe("paid");
      expect(before.case.status).toBe("awaiting_payment");

      await deliverWriteOffNotices(world.ctx, new Date(Date.now() + 1000));
      const after = (await caseByNumber(casesCtx(), demo.caseNumber, demo.checkCode)) as { case: CaseView };
      expect(after.case.status).toBe("paid");
      expect(after.case.timeline.map((entry) => entry.status)).toEqual(["applied", "awaiting_payment", "paid"]);
      expect(after.case.nextStep).toEqual({ kind: "wait" });
    });

    it("never records a fee of a bill type that is not the e-counter's", async () => {
      const demo = demoCase("environmental-fine-statement");
      demo.record.fees.push({ ...demo.record.fees[0]!, billType: "water-bill", writeOffNumber: "1234567890123456" });
      try {
        const answer = (await caseByNumber(casesCtx(), demo.caseNumber, demo.checkCode)) as { case: CaseView };
        const foreign = answer.case.fees.find((fee) => fee.billTypeCode === "water-bill")!;
        expect(foreign.billId).toBeNull();
        const bills = await database().db.select().from(schema.bills).where(eq(schema.bills.subject, demo.caseNumber));
        expect(bills.map((bill) => bill.billTypeCode)).toEqual(["environmental-fine"]);
      } finally {
        demo.record.fees.pop();
      }
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: PII_KEY, today: taipeiDate() });
  },
);
