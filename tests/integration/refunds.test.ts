import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDuplicatePayments } from "~/back-office/duplicates.server";
import { completeRegistration, confirmStepUp, prepareStepUp, registrationOptions } from "~/back-office/passkeys.server";
import {
  answerRefundRequest,
  answerRefundStep,
  listRefunds,
  refundRequestPage,
  refundsOfPayment,
  viewRefund,
  type RefundRequestPage,
} from "~/back-office/refunds.server";
import type { StaffActor } from "~/back-office/listing.server";
import { loadRoles } from "~/back-office/staff-sessions.server";
import { verifyAuditChain } from "~/base/audit.server";
import { schema, type Database } from "~/base/db.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { recoverRefunds, refundContent, refundStepAct, takeRefundStep, unaccountedRefund } from "~/money/refunds.server";
import { REFUND_NUMBER_PATTERN } from "~/domain/refund";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { findOrderByReference, type PaymentOrder } from "~/payments/orders/order.server";
import { applyTransition } from "~/payments/orders/transitions.server";
import { receiptOfOrder } from "~/payments/receipts.server";
import { billPaymentRecords } from "~/payments/records.server";
import { deliverWriteOffNotices } from "~/payments/write-off-notices.server";
import { describeEachDatabase } from "../support/databases";
import { followBack, payerAtEcpay, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";
import { SoftwareAuthenticator } from "../support/software-authenticator";

/**
 * Refunds from the back office, as staff take them: a handler requests, the
 * agency's chain (reviewer, then releaser) approves, each step signed with a
 * real passkey signature over the refund's content, and the release goes to
 * the sandbox providers over HTTP. What must hold: one person never takes two
 * steps (nor stands in for someone in the chain), a refund approved against
 * an amount that has changed is never sent, an unanswered refund is settled
 * by asking the provider, and the agency and the payer are told what happened.
 */

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-a000-${String(++keyCounter).padStart(12, "0")}`;
/** The back office's address in these tests (WebAuthn wants a host name, not an IP address). */
const BACK_OFFICE = "http://localhost:3000";

type Staff = StaffActor & { name: string; key: SoftwareAuthenticator };

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
};

describe("which of the provider's refunds recovery takes for a refund whose answer was lost", () => {
  it("takes one no refund here claims, of the amount: by the provider's id, or (ECPay gives none) one of each amount", () => {
    const held = [
      { id: "A1", amount: 100 },
      { id: "A2", amount: 100 },
      { id: "A3", amount: 250 },
    ];
    expect(unaccountedRefund(held, [], 100)).toEqual({ id: "A1", amount: 100 });
    expect(unaccountedRefund(held, [{ providerRefundId: "A1", amount: 100 }], 100)).toEqual({ id: "A2", amount: 100 });
    expect(unaccountedRefund(held, [{ providerRefundId: null, amount: 100 }], 100)).toEqual({ id: "A2", amount: 100 });
    expect(
      unaccountedRefund(
        held,
        [
          { providerRefundId: null, amount: 100 },
          { providerRefundId: "A2", amount: 100 },
        ],
        100,
      ),
    ).toBeNull();
    expect(unaccountedRefund(held, [], 300)).toBeNull();
  });
});

describeEachDatabase(
  "refunds with approvals",
  (database) => {
    const db = (): Database => database().db;
    let world: PaymentWorld;
    const people = new Map<string, Staff>();

    beforeAll(async () => {
      world = await startPaymentWorld(db(), { BACK_OFFICE_URL: BACK_OFFICE });
      expect(world.ctx.env.webauthnRpId).toBe("localhost");
      for (const subject of [
        "police-handler",
        "police-handler-2",
        "police-reviewer",
        "police-releaser",
        "police-accounting",
        "water-handler",
      ]) {
        const [row] = await db()
          .select()
          .from(schema.staff)
          .where(eq(schema.staff.subject, `st-${subject}`));
        const key = new SoftwareAuthenticator(BACK_OFFICE);
        await completeRegistration(db(), world.ctx.env, row!.id, key.register(await registrationOptions(db(), world.ctx.env, row!)));
        people.set(subject, { staffId: row!.id, roles: [], requestId: `test-${subject}`, name: row!.displayName, key });
      }
    });
    afterAll(async () => {
      await world?.close();
    });

    /** The staff member with the roles they hold now (grants and proxies change during the tests). */
    async function as(subject: string): Promise<Staff> {
      const person = people.get(subject)!;
      return { ...person, roles: await loadRoles(db(), person.staffId) };
    }

    async function paidOrder(billCount: number, tool: "line_pay" | "credit_card" = "line_pay"): Promise<PaymentOrder> {
      const bills = await unpaidBills(db(), "traffic-fine", billCount);
      const created = await createPaymentOrder(world.ctx, { billIds: bills.map((b) => b.id), tool, idempotencyKey: newKey() });
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      const started = await startPayment(world.ctx, created.order);
      if (started.kind === "redirect") await followBack(world, await payerAtLinePay(started.url, "approve"));
      else if (started.kind === "form") await payerAtEcpay(started, "approve");
      else throw new Error(`payment not started: ${started.kind}`);
      const order = await findOrderByReference(db(), created.order.reference);
      expect(order?.state).toBe("paid");
      return order!;
    }

    async function billsOf(order: PaymentOrder) {
      return db()
        .select({ id: schema.paymentOrderItems.billId, amount: schema.paymentOrderItems.amount })
        .from(schema.paymentOrderItems)
        .where(eq(schema.paymentOrderItems.orderId, order.id))
        .orderBy(schema.paymentOrderItems.billId);
    }

    async function requestPage(who: Staff, orderId: string, billId: string): Promise<RefundRequestPage> {
      const page = await refundRequestPage(db(), who, orderId, billId);
      if (!page) throw new Error("no refund request page");
      return page;
    }

    /** The request form filled in, then signed with the handler's passkey, as the page does it. */
    async function request(who: Staff, orderId: string, billId: string, fields: { amount: string; reason: string; reasonText?: string }) {
      const page = await requestPage(who, orderId, billId);
      const values = { reasonText: "", ...fields };
      const prepared = await answerRefundRequest(world.ctx, who, page, form({ intent: "refund-prepare", ...values }));
      if (prepared?.stage !== "confirm") throw new Error(`expected the act to sign, got ${JSON.stringify(prepared)}`);
      const credential = who.key.authenticate(prepared.options as never);
      const filed = await answerRefundRequest(
        world.ctx,
        who,
        page,
        form({ intent: "refund-confirm", ...values, credential: JSON.stringify(credential) }),
      );
      if (filed?.stage !== "filed") throw new Error(`expected the request filed, got ${JSON.stringify(filed)}`);
      // The number the payer and the agency are given, chosen before signing: the signature covers it.
      expect(filed.number).toMatch(REFUND_NUMBER_PATTERN);
      expect(filed.number).toBe(prepared.content.number);
      return { refundId: filed.refundId, number: filed.number, content: prepared.content };
    }

    /** A step of the chain, decided and signed by `who`; the page's answer after the signature. */
    async function step(who: Staff, refundId: string, decision: "approve" | "reject", note = "") {
      const prepared = await answerRefundStep(world.ctx, who, refundId, form({ intent: "step-prepare", decision, note }));
      if (prepared === null || prepared === "not_found" || prepared.stage !== "confirm") return prepared;
      const credential = who.key.authenticate(prepared.options as never);
      return answerRefundStep(
        world.ctx,
        who,
        refundId,
        form({ intent: "step-confirm", decision, note, credential: JSON.stringify(credential) }),
      );
    }

    const refundRow = async (id: string) => (await db().select().from(schema.refunds).where(eq(schema.refunds.id, id)))[0]!;
    const noticesOf = (orderId: string) =>
      db()
        .select()
        .from(schema.writeOffNotices)
        .where(eq(schema.writeOffNotices.orderId, orderId))
        .orderBy(schema.writeOffNotices.createdAt);
    const linePayOf = (order: PaymentOrder) => world.sandbox.linePayTransactions.get(order.providerTransactionId!)!;
    const ecpayOf = (order: PaymentOrder) => world.sandbox.ecpayTrades.get(order.reference)!;

    it("requests, approves and releases a refund through the chain with passkeys: the money goes back, the agency and the payer are told", async () => {
      const order = await paidOrder(2);
      const [first, second] = await billsOf(order);
      const handler = await as("police-handler");
      const reviewer = await as("police-reviewer");
      const releaser = await as("police-releaser");

      // The payment's page: each bill refundable in full, and the handler may ask.
      expect(await refundsOfPayment(db(), handler, order.id, [first!.id, second!.id])).toMatchObject([
        { billId: first!.id, refundable: first!.amount, mayRequest: true, refunds: [] },
        { billId: second!.id, refundable: second!.amount, mayRequest: true, refunds: [] },
      ]);
      expect((await refundsOfPayment(db(), reviewer, order.id, [first!.id]))[0]!.mayRequest).toBe(false);
      // Only a handler of the bill's agency reaches the form.
      expect(await refundRequestPage(db(), reviewer, order.id, first!.id)).toBeNull();
      expect(await refundRequestPage(db(), await as("water-handler"), order.id, first!.id)).toBeNull();
      expect((await requestPage(handler, order.id, first!.id)).prefill).toEqual({ amount: String(first!.amount), reason: "" });

      const full = await request(handler, order.id, first!.id, {
        amount: String(first!.amount),
        reason: "bill_cancelled",
        reasonText: "撤銷舉發",
      });
      expect(full.content).toMatchObject({
        orderReference: order.reference,
        amount: first!.amount,
        refundableAsSeen: first!.amount,
        reason: "bill_cancelled",
        reasonText: "撤銷舉發",
      });
      // While it is in approval the payer is told a refund is under way; the receipt says so too.
      expect((await billPaymentRecords(db(), first!.id))[0]).toMatchObject({ refundPending: true, refunds: [] });
      expect(await receiptOfOrder(db(), order.id)).toMatchObject({ refundUnderWay: true, refunds: [], refundedAmount: 0 });

      // It waits for the reviewer, and for nobody else.
      const waitingFor = async (who: Staff) => (await listRefunds(db(), who, { state: null, page: 1 })).waiting.map((row) => row.id);
      expect(await waitingFor(reviewer)).toContain(full.refundId);
      expect(await waitingFor(handler)).not.toContain(full.refundId);
      expect(await waitingFor(releaser)).not.toContain(full.refundId);
      const viewed = await viewRefund(db(), reviewer, full.refundId);
      expect(viewed).toMatchObject({ state: "in_approval", viewer: { may: true }, next: { step: "approve_reviewer", role: "reviewer" } });
      expect(viewed!.next!.candidates).toContain(reviewer.name);
      expect(viewed!.steps.map((s) => [s.step, s.taken?.staffName ?? null])).toEqual([
        ["request", handler.name],
        ["approve_reviewer", null],
        ["release", null],
      ]);
      expect(await viewRefund(db(), await as("water-handler"), full.refundId)).toBeNull();

      expect(await step(reviewer, full.refundId, "approve")).toEqual({ stage: "taken", outcome: "approved" });
      expect(await waitingFor(releaser)).toContain(full.refundId);
      expect(await step(releaser, full.refundId, "approve", "已核對")).toEqual({ stage: "taken", outcome: "refunded" });

      const done = await refundRow(full.refundId);
      const atLinePay = linePayOf(order);
      expect(atLinePay.refunds).toHaveLength(1);
      expect(done).toMatchObject({ state: "refunded", providerRefundId: atLinePay.refunds[0]!.refundId, amount: first!.amount });
      expect(atLinePay.refunds[0]!.amount).toBe(first!.amount);
      // Every signature verifies, over the refund's content as it is.
      const verified = await answerRefundStep(world.ctx, reviewer, full.refundId, form({ intent: "verify" }));
      expect(verified).toMatchObject({ stage: "verified" });
      const signatures = Object.values((verified as { signatures: Record<string, boolean> }).signatures);
      expect(signatures).toEqual([true, true, true]);

      // Then part of the second bill.
      const part = await request(handler, order.id, second!.id, { amount: "100", reason: "amount_corrected" });
      await step(reviewer, part.refundId, "approve");
      expect(await step(releaser, part.refundId, "approve")).toEqual({ stage: "taken", outcome: "refunded" });
      expect(linePayOf(order).refunds.map((r) => r.amount)).toEqual([first!.amount, 100]);

      // Refunded in part, the order stays paid, with what was refunded counted.
      const after = await findOrderByReference(db(), order.reference);
      expect(after).toMatchObject({ state: "paid", refundedAmount: first!.amount + 100 });
      const [firstBill] = await db().select().from(schema.bills).where(eq(schema.bills.id, first!.id));
      const [secondBill] = await db().select().from(schema.bills).where(eq(schema.bills.id, second!.id));
      expect(firstBill!.status).toBe("unpaid");
      expect(secondBill!.status).toBe("paid");

      // The agency: the write-off of the first bill reversed, the refunded part of the second.
      const refundNotices = (await noticesOf(order.id)).filter((n) => n.kind !== "bill.paid");
      expect(refundNotices.map((n) => [n.kind, n.billId, n.refundId])).toEqual([
        ["bill.payment_refunded", first!.id, full.refundId],
        ["bill.payment_partially_refunded", second!.id, part.refundId],
      ]);
      expect(refundNotices[1]!.payload).toMatchObject({
        refundNumber: part.number,
        refundAmount: 100,
        refundedTotal: 100,
        paidAmountRemaining: second!.amount - 100,
      });
      await deliverWriteOffNotices(world.ctx, new Date(Date.now() + 120_000));
      const received = [...world.simulator.notices.values()].filter((n) => n.body.orderReference === order.reference);
      expect(received.map((n) => n.body.type).sort()).toEqual([
        "bill.paid",
        "bill.paid",
        "bill.payment_partially_refunded",
        "bill.payment_refunded",
      ]);

      // The payer: the receipt and the records show each refund, number, amount and date.
      const receipt = await receiptOfOrder(db(), order.id);
      expect(receipt).toMatchObject({ state: "paid", refundedAmount: first!.amount + 100, refundUnderWay: false });
      expect(receipt!.refunds.map((r) => [r.number, r.amount])).toEqual([
        [full.number, first!.amount],
        [part.number, 100],
      ]);
      const [record] = await billPaymentRecords(db(), second!.id);
      expect(record).toMatchObject({
        status: "paid",
        refundPending: false,
        refundedAmount: 100,
        refunds: [{ number: part.number, amount: 100 }],
      });
      expect(record!.refundedAt).toBe(receipt!.refunds[1]!.refundedAt);

      // Each step is in the audit chain, which still holds.
      const audited = await db()
        .select({ action: schema.auditLog.action })
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.targetType, "refund"), eq(schema.auditLog.targetId, full.refundId)))
        .orderBy(schema.auditLog.seq);
      expect(audited.map((a) => a.action)).toEqual(["refund.requested", "refund.approved", "refund.released", "refund.refunded"]);
      expect((await verifyAuditChain(db())).ok).toBe(true);
    });

    it("refuses amounts a bill cannot give back, and a reason left out, keeping what was typed", async () => {
      const order = await paidOrder(1);
      const [bill] = await billsOf(order);
      const handler = await as("police-handler");
      const page = await requestPage(handler, order.id, bill!.id);
      const prepare = (fields: Record<string, string>) =>
        answerRefundRequest(world.ctx, handler, page, form({ intent: "refund-prepare", reasonText: "", ...fields }));
      expect(await prepare({ amount: "abc", reason: "payer_request" })).toEqual({
        stage: "ask",
        errors: { amount: "amountNotWhole" },
        values: { amount: "abc", reason: "payer_request", reasonText: "" },
      });
      expect((await prepare({ amount: "-5", reason: "payer_request" }))?.stage).toBe("ask");
      expect(await prepare({ amount: String(bill!.amount + 1), reason: "payer_request" })).toMatchObject({
        errors: { amount: "amountOverRefundable" },
      });
      expect(await prepare({ amount: "100", reason: "" })).toMatchObject({ errors: { reason: "reasonRequired" } });
      expect(await prepare({ amount: "100", reason: "other", reasonText: "  " })).toMatchObject({
        errors: { reasonText: "reasonTextRequired" },
      });
      expect(await prepare({ amount: "100", reason: "other", reasonText: "說".repeat(501) })).toMatchObject({
        errors: { reasonText: "reasonTextTooLong" },
      });
      // Written the way people write amounts: thousands separators, full-width digits.
      expect(await prepare({ amount: "１00", reason: "payer_request" })).toMatchObject({ stage: "confirm", content: { amount: 100 } });
      // A signature that is no signature files nothing.
      const refused = await answerRefundRequest(
        world.ctx,
        handler,
        page,
        form({ intent: "refund-confirm", amount: "100", reason: "payer_request", reasonText: "", credential: "{}" }),
      );
      expect(refused).toEqual({
        stage: "ask",
        refusal: "signature_refused",
        values: { amount: "100", reason: "payer_request", reasonText: "" },
      });
      expect(await db().select().from(schema.refunds).where(eq(schema.refunds.orderId, order.id))).toEqual([]);
      // Another page's signed request does not file here.
      const otherOrder = await paidOrder(1);
      const [other] = await billsOf(otherOrder);
      const otherPage = await requestPage(handler, otherOrder.id, other!.id);
      const signedElsewhere = await answerRefundRequest(
        world.ctx,
        handler,
        otherPage,
        form({ intent: "refund-prepare", amount: "100", reason: "payer_request", reasonText: "" }),
      );
      if (signedElsewhere?.stage !== "confirm") throw new Error("expected the act to sign");
      const misplaced = await answerRefundRequest(
        world.ctx,
        handler,
        page,
        form({ intent: "refund-confirm", credential: JSON.stringify(handler.key.authenticate(signedElsewhere.options as never)) }),
      );
      expect(misplaced).toMatchObject({ stage: "ask", refusal: "signature_refused" });
      expect(await db().select().from(schema.refunds).where(eq(schema.refunds.billId, other!.id))).toEqual([]);
    });

    it("never lets one person take two steps, nor a proxy stand in for someone already in the chain", async () => {
      const order = await paidOrder(1);
      const [bill] = await billsOf(order);
      const handler = people.get("police-handler")!;
      const handler2 = people.get("police-handler-2")!;
      const reviewer = people.get("police-reviewer")!;
      const now = new Date();
      // The handler is also a reviewer, and the second handler stands in for the handler as reviewer;
      // the reviewer is also a releaser.
      const grants = await db()
        .insert(schema.staffRoles)
        .values([
          { staffId: handler.staffId, role: "reviewer", agencyCode: "police" },
          { staffId: reviewer.staffId, role: "releaser", agencyCode: "police" },
        ])
        .returning({ id: schema.staffRoles.id });
      const [proxy] = await db()
        .insert(schema.staffProxies)
        .values({
          principalId: handler.staffId,
          proxyId: handler2.staffId,
          role: "reviewer",
          agencyCode: "police",
          startsAt: new Date(now.getTime() - 3_600_000),
          endsAt: new Date(now.getTime() + 86_400_000),
          createdBy: handler.staffId,
        })
        .returning({ id: schema.staffProxies.id });
      try {
        const requested = await request(await as("police-handler"), order.id, bill!.id, {
          amount: String(bill!.amount),
          reason: "payer_request",
        });
        // The requester, reviewer as well: not a second step.
        expect(await step(await as("police-handler"), requested.refundId, "approve")).toMatchObject({
          stage: "ask",
          refusal: "already_in_chain",
        });
        // Their proxy, acting for them: not either.
        const standIn = await as("police-handler-2");
        expect(standIn.roles).toContainEqual({ role: "reviewer", agencyCode: "police", actingFor: handler.staffId });
        expect(await step(standIn, requested.refundId, "approve")).toMatchObject({ stage: "ask", refusal: "already_in_chain" });
        expect((await viewRefund(db(), standIn, requested.refundId))!.viewer).toEqual({ may: false, reason: "already_in_chain" });
        // Nor is either offered as who could take the step.
        const next = (await viewRefund(db(), await as("police-reviewer"), requested.refundId))!.next!;
        expect(next.candidates).toContain(reviewer.name);
        expect(next.candidates.some((name) => name.includes(handler.name) || name.includes(handler2.name))).toBe(false);

        expect(await step(await as("police-reviewer"), requested.refundId, "approve")).toEqual({ stage: "taken", outcome: "approved" });
        // The reviewer, releaser as well: not the release too.
        const twice = await as("police-reviewer");
        expect(await step(twice, requested.refundId, "approve")).toMatchObject({ stage: "ask", refusal: "already_in_chain" });
        // Signed all the same (an act made by hand, not by the page), the service refuses it.
        const refund = await refundRow(requested.refundId);
        const act = refundStepAct(
          await refundContent(db(), refund),
          { position: 2, step: "release", decision: "approve", note: "" },
          { staffId: twice.staffId, actingFor: null },
        );
        const { options } = await prepareStepUp(db(), world.ctx.env, twice.staffId, act);
        const signed = await confirmStepUp(db(), world.ctx.env, twice.staffId, "refund_step", twice.key.authenticate(options));
        expect(await takeRefundStep(world.ctx, twice, refund.id, signed)).toMatchObject({ ok: false, refusal: "already_in_chain" });
        expect(linePayOf(order).refunds).toEqual([]);

        // A third person releases it.
        expect(await step(await as("police-releaser"), requested.refundId, "approve")).toEqual({ stage: "taken", outcome: "refunded" });
        const taken = await db().select().from(schema.refundSteps).where(eq(schema.refundSteps.refundId, requested.refundId));
        expect(new Set(taken.map((s) => s.staffId)).size).toBe(3);
      } finally {
        for (const grant of grants)
          await db().update(schema.staffRoles).set({ revokedAt: new Date() }).where(eq(schema.staffRoles.id, grant.id));
        await db().update(schema.staffProxies).set({ revokedAt: new Date() }).where(eq(schema.staffProxies.id, proxy!.id));
      }
    });

    it("ends a refund rejected with a note, and asks for the note", async () => {
      const order = await paidOrder(1);
      const [bill] = await billsOf(order);
      const requested = await request(await as("police-handler"), order.id, bill!.id, { amount: "100", reason: "payer_request" });
      const reviewer = await as("police-reviewer");
      expect(await step(reviewer, requested.refundId, "reject")).toMatchObject({ stage: "ask", errors: { note: "noteRequired" } });
      expect(await answerRefundStep(world.ctx, reviewer, requested.refundId, form({ intent: "step-prepare" }))).toMatchObject({
        errors: { decision: "decisionRequired" },
      });
      expect(await step(reviewer, requested.refundId, "reject", "繳款人未提出申請")).toEqual({ stage: "taken", outcome: "rejected" });
      expect(await refundRow(requested.refundId)).toMatchObject({ state: "rejected" });
      const view = await viewRefund(db(), reviewer, requested.refundId);
      expect(view!.steps[1]!.taken).toMatchObject({ decision: "reject", note: "繳款人未提出申請" });
      expect(view!.next).toBeNull();
      expect(await step(await as("police-releaser"), requested.refundId, "approve")).toMatchObject({ refusal: "not_in_approval" });
      expect(linePayOf(order).refunds).toEqual([]);
    });

    it("refuses to release a refund approved against a refundable amount that has changed: nothing goes to the provider", async () => {
      const order = await paidOrder(1);
      const [bill] = await billsOf(order);
      const handler = await as("police-handler");
      const reviewer = await as("police-reviewer");
      const releaser = await as("police-releaser");
      // Two refunds of the same bill, both requested when all of it was refundable.
      const one = await request(handler, order.id, bill!.id, { amount: "100", reason: "amount_corrected" });
      const two = await request(handler, order.id, bill!.id, { amount: "200", reason: "amount_corrected" });
      expect(one.content.refundableAsSeen).toBe(bill!.amount);
      expect(two.content.refundableAsSeen).toBe(bill!.amount);
      await step(reviewer, one.refundId, "approve");
      await step(reviewer, two.refundId, "approve");
      expect(await step(releaser, one.refundId, "approve")).toEqual({ stage: "taken", outcome: "refunded" });
      expect(await step(releaser, two.refundId, "approve")).toEqual({ stage: "taken", outcome: "stale" });
      expect(await refundRow(two.refundId)).toMatchObject({ state: "stale", releasedAt: null });
      expect(linePayOf(order).refunds.map((r) => r.amount)).toEqual([100]);
      expect((await findOrderByReference(db(), order.reference))!.refundedAmount).toBe(100);
      // Asked again, the refund sees what is refundable now.
      expect((await requestPage(handler, order.id, bill!.id)).refundable).toBe(bill!.amount - 100);
      const staleEvent = (
        await db()
          .select()
          .from(schema.paymentEvents)
          .where(eq(schema.paymentEvents.refundId, two.refundId))
          .orderBy(schema.paymentEvents.id)
      ).at(-1);
      expect(staleEvent!.payload).toMatchObject({
        from: "in_approval",
        to: "stale",
        refundableNow: bill!.amount - 100,
        refundableAsSeen: bill!.amount,
      });
    });

    for (const tool of ["line_pay", "credit_card"] as const) {
      it(`settles a refund the provider did not answer by asking it (${tool === "line_pay" ? "LINE Pay" : "ECPay"}): refunded when it holds the refund, refused when it holds none`, async () => {
        const handler = await as("police-handler");
        const reviewer = await as("police-reviewer");
        const releaser = await as("police-releaser");
        const refunds: Array<{ id: string; order: PaymentOrder }> = [];
        for (const lost of [false, true]) {
          const order = await paidOrder(1, tool);
          const [bill] = await billsOf(order);
          const requested = await request(handler, order.id, bill!.id, { amount: "100", reason: "payer_request" });
          await step(reviewer, requested.refundId, "approve");
          // The provider refunds, and answers after the portal has given up (PROVIDER_TIMEOUT_MS is 400).
          Object.assign(world.sandbox.faults, { delayMs: 1_500, delayCalls: ["refund"] });
          try {
            expect(await step(releaser, requested.refundId, "approve")).toEqual({ stage: "taken", outcome: "unknown" });
          } finally {
            Object.assign(world.sandbox.faults, { delayMs: 0, delayCalls: [] });
          }
          expect(await refundRow(requested.refundId)).toMatchObject({ state: "unknown", providerRefundId: null });
          expect(world.logs.some((log) => log.alert === "refund_outcome_unknown" && log.refund === requested.number)).toBe(true);
          if (lost) {
            // As if the call had never reached the provider: it holds no refund of the payment.
            const held = tool === "line_pay" ? linePayOf(order) : ecpayOf(order);
            held.refunds.length = 0;
            held.refunded = 0;
          }
          refunds.push({ id: requested.refundId, order });
        }
        // Not before its time...
        await recoverRefunds(world.ctx, new Date());
        expect((await refundRow(refunds[0]!.id)).state).toBe("unknown");
        // ...then recovery asks the provider what it holds.
        const later = new Date(Date.now() + (world.ctx.env.RECOVERY_AFTER_SECONDS + 1) * 1000);
        await recoverRefunds(world.ctx, later);
        const [found, lost] = [await refundRow(refunds[0]!.id), await refundRow(refunds[1]!.id)];
        const providerRefundId =
          // ECPay's card refund names no refund of its own; its credit-card query lists it as the trade's first refund.
          tool === "line_pay" ? linePayOf(refunds[0]!.order).refunds[0]!.refundId : `${ecpayOf(refunds[0]!.order).tradeNo}R1`;
        expect(found).toMatchObject({ state: "refunded", providerRefundId });
        expect((await findOrderByReference(db(), refunds[0]!.order.reference))!.refundedAmount).toBe(100);
        expect(lost).toMatchObject({ state: "provider_refused", refundedAt: null });
        expect((await findOrderByReference(db(), refunds[1]!.order.reference))!.refundedAmount).toBe(0);
        const events = await db()
          .select()
          .from(schema.paymentEvents)
          .where(eq(schema.paymentEvents.refundId, found.id))
          .orderBy(schema.paymentEvents.id);
        expect(events.map((e) => (e.payload as { to: string }).to)).toEqual(["in_approval", "releasing", "unknown", "refunded"]);
        expect(events.at(-1)!.source).toBe("recovery_job");
        // The page says how it ended.
        expect((await viewRefund(db(), reviewer, found.id))!.state).toBe("refunded");
      });
    }

    it("refunds the later payment of a duplicate from the queue: the case is closed, the bill stays paid, no write-off is reversed", async () => {
      // A payment at ECPay for an order given up, after another order paid the bill: a duplicate to refund.
      const [bill] = await unpaidBills(db(), "traffic-fine", 1);
      const late = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool: "credit_card", idempotencyKey: newKey() });
      if (late.kind !== "created") throw new Error(late.kind);
      const started = await startPayment(world.ctx, late.order);
      if (started.kind !== "form") throw new Error("ECPay starts with a form post");
      await applyTransition(world.ctx, late.order.id, "cancelled", { source: "payer", payload: { test: "gave up" } });
      const other = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool: "line_pay", idempotencyKey: newKey() });
      if (other.kind !== "created") throw new Error(other.kind);
      const otherStarted = await startPayment(world.ctx, other.order);
      if (otherStarted.kind !== "redirect") throw new Error("LINE Pay redirects");
      await followBack(world, await payerAtLinePay(otherStarted.url, "approve"));
      await payerAtEcpay(started, "approve");
      const order = (await findOrderByReference(db(), late.order.reference))!;
      expect(order.state).toBe("paid");

      const handler = await as("police-handler");
      const queue = await listDuplicatePayments(db(), handler, { state: "open", page: 1 });
      const found = queue.cases.find((c) => c.portalPayment.orderId === order.id);
      expect(found).toMatchObject({ reason: "bill_paid_by_another_order", state: "open", refund: null, mayRefund: true });
      // The queue's one action: the request, filled in from the case.
      const page = await requestPage(handler, order.id, bill!.id);
      expect(page.refundCase).toMatchObject({ id: found!.id, reason: "bill_paid_by_another_order" });
      expect(page.prefill).toEqual({ amount: String(found!.amount), reason: "duplicate_payment" });
      const requested = await request(handler, order.id, bill!.id, { amount: page.prefill.amount, reason: page.prefill.reason });
      expect(await refundRow(requested.refundId)).toMatchObject({ refundCaseId: found!.id });
      const inQueue = (await listDuplicatePayments(db(), handler, { state: null, page: 1 })).cases.find((c) => c.id === found!.id);
      expect(inQueue).toMatchObject({ refund: { number: requested.number, state: "in_approval" }, mayRefund: false });
      expect((await billPaymentRecords(db(), bill!.id)).find((r) => r.orderReference === order.reference)).toMatchObject({
        refundPending: true,
      });

      await step(await as("police-reviewer"), requested.refundId, "approve");
      expect(await step(await as("police-releaser"), requested.refundId, "approve")).toEqual({ stage: "taken", outcome: "refunded" });
      const [closed] = await db().select().from(schema.refundCases).where(eq(schema.refundCases.id, found!.id));
      expect(closed).toMatchObject({ state: "refunded" });
      expect(closed!.closedAt).not.toBeNull();
      expect(ecpayOf(order).refunds.map((r) => r.amount)).toEqual([found!.amount]);
      // The agency never heard of this payment: nothing to reverse; the bill stays paid by the other one.
      expect(await noticesOf(order.id)).toEqual([]);
      const [row] = await db().select().from(schema.bills).where(eq(schema.bills.id, bill!.id));
      expect(row!.status).toBe("paid");
      const settled = (await listDuplicatePayments(db(), handler, { state: null, page: 1 })).cases.find((c) => c.id === found!.id);
      expect(settled).toMatchObject({ state: "refunded", refund: { number: requested.number, state: "refunded" }, mayRefund: false });
      const record = (await billPaymentRecords(db(), bill!.id)).find((r) => r.orderReference === order.reference);
      expect(record).toMatchObject({ refundPending: false, refunds: [{ number: requested.number, amount: found!.amount }] });
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "refunds-test-pii-key-refunds-test", billsPerType: 60, residents: 4 });
    await seedDemoStaff(handle.db);
  },
);
