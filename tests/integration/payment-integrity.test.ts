import { and, count, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withCheckMacValue } from "~/payments/providers/ecpay-protocol.server";
import { orderView } from "~/payments/order-view.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { findOrderByReference, type PaymentOrder } from "~/payments/orders/order.server";
import { recoverPayments } from "~/payments/orders/recovery.server";
import { applyTransition } from "~/payments/orders/transitions.server";
import { billPaymentRecords } from "~/payments/records.server";
import { deliverWriteOffNotices } from "~/payments/write-off-notices.server";
import { changeBills, changeLockedBills } from "~/bills/lifecycle.server";
import { addBinding } from "~/members/bindings.server";
import { memberPendingBills } from "~/members/pending-bills.server";
import { upsertMember } from "~/members/sessions.server";
import { generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type DatabaseHandle } from "~/base/db.server";
import { SANDBOX_CREDENTIALS } from "~/demo/keys";
import { describeEachDatabase } from "../support/databases";
import { startMemberWorld, type MemberWorld } from "../support/members";
import { payerAtEcpay, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/**
 * The holes a held-out audit found in payments (issue 11): simulated
 * notices, a payer's approval broken by someone else, bills settled at their
 * source taken again, bills locked against their owner, agencies told late.
 */

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-9000-${String(++keyCounter).padStart(12, "0")}`;
const TODAY = new Date().toISOString().slice(0, 10);
const residents = generateDemoData({ today: TODAY, billsPerType: 1, residents: 6 }).residents;

describeEachDatabase(
  "payment integrity",
  (database) => {
    let members: MemberWorld;
    let world: PaymentWorld;
    const db = () => database().db;

    beforeAll(async () => {
      members = await startMemberWorld(db());
      world = await startPaymentWorld(db(), {
        BILL_SOURCES: JSON.stringify(members.env.billSources),
        BILL_SOURCE_TIMEOUT_MS: "400",
      });
    });
    afterAll(async () => {
      await world?.close();
      await members?.close();
    });

    const orderRow = async (id: string) => (await db().select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, id)))[0]!;
    const countRows = async (table: typeof schema.receipts | typeof schema.writeOffNotices, orderId: string) =>
      (await db().select({ n: count() }).from(table).where(eq(table.orderId, orderId)))[0]!.n;

    /**
     * PostgreSQL: until another connection waits for a row lock. PGlite has one connection and
     * runs one transaction at a time, so the other work simply queues behind the open one.
     */
    async function untilSomeoneWaitsForALock() {
      if (database().kind !== "postgres") return new Promise((resolve) => setTimeout(resolve, 50));
      for (let tries = 0; tries < 200; tries++) {
        const rows = (await db().execute(
          sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        )) as unknown as { n: number }[];
        if (rows[0]!.n > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error("nobody waited for a lock");
    }

    async function newOrder(billType: string, tool: "line_pay" | "credit_card" = "line_pay", now = new Date()) {
      const [bill] = await unpaidBills(db(), billType, 1);
      const created = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool, idempotencyKey: newKey() }, now);
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      return { order: created.order, bill: bill! };
    }

    async function startLinePay(order: PaymentOrder, now = new Date()) {
      const started = await startPayment(world.ctx, order, { now });
      if (started.kind !== "redirect") throw new Error(`expected a redirect, got ${started.kind}`);
      return started.url;
    }

    /** The payer's browser follows LINE Pay's redirect back to the portal's confirm URL. */
    async function backFromLinePay(paymentUrl: string, decision: "approve" | "decline" | "cancel" = "approve") {
      const back = await payerAtLinePay(paymentUrl, decision);
      const response = await fetch(`${world.portalUrl}${back.pathname}${back.search}`, { redirect: "manual" });
      return { back, response };
    }

    /** A member bound to a resident's accounts, whose dashboard has recorded the sources' bills. */
    async function memberWithSourceBills(subject: string, resident: (typeof residents)[number]) {
      const ctx = { ...members.ctx, env: { ...members.env, MEMBER_BILLS_CACHE_SECONDS: 60 } };
      const member = await upsertMember(db(), members.env, {
        issuer: "https://id.example",
        subject,
        name: resident.name,
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/account",
      });
      const audit = { memberId: member.id, requestId: "test" };
      await addBinding(db(), members.env, audit, { kind: "water_account", value: resident.waterAccount, label: "" });
      await addBinding(db(), members.env, audit, { kind: "electricity_account", value: resident.electricityAccount, label: "" });
      const pending = await memberPendingBills(ctx, member);
      const bills = pending.groups.flatMap((group) => group.bills).filter((bill) => /^1151[47]/.test(bill.writeOffNumber));
      const water = bills.find((bill) => bill.billTypeCode === "water-bill")!;
      const power = bills.find((bill) => bill.billTypeCode === "electricity-bill")!;
      expect(water && power).toBeTruthy();
      return { member, ctx, water, power };
    }

    // ---- A simulated payment is never money -------------------------------------------

    it("answers a correctly signed simulated ECPay notice 1|OK, records and alerts it, and changes nothing", async () => {
      const { order } = await newOrder("traffic-fine", "credit_card");
      await startPayment(world.ctx, order);
      const simulated = withCheckMacValue(
        {
          MerchantID: SANDBOX_CREDENTIALS.ecpayMerchantId,
          MerchantTradeNo: order.reference,
          RtnCode: "1",
          RtnMsg: "交易成功",
          TradeNo: "2612010000000001",
          TradeAmt: String(order.totalAmount),
          PaymentDate: "2026/12/01 10:00:00",
          PaymentType: "Credit_CreditCard",
          SimulatePaid: "1",
        },
        SANDBOX_CREDENTIALS.ecpayHashKey,
        SANDBOX_CREDENTIALS.ecpayHashIv,
      );
      const response = await fetch(`${world.portalUrl}/payments/callbacks/ecpay/notify`, {
        method: "POST",
        body: new URLSearchParams(simulated),
      });
      expect(await response.text()).toBe("1|OK");
      expect((await orderRow(order.id)).state).toBe("pending");
      expect(await countRows(schema.receipts, order.id)).toBe(0);
      expect(await countRows(schema.writeOffNotices, order.id)).toBe(0);
      const events = await db().select().from(schema.paymentEvents).where(eq(schema.paymentEvents.orderId, order.id));
      expect(events.filter((event) => event.kind === "simulated_payment")).toHaveLength(1);
      expect(world.logs.some((log) => log.alert === "simulated_payment_notification" && log.order === order.reference)).toBe(true);
    });

    it("lets the sandbox send a simulated payment as ECPay's back office does, and a real payment afterwards still counts", async () => {
      const { order } = await newOrder("labor-fine", "credit_card");
      const started = await startPayment(world.ctx, order);
      if (started.kind !== "form") throw new Error("ECPay starts with a form post");
      await fetch(started.action, { method: "POST", body: new URLSearchParams(started.fields) });
      const simulate = await fetch(`${world.sandboxUrl}/_sandbox/ecpay/simulate-paid`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ merchantTradeNo: order.reference }),
      });
      expect(simulate.status).toBe(200);
      expect((await orderRow(order.id)).state).toBe("pending");
      const events = await db().select().from(schema.paymentEvents).where(eq(schema.paymentEvents.orderId, order.id));
      expect(events.some((event) => event.kind === "simulated_payment")).toBe(true);
      // The payer then pays for real: that one is money.
      const base = new URL(started.action).origin;
      await fetch(`${base}/Cashier/pay/${order.reference}`, { method: "POST", body: new URLSearchParams({ decision: "approve" }) });
      expect((await orderRow(order.id)).state).toBe("paid");
    });

    // ---- A payer's approval cannot be broken by anyone else --------------------------

    it("does nothing when LINE Pay's return address is opened before the payer approved, and the real approval then pays", async () => {
      const { order } = await newOrder("environmental-fine");
      const paymentUrl = await startLinePay(order);
      const { providerTransactionId } = await orderRow(order.id);
      // A link preview, a prefetch or another browser opens the confirm URL first.
      const early = await fetch(
        `${world.portalUrl}/payments/callbacks/line-pay/return?${new URLSearchParams({ transactionId: providerTransactionId!, orderId: order.reference })}`,
        { redirect: "manual" },
      );
      expect(early.status).toBe(303);
      expect((await orderRow(order.id)).state).toBe("pending");

      const { response } = await backFromLinePay(paymentUrl, "approve");
      expect(response.headers.get("location")).toBe(`/payments/${order.reference}`);
      expect((await orderRow(order.id)).state).toBe("paid");
      expect(await countRows(schema.receipts, order.id)).toBe(1);
    });

    it("refuses a LINE Pay payment whose amount LINE Pay reports differently from the order", async () => {
      const { order } = await newOrder("building-permit-fee");
      const paymentUrl = await startLinePay(order);
      world.sandbox.faults.reportedAmountDelta = -100;
      try {
        await backFromLinePay(paymentUrl, "approve");
      } finally {
        world.sandbox.faults.reportedAmountDelta = 0;
      }
      const row = await orderRow(order.id);
      expect(row.state).not.toBe("paid");
      expect(await countRows(schema.receipts, order.id)).toBe(0);
      expect(
        world.logs.some(
          (log) => log.alert === "payment_amount_mismatch" && log.order === order.reference && log.reported === order.totalAmount - 100,
        ),
      ).toBe(true);
      const events = await db().select().from(schema.paymentEvents).where(eq(schema.paymentEvents.orderId, order.id));
      expect(events.some((event) => event.kind === "notification_rejected")).toBe(true);
    });

    // ---- A bill settled elsewhere is never taken again ----------------------------------

    it("asks the source before taking money for its bill: settled at its counter, the checkout is refused and nothing is charged", async () => {
      const { power } = await memberWithSourceBills("settled-before", residents[1]!);
      expect(members.sources.settle("power", power.writeOffNumber, "paid")).toBe(true);
      const requestsBefore = world.sandbox.linePayTransactions.size;
      // Within the dashboard's cache time: only a fresh question to the source can tell.
      const created = await createPaymentOrder(world.ctx, { billIds: [power.id], tool: "line_pay", idempotencyKey: newKey() });
      expect(created).toMatchObject({
        kind: "bills_unavailable",
        bills: [{ id: power.id, reason: "paid_elsewhere", channel: "agency_counter" }],
      });
      expect(world.sandbox.linePayTransactions.size).toBe(requestsBefore);
      const [bill] = await db().select().from(schema.bills).where(eq(schema.bills.id, power.id));
      expect(bill).toMatchObject({ status: "paid", paidChannel: "agency_counter" });
      const orders = await db().select().from(schema.paymentOrderItems).where(eq(schema.paymentOrderItems.billId, power.id));
      expect(orders).toEqual([]);
    });

    it("charges a bill's amount as it stands when the order is made, not as it was read before its source was asked", async () => {
      const { water } = await memberWithSourceBills("amended-meanwhile", residents[5]!);
      members.sources.behaviour.water = { mode: "normal", latencyMs: 300 };
      try {
        const creating = createPaymentOrder(world.ctx, { billIds: [water.id], tool: "line_pay", idempotencyKey: newKey() });
        // The agency's amendment (as the agency API makes it) commits while the source is being asked.
        await new Promise((resolve) => setTimeout(resolve, 100));
        await db()
          .update(schema.bills)
          .set({ amount: water.amount + 37 })
          .where(eq(schema.bills.id, water.id));
        const created = await creating;
        if (created.kind !== "created") throw new Error(`order not created: ${JSON.stringify(created)}`);
        expect(created.order.totalAmount).toBe(water.amount + 37);
        const items = await db().select().from(schema.paymentOrderItems).where(eq(schema.paymentOrderItems.orderId, created.order.id));
        expect(items.map((item) => item.amount)).toEqual([water.amount + 37]);
      } finally {
        members.sources.behaviour.water = { mode: "normal", latencyMs: 20 };
      }
    });

    it("does not take money for a source's bill while the source cannot be asked", async () => {
      const { water } = await memberWithSourceBills("source-down", residents[2]!);
      members.sources.behaviour.water = { mode: "down", latencyMs: 20 };
      try {
        const created = await createPaymentOrder(world.ctx, { billIds: [water.id], tool: "line_pay", idempotencyKey: newKey() });
        expect(created).toMatchObject({ kind: "bills_unavailable", bills: [{ id: water.id, reason: "source_unavailable" }] });
      } finally {
        members.sources.behaviour.water = { mode: "normal", latencyMs: 20 };
      }
      const orders = await db().select().from(schema.paymentOrderItems).where(eq(schema.paymentOrderItems.billId, water.id));
      expect(orders).toEqual([]);
      // Once the source answers again, the bill can be paid.
      const again = await createPaymentOrder(world.ctx, { billIds: [water.id], tool: "line_pay", idempotencyKey: newKey() });
      expect(again.kind).toBe("created");
    });

    it("records a payment that came in for a bill settled meanwhile at its source as a duplicate to refund, tells no agency, and says so to the payer", async () => {
      const { member, ctx, water } = await memberWithSourceBills("race", residents[3]!);
      const created = await createPaymentOrder(world.ctx, {
        billIds: [water.id],
        tool: "line_pay",
        idempotencyKey: newKey(),
        memberId: member.id,
      });
      if (created.kind !== "created") throw new Error(created.kind);
      const paymentUrl = await startLinePay(created.order);
      // Paid at the water company's counter while the payer is at LINE Pay; the portal learns it.
      members.sources.settle("water", water.writeOffNumber, "paid");
      await memberPendingBills({ ...ctx, env: { ...ctx.env, MEMBER_BILLS_CACHE_SECONDS: 0 } }, member);
      await backFromLinePay(paymentUrl, "approve");

      const order = await orderRow(created.order.id);
      expect(order.state).toBe("paid");
      const cases = await db().select().from(schema.refundCases).where(eq(schema.refundCases.orderId, order.id));
      expect(cases).toMatchObject([{ billId: water.id, amount: water.amount, reason: "bill_settled_elsewhere", state: "open" }]);
      const notices = await db()
        .select()
        .from(schema.writeOffNotices)
        .where(and(eq(schema.writeOffNotices.orderId, order.id), eq(schema.writeOffNotices.billId, water.id)));
      expect(notices).toEqual([]);
      const [bill] = await db().select().from(schema.bills).where(eq(schema.bills.id, water.id));
      expect(bill).toMatchObject({ status: "paid", paidChannel: "agency_counter" });
      // The result page and the records say it will be refunded.
      const view = await orderView(db(), order.reference);
      expect(view?.refunds).toMatchObject([{ billId: water.id, amount: water.amount, reason: "bill_settled_elsewhere" }]);
      const records = await billPaymentRecords(db(), water.id);
      expect(records[0]).toMatchObject({ orderReference: order.reference, refundPending: true });
    });

    it("refunds, and tells no agency of, a bill settled at its source while the payment's notification waited for the bill", async () => {
      const { order, bill } = await newOrder("traffic-fine", "credit_card");
      await applyTransition(world.ctx, order.id, "pending", { source: "system" });
      let paying: Promise<unknown> = Promise.resolve();
      // The source's settlement holds the bill while the provider's notification arrives.
      await db().transaction(async (tx) => {
        const settledAt = new Date();
        await changeBills(
          tx,
          [bill.id],
          { event: "paid_elsewhere", channel: "agency_counter", paidAt: settledAt },
          { actorType: "agency", actorId: null },
        );
        paying = applyTransition(world.ctx, order.id, "paid", { source: "provider_notification" });
        await untilSomeoneWaitsForALock();
      });
      await paying;

      expect((await orderRow(order.id)).state).toBe("paid");
      const cases = await db().select().from(schema.refundCases).where(eq(schema.refundCases.orderId, order.id));
      expect(cases).toMatchObject([{ billId: bill.id, amount: bill.amount, reason: "bill_settled_elsewhere", state: "open" }]);
      expect(await countRows(schema.writeOffNotices, order.id)).toBe(0);
      const [row] = await db().select().from(schema.bills).where(eq(schema.bills.id, bill.id));
      expect(row).toMatchObject({ status: "paid", paidChannel: "agency_counter" });
    });

    it("leaves no audit entry of a bill paid here, and no change, when a locked bill could not be paid after all", async () => {
      const [bill] = await unpaidBills(db(), "environmental-fine", 1);
      const cause = { actorType: "system" as const, actorId: null };
      await changeBills(db(), [bill!.id], { event: "paid_elsewhere", channel: "agency_counter", paidAt: new Date() }, cause);
      await expect(
        db().transaction((tx) => changeLockedBills(tx, [bill!.id], { event: "paid_here", paidAt: new Date() }, cause)),
      ).rejects.toThrow(/could not change/);
      const entries = await db()
        .select({ action: schema.auditLog.action })
        .from(schema.auditLog)
        .where(eq(schema.auditLog.targetId, bill!.id));
      expect(entries.map((entry) => entry.action)).toEqual(["bill.paid_elsewhere"]);
      const [row] = await db().select().from(schema.bills).where(eq(schema.bills.id, bill!.id));
      expect(row).toMatchObject({ status: "paid", paidChannel: "agency_counter" });
    });

    it("records a bill its source reports paid at the counter after it was paid here as a duplicate to refund, once", async () => {
      const { member, ctx, power } = await memberWithSourceBills("after", residents[4]!);
      const created = await createPaymentOrder(world.ctx, {
        billIds: [power.id],
        tool: "line_pay",
        idempotencyKey: newKey(),
        memberId: member.id,
      });
      if (created.kind !== "created") throw new Error(created.kind);
      await backFromLinePay(await startLinePay(created.order), "approve");
      expect((await orderRow(created.order.id)).state).toBe("paid");
      members.sources.settle("power", power.writeOffNumber, "paid");
      const fresh = { ...ctx, env: { ...ctx.env, MEMBER_BILLS_CACHE_SECONDS: 0 } };
      await memberPendingBills(fresh, member);
      await memberPendingBills(fresh, member);
      const cases = await db().select().from(schema.refundCases).where(eq(schema.refundCases.billId, power.id));
      expect(cases).toMatchObject([
        { orderId: created.order.id, amount: power.amount, reason: "source_reports_other_payment", state: "open" },
      ]);
      expect((await orderView(db(), created.order.reference))?.refunds).toHaveLength(1);
    });

    // ---- Nobody can lock a bill against its owner ------------------------------------------

    it("frees the bills of an order that never reached a provider within a minute", async () => {
      const start = new Date();
      // A crash during the request: the order is written, nothing was sent to LINE Pay.
      const { order, bill } = await newOrder("health-fine", "line_pay", start);
      const meanwhile = await createPaymentOrder(
        world.ctx,
        { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() },
        new Date(start.getTime() + 5_000),
      );
      expect(meanwhile).toMatchObject({ kind: "bills_unavailable", bills: [{ id: bill.id, reason: "in_progress" }] });
      const heldUntil = meanwhile.kind === "bills_unavailable" ? meanwhile.bills[0]!.heldUntil : undefined;
      expect(heldUntil).toBeInstanceOf(Date);
      expect(heldUntil!.getTime() - start.getTime()).toBeLessThanOrEqual(60_000);

      // The recovery job, a minute later, asks LINE Pay (which never heard of it) and frees the bill.
      await recoverPayments(world.ctx, new Date(start.getTime() + 61_000));
      expect((await orderRow(order.id)).state).toBe("failed");
      const again = await createPaymentOrder(
        world.ctx,
        { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() },
        new Date(start.getTime() + 62_000),
      );
      expect(again.kind).toBe("created");
    });

    it("lets another payer take over a LINE Pay payment nobody approved once its short hold is over, and the first approval then charges nothing", async () => {
      const start = new Date();
      const { order, bill } = await newOrder("animal-protection-fine", "line_pay", start);
      const firstPaymentUrl = await startLinePay(order, start);
      const blocked = await createPaymentOrder(
        world.ctx,
        { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() },
        new Date(start.getTime() + 30_000),
      );
      expect(blocked).toMatchObject({ kind: "bills_unavailable", bills: [{ reason: "in_progress" }] });
      const heldUntil = blocked.kind === "bills_unavailable" ? blocked.bills[0]!.heldUntil! : new Date(0);
      // Well short of the 20-minute payment window.
      expect(heldUntil.getTime() - start.getTime()).toBeLessThanOrEqual(5 * 60_000);

      const later = new Date(heldUntil.getTime() + 1_000);
      const taken = await createPaymentOrder(world.ctx, { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() }, later);
      expect(taken.kind).toBe("created");
      expect((await orderRow(order.id)).state).toBe("cancelled");

      // The first payer approves at LINE Pay after all: the portal never confirms it.
      await backFromLinePay(firstPaymentUrl, "approve");
      expect((await orderRow(order.id)).state).toBe("cancelled");
      const transaction = world.sandbox.linePayTransactions.get((await orderRow(order.id)).providerTransactionId!);
      expect(transaction?.status).not.toBe("completed");
    });

    it("keeps an ECPay payment's bill held for the payment window, and says until when", async () => {
      const start = new Date();
      const { order, bill } = await newOrder("market-usage-fee", "credit_card", start);
      await startPayment(world.ctx, order, { now: start });
      const blocked = await createPaymentOrder(
        world.ctx,
        { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() },
        new Date(start.getTime() + 6 * 60_000),
      );
      expect(blocked).toMatchObject({ kind: "bills_unavailable", bills: [{ reason: "in_progress" }] });
      const heldUntil = blocked.kind === "bills_unavailable" ? blocked.bills[0]!.heldUntil! : new Date(0);
      expect(heldUntil.getTime()).toBe(order.expiresAt.getTime());
    });

    it("turns a late payment for an order that ended into a payment when its bill is still free, and into a refund case when it is not", async () => {
      for (const billTaken of [false, true]) {
        const { order, bill } = await newOrder(billTaken ? "school-fee" : "accident-assessment-fee", "credit_card");
        const started = await startPayment(world.ctx, order);
        if (started.kind !== "form") throw new Error("form expected");
        // The payer gave up (or the order expired) and the bill was freed...
        await applyTransition(world.ctx, order.id, "cancelled", { source: "payer", payload: { test: "gave up" } });
        if (billTaken) {
          const other = await createPaymentOrder(world.ctx, { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() });
          if (other.kind !== "created") throw new Error(other.kind);
          await backFromLinePay(await startLinePay(other.order), "approve");
        }
        // ...then paid at ECPay all the same.
        await payerAtEcpay(started, "approve");
        const after = await findOrderByReference(db(), order.reference);
        expect(after!.state).toBe("paid");
        const cases = await db().select().from(schema.refundCases).where(eq(schema.refundCases.orderId, order.id));
        if (billTaken) {
          expect(cases).toMatchObject([{ billId: bill.id, reason: "bill_paid_by_another_order", state: "open" }]);
          expect(await countRows(schema.writeOffNotices, order.id)).toBe(0);
        } else {
          expect(cases).toEqual([]);
          const [row] = await db().select().from(schema.bills).where(eq(schema.bills.id, bill.id));
          expect(row).toMatchObject({ status: "paid", paidChannel: "portal" });
          expect(await countRows(schema.writeOffNotices, order.id)).toBe(1);
        }
        expect(await countRows(schema.receipts, order.id)).toBe(1);
      }
    });

    // ---- Agencies hear about payments promptly after an outage ----------------------------

    /**
     * A receiver down for `outageMs` while a payment comes in every 30 s; the
     * delivery job runs every 15 s (every minute while the outage is long).
     * Returns how long after the receiver's recovery the last notice reached it.
     */
    async function outage(startAt: number, outageMs: number, payments: number) {
      const agencyNotices = async (ids: string[]) =>
        db().select().from(schema.writeOffNotices).where(inArray(schema.writeOffNotices.orderId, ids));
      const orders: string[] = [];
      world.simulator.down = true;
      let recoveredAt = 0;
      let t = startAt;
      try {
        while (!recoveredAt || t < recoveredAt + 10 * 60_000) {
          const now = new Date(t);
          if (orders.length < payments && t - startAt >= orders.length * 30_000) {
            const { order } = await newOrder("traffic-fine", "line_pay", now);
            await applyTransition(world.ctx, order.id, "pending", { source: "system" }, now);
            await applyTransition(world.ctx, order.id, "paid", { source: "provider_return", providerTransactionId: `T${t}` }, now);
            orders.push(order.id);
          }
          if (!recoveredAt && t >= startAt + outageMs) {
            world.simulator.down = false;
            recoveredAt = t;
          }
          await deliverWriteOffNotices(world.ctx, now, 100);
          if (recoveredAt && (await agencyNotices(orders)).every((notice) => notice.state === "delivered")) break;
          t += recoveredAt || t - startAt < 10 * 60_000 ? 15_000 : 60_000;
        }
      } finally {
        world.simulator.down = false;
      }
      const notices = await agencyNotices(orders);
      expect(notices).toHaveLength(payments);
      expect(notices.every((notice) => notice.state === "delivered")).toBe(true);
      const attempts = await db()
        .select()
        .from(schema.webhookDeliveries)
        .where(
          inArray(
            schema.webhookDeliveries.noticeId,
            notices.map((notice) => notice.id),
          ),
        );
      expect(attempts.filter((attempt) => attempt.statusCode === 200)).toHaveLength(payments);
      expect(attempts.filter((attempt) => attempt.statusCode === 503).length).toBeGreaterThanOrEqual(payments);
      for (const notice of notices) expect(attempts.filter((attempt) => attempt.noticeId === notice.id)).toHaveLength(notice.attempts);
      return Math.max(...notices.map((notice) => notice.deliveredAt!.getTime())) - recoveredAt;
    }

    it("delivers every notice to a receiver within 2 minutes of its recovery, after a 7-minute outage and after a 3-hour one, each attempt logged", async () => {
      // Clear what earlier tests left, so the clock below is the only one.
      await deliverWriteOffNotices(world.ctx, new Date(Date.now() + 86_400_000 * 30), 500);
      const base = Date.now() + 86_400_000 * 31;
      expect(await outage(base, 7 * 60_000 + 5_000, 14)).toBeLessThanOrEqual(2 * 60_000);
      expect(await outage(base + 86_400_000, 3 * 3600_000 + 5_000, 6)).toBeLessThanOrEqual(2 * 60_000);
    });
  },
  async (handle: DatabaseHandle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "payments-test-pii-key-payments-test", today: TODAY });
  },
);
