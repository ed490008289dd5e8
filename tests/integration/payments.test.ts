import { count, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { withCheckMacValue } from "~/payments/providers/ecpay-protocol.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { findOrderByReference, type PaymentOrder } from "~/payments/orders/order.server";
import { recoverPayments } from "~/payments/orders/recovery.server";
import { breakGlassRefund } from "~/money/refunds.server";
import { applyTransition } from "~/payments/orders/transitions.server";
import { receiptOfOrder } from "~/payments/receipts.server";
import { deliverWriteOffNotices } from "~/payments/write-off-notices.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { verifyAuditChain } from "~/base/audit.server";
import { schema, type DatabaseHandle } from "~/base/db.server";
import { SANDBOX_CREDENTIALS } from "~/demo/keys";
import { describeEachDatabase } from "../support/databases";
import {
  followBack,
  payerAtEcpay,
  payerAtLinePay,
  postEcpayResult,
  startPaymentWorld,
  unpaidBills,
  type PaymentWorld,
  newKey,
} from "../support/payments";

async function countOf(handle: DatabaseHandle, table: typeof schema.receipts | typeof schema.writeOffNotices, orderId: string) {
  const [row] = await handle.db.select({ n: count() }).from(table).where(eq(table.orderId, orderId));
  return row!.n;
}

async function transitions(handle: DatabaseHandle, orderId: string) {
  const events = await handle.db
    .select()
    .from(schema.paymentEvents)
    .where(eq(schema.paymentEvents.orderId, orderId))
    .orderBy(schema.paymentEvents.id);
  return events.filter((event) => event.kind === "transition").map((event) => `${event.fromState ?? "∅"}→${event.toState}:${event.source}`);
}

describeEachDatabase(
  "payments",
  (database) => {
    let world: PaymentWorld;
    beforeAll(async () => {
      world = await startPaymentWorld(database().db);
    });
    afterAll(async () => {
      await world.close();
    });

    async function newOrder(billType: string, bills = 1, tool: "line_pay" | "credit_card" = "line_pay") {
      const picked = await unpaidBills(database().db, billType, bills);
      const created = await createPaymentOrder(world.ctx, { billIds: picked.map((b) => b.id), tool, idempotencyKey: newKey() });
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      return { order: created.order, bills: picked };
    }

    async function payWithLinePay(order: PaymentOrder, decision: "approve" | "decline" = "approve") {
      const started = await startPayment(world.ctx, order);
      if (started.kind !== "redirect") throw new Error(`expected a redirect, got ${started.kind}`);
      const back = await payerAtLinePay(started.url, decision);
      return followBack(world, back);
    }

    it("pays three bills through LINE Pay: one receipt, the bills paid, a write-off notice each", async () => {
      const { order, bills } = await newOrder("traffic-fine", 3);
      expect(order.totalAmount).toBe(bills.reduce((sum, bill) => sum + bill.amount, 0));
      const paid = await payWithLinePay(order);
      expect(paid?.state).toBe("paid");
      expect(paid?.providerTransactionId).toMatch(/^\d{19}$/);
      expect(await transitions(database(), order.id)).toEqual([
        "∅→created:payer",
        "created→pending:system",
        "pending→paid:provider_return",
      ]);
      const billRows = await database()
        .db.select()
        .from(schema.bills)
        .where(
          inArray(
            schema.bills.id,
            bills.map((b) => b.id),
          ),
        );
      expect(billRows.map((bill) => [bill.status, bill.paidChannel])).toEqual(bills.map(() => ["paid", "portal"]));
      const receipt = await receiptOfOrder(database().db, order.id);
      expect(receipt).toMatchObject({
        totalAmount: order.totalAmount,
        paymentTool: "line_pay",
        providerTransactionId: paid!.providerTransactionId,
      });
      expect(receipt!.bills).toHaveLength(3);
      expect(await countOf(database(), schema.writeOffNotices, order.id)).toBe(3);
    });

    it("pays a bill by credit card through ECPay, confirmed by its signed notification", async () => {
      const { order } = await newOrder("environmental-fine", 1, "credit_card");
      const started = await startPayment(world.ctx, order);
      if (started.kind !== "form") throw new Error("ECPay starts with a form post");
      expect(started.fields.CheckMacValue).toMatch(/^[0-9A-F]{64}$/);
      const result = await payerAtEcpay(started, "approve");
      // The server notification has already arrived (the sandbox sends it before the payer is back).
      const [afterNotification] = await database().db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id));
      expect(afterNotification!.state).toBe("paid");
      // The payer's return (OrderResultURL) repeats it: nothing changes.
      const returned = await postEcpayResult(world, result, "return");
      expect(returned.headers.get("location")).toBe(`/payments/${order.reference}`);
      expect(await transitions(database(), order.id)).toEqual([
        "∅→created:payer",
        "created→pending:system",
        "pending→paid:provider_notification",
      ]);
      expect(await countOf(database(), schema.receipts, order.id)).toBe(1);
    });

    it("records a declined payment as failed and frees the bill to be paid again", async () => {
      const { order, bills } = await newOrder("labor-fine");
      expect((await payWithLinePay(order, "decline"))?.state).toBe("failed");
      const again = await createPaymentOrder(world.ctx, { billIds: [bills[0]!.id], tool: "credit_card", idempotencyKey: newKey() });
      expect(again.kind).toBe("created");
    });

    it("creates one order when the same checkout arrives twice, and refuses the same key for other bills", async () => {
      const bills = await unpaidBills(database().db, "health-fine", 2);
      const key = newKey();
      // Ten copies of one submission at once (a double click, retries): whichever arrives second finds the
      // first's order holding the bill, or its key taken, and answers with that order, never "unavailable".
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => createPaymentOrder(world.ctx, { billIds: [bills[0]!.id], tool: "line_pay", idempotencyKey: key })),
      );
      expect(answers.map((answer) => answer.kind).sort()).toEqual(["created", ...Array<string>(9).fill("existing")]);
      expect(new Set(answers.map((answer) => ("order" in answer ? answer.order.id : null))).size).toBe(1);
      const other = await createPaymentOrder(world.ctx, { billIds: [bills[1]!.id], tool: "line_pay", idempotencyKey: key });
      expect(other.kind).toBe("idempotency_conflict");
    });

    it("lets 50 concurrent checkouts of the same bill create exactly one order, and that one be paid", async () => {
      const [bill] = await unpaidBills(database().db, "animal-protection-fine", 1);
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          createPaymentOrder(world.ctx, { billIds: [bill!.id], tool: "line_pay", idempotencyKey: newKey() }),
        ),
      );
      const created = results.filter((result) => result.kind === "created");
      expect(created).toHaveLength(1);
      expect(
        results
          .filter((r) => r.kind === "bills_unavailable")
          .every((r) => r.kind === "bills_unavailable" && r.bills[0]?.reason === "in_progress"),
      ).toBe(true);
      const paid = await payWithLinePay((created[0] as { order: PaymentOrder }).order);
      expect(paid?.state).toBe("paid");
      const afterwards = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool: "line_pay", idempotencyKey: newKey() });
      expect(afterwards).toEqual({ kind: "bills_unavailable", bills: [{ id: bill!.id, reason: "paid" }] });
    });

    it("turns a notification sent 10 times, and the payer's return, into one paid transition, one receipt and one notice", async () => {
      world.sandbox.faults.notificationCopies = 10;
      try {
        const { order } = await newOrder("market-usage-fee", 1, "credit_card");
        const started = await startPayment(world.ctx, order);
        if (started.kind !== "form") throw new Error("form expected");
        const result = await payerAtEcpay(started, "approve");
        await postEcpayResult(world, result, "return");
        expect((await transitions(database(), order.id)).filter((t) => t.includes("→paid"))).toHaveLength(1);
        expect(await countOf(database(), schema.receipts, order.id)).toBe(1);
        expect(await countOf(database(), schema.writeOffNotices, order.id)).toBe(1);
        const repeats = await database().db.select().from(schema.paymentEvents).where(eq(schema.paymentEvents.orderId, order.id));
        // Every copy is on record, ignored.
        expect(repeats.filter((event) => event.kind === "provider_answer").length).toBeGreaterThanOrEqual(10);
      } finally {
        world.sandbox.faults.notificationCopies = 1;
      }
    });

    it("refuses a forged notification, records it and raises an alert", async () => {
      const { order } = await newOrder("building-permit-fee", 1, "credit_card");
      await startPayment(world.ctx, order);
      const forged = withCheckMacValue(
        {
          MerchantID: SANDBOX_CREDENTIALS.ecpayMerchantId,
          MerchantTradeNo: order.reference,
          RtnCode: "1",
          TradeAmt: String(order.totalAmount),
          TradeNo: "X1",
          PaymentDate: "2026/11/21 10:00:00",
        },
        "not-the-hash-key!",
        "not-the-hash-iv!!",
      );
      const response = await fetch(`${world.portalUrl}/payments/callbacks/ecpay/notify`, {
        method: "POST",
        body: new URLSearchParams(forged),
      });
      expect(await response.text()).toBe("0|CheckMacValue error");
      const [after] = await database().db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id));
      expect(after!.state).toBe("pending");
      const rejected = await database().db.select().from(schema.paymentEvents).where(eq(schema.paymentEvents.orderId, order.id));
      expect(rejected.some((event) => event.kind === "notification_rejected")).toBe(true);
      expect(world.logs.some((log) => log.alert === "forged_payment_notification" && log.order === order.reference)).toBe(true);
    });

    it("refuses a genuine notification for a different amount", async () => {
      const { order } = await newOrder("school-fee", 1, "credit_card");
      await startPayment(world.ctx, order);
      const wrongAmount = withCheckMacValue(
        {
          MerchantID: SANDBOX_CREDENTIALS.ecpayMerchantId,
          MerchantTradeNo: order.reference,
          RtnCode: "1",
          TradeAmt: String(order.totalAmount - 1),
          TradeNo: "X2",
          PaymentDate: "2026/11/21 10:00:00",
        },
        SANDBOX_CREDENTIALS.ecpayHashKey,
        SANDBOX_CREDENTIALS.ecpayHashIv,
      );
      const result = await postEcpayResult(world, wrongAmount, "notify");
      expect(await result.text()).toBe("0|amount_mismatch");
      expect((await findOrderByReference(database().db, order.reference))?.state).toBe("pending");
      expect(world.logs.some((log) => log.alert === "payment_amount_mismatch")).toBe(true);
    });

    it("marks an order unknown when the provider times out, and the recovery job resolves it", async () => {
      const { order } = await newOrder("accident-assessment-fee");
      const started = await startPayment(world.ctx, order);
      if (started.kind !== "redirect") throw new Error("redirect expected");
      const back = await payerAtLinePay(started.url, "approve");
      // LINE Pay completes the confirm, but its answer comes after the portal gave up.
      world.sandbox.faults.delayMs = 1_000;
      world.sandbox.faults.delayCalls = ["confirm"];
      const returned = await followBack(world, back);
      expect(returned?.state).toBe("unknown");
      world.sandbox.faults.delayMs = 0;
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const later = new Date(Date.now() + 5 * 60_000);
      const recovered = await recoverPayments(world.ctx, later);
      expect(recovered.settled).toBeGreaterThanOrEqual(1);
      expect((await transitions(database(), order.id)).slice(-2)).toEqual(["pending→unknown:provider_return", "unknown→paid:recovery_job"]);
      expect(await countOf(database(), schema.receipts, order.id)).toBe(1);
    });

    it("moves an order only on a definite answer, and expires it only after asking the provider", async () => {
      const { order } = await newOrder("gas-bill");
      await startPayment(world.ctx, order);
      // The payer never comes back. Shortly after: LINE Pay says "waiting", nothing changes.
      await recoverPayments(world.ctx, new Date(Date.now() + 2 * 60_000));
      let [row] = await database().db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id));
      expect(row!.state).toBe("pending");
      expect(row!.checkAttempts).toBe(1);
      // Long past its window, with LINE Pay still saying "waiting": expired.
      await recoverPayments(world.ctx, new Date(Date.now() + 3 * 3600_000));
      [row] = await database().db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id));
      expect(row!.state).toBe("expired");
      const items = await database().db.select().from(schema.paymentOrderItems).where(eq(schema.paymentOrderItems.orderId, order.id));
      expect(items.every((item) => item.releasedAt !== null)).toBe(true);
    });

    it("lets two recovery jobs run at once without asking twice about the same order", async () => {
      const { order } = await newOrder("water-bill");
      await startPayment(world.ctx, order);
      const at = new Date(Date.now() + 2 * 60_000);
      const [a, b] = await Promise.all([recoverPayments(world.ctx, at), recoverPayments(world.ctx, at)]);
      const [row] = await database().db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id));
      expect(row!.checkAttempts).toBe(1);
      expect(a.checked + b.checked).toBeGreaterThanOrEqual(1);
    });

    it("delivers write-off notices once the agency is back, at least once and signed", async () => {
      const { order } = await newOrder("electricity-bill", 2);
      await payWithLinePay(order);
      const now = Date.now();
      world.simulator.down = true;
      const first = await deliverWriteOffNotices(world.ctx, new Date(now + 1_000));
      expect(first.delivered).toBe(0);
      const notices = await database().db.select().from(schema.writeOffNotices).where(eq(schema.writeOffNotices.orderId, order.id));
      expect(notices.map((n) => [n.state, n.attempts, n.lastError])).toEqual([
        ["pending", 1, "HTTP 503"],
        ["pending", 1, "HTTP 503"],
      ]);
      // Not before its back-off...
      world.simulator.down = false;
      expect((await deliverWriteOffNotices(world.ctx, new Date(now + 30_000))).attempted).toBe(0);
      // ...and then delivered.
      await deliverWriteOffNotices(world.ctx, new Date(now + 62_000));
      const delivered = await database().db.select().from(schema.writeOffNotices).where(eq(schema.writeOffNotices.orderId, order.id));
      expect(delivered.every((n) => n.state === "delivered")).toBe(true);
      const received = [...world.simulator.notices.values()].filter((notice) => notice.body.orderReference === order.reference);
      expect(received).toHaveLength(2);
      expect(received[0]!.body).toMatchObject({ type: "bill.paid", billType: "electricity-bill", currency: "TWD", provider: "line_pay" });
      expect(world.simulator.rejected).toBe(0);
      const log = await database()
        .db.select()
        .from(schema.webhookDeliveries)
        .where(
          inArray(
            schema.webhookDeliveries.noticeId,
            notices.map((n) => n.id),
          ),
        );
      expect(log.map((entry) => entry.statusCode).sort()).toEqual([200, 200, 503, 503]);
    });

    it("settles a payment whose notification was lost, from the status query, and ignores the notification arriving late", async () => {
      world.sandbox.faults.loseNotification = true;
      const { order } = await newOrder("traffic-fine", 1, "credit_card");
      const started = await startPayment(world.ctx, order);
      if (started.kind !== "form") throw new Error("form expected");
      const result = await payerAtEcpay(started, "approve");
      world.sandbox.faults.loseNotification = false;
      // Neither the notification nor the payer's return arrived: still pending.
      let [row] = await database().db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id));
      expect(row!.state).toBe("pending");
      await recoverPayments(world.ctx, new Date(Date.now() + 5 * 60_000));
      [row] = await database().db.select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id));
      expect(row!.state).toBe("paid");
      // The notification turns up after all, days late: one paid transition still.
      expect(await (await postEcpayResult(world, result, "notify")).text()).toBe("1|OK");
      expect((await transitions(database(), order.id)).filter((t) => t.includes("→paid"))).toEqual(["pending→paid:recovery_job"]);
      expect(await countOf(database(), schema.receipts, order.id)).toBe(1);
    });

    it("refunds a payment once, through either provider, refusing a refund based on a stale amount", async () => {
      for (const tool of ["line_pay", "credit_card"] as const) {
        const { order } = await newOrder("environmental-fine", 1, tool);
        if (tool === "line_pay") await payWithLinePay(order);
        else {
          const started = await startPayment(world.ctx, order);
          if (started.kind !== "form") throw new Error("form expected");
          await payerAtEcpay(started, "approve");
        }
        expect(
          await breakGlassRefund(world.ctx, {
            orderReference: order.reference,
            refundableAsSeen: order.totalAmount + 1,
            operator: "clerk-1",
            systemUser: "ops",
            reasonText: "test",
          }),
        ).toEqual({
          kind: "refundable_mismatch",
          refundable: order.totalAmount,
        });
        const refunded = await breakGlassRefund(world.ctx, {
          orderReference: order.reference,
          refundableAsSeen: order.totalAmount,
          operator: "clerk-1",
          systemUser: "ops",
          reasonText: "test",
        });
        expect(refunded.kind).toBe("refunded");
        // Twice is refused before anything reaches the provider.
        expect(
          await breakGlassRefund(world.ctx, {
            orderReference: order.reference,
            refundableAsSeen: order.totalAmount,
            operator: "clerk-1",
            systemUser: "ops",
            reasonText: "test",
          }),
        ).toEqual({
          kind: "not_refundable",
          state: "refunded",
        });
        expect((await transitions(database(), order.id)).at(-1)).toBe("paid→refunded:operator");
        // Money in and money back are in the audit chain, with the amount and the provider's transaction.
        const audited = await database()
          .db.select({ action: schema.auditLog.action, actorType: schema.auditLog.actorType, details: schema.auditLog.details })
          .from(schema.auditLog)
          .where(eq(schema.auditLog.targetId, order.id))
          .orderBy(schema.auditLog.seq);
        expect(audited.map((entry) => `${entry.action}:${entry.actorType}`)).toEqual([
          "payment_order.paid:system",
          "payment_order.refunded:operator",
        ]);
        expect(audited[0]!.details).toMatchObject({ reference: order.reference, amount: order.totalAmount });
      }
      expect((await verifyAuditChain(database().db)).ok).toBe(true);
      const refundedAtProviders =
        [...world.sandbox.linePayTransactions.values()].filter((t) => t.refunded > 0).length +
        [...world.sandbox.ecpayTrades.values()].filter((t) => t.refunded > 0).length;
      expect(refundedAtProviders).toBe(2);
    });

    it("reopens the bills of a refunded payment and tells the agency to reverse the write-off, never before the write-off itself", async () => {
      const { order, bills } = await newOrder("building-permit-fee", 2);
      const paid = await payWithLinePay(order);
      expect(paid?.state).toBe("paid");
      // One bill was also paid at a store meanwhile: that payment stands after the refund.
      const [reopened, alsoPaidElsewhere] = bills as [(typeof bills)[number], (typeof bills)[number]];
      const storePaidAt = new Date("2026-11-20T03:00:00Z");
      await database()
        .db.update(schema.bills)
        .set({ paidChannel: "convenience_store", paidAt: storePaidAt })
        .where(eq(schema.bills.id, alsoPaidElsewhere.id));

      const now = Date.now();
      world.simulator.down = true;
      await deliverWriteOffNotices(world.ctx, new Date(now + 1_000));
      world.simulator.down = false;
      const refunded = await breakGlassRefund(world.ctx, {
        orderReference: order.reference,
        refundableAsSeen: order.totalAmount,
        operator: "clerk-2",
        systemUser: "ops",
        reasonText: "test",
      });
      expect(refunded.kind).toBe("refunded");

      const rows = await database()
        .db.select()
        .from(schema.bills)
        .where(inArray(schema.bills.id, [reopened.id, alsoPaidElsewhere.id]));
      expect(rows.find((row) => row.id === reopened.id)).toMatchObject({ status: "unpaid", paidChannel: null, paidAt: null });
      expect(rows.find((row) => row.id === alsoPaidElsewhere.id)).toMatchObject({
        status: "paid",
        paidChannel: "convenience_store",
        paidAt: storePaidAt,
      });
      const notices = await database().db.select().from(schema.writeOffNotices).where(eq(schema.writeOffNotices.orderId, order.id));
      expect(notices.map((notice) => notice.kind).sort()).toEqual([
        "bill.paid",
        "bill.paid",
        "bill.payment_refunded",
        "bill.payment_refunded",
      ]);

      // The paid notices are still waiting for their back-off: the reversals wait for them.
      const received = () => [...world.simulator.notices.values()].filter((notice) => notice.body.orderReference === order.reference);
      await deliverWriteOffNotices(world.ctx, new Date(now + 2_000));
      expect(received()).toEqual([]);
      // Once the paid notices are through, the reversals follow them, in that order.
      await deliverWriteOffNotices(world.ctx, new Date(now + 62_000));
      expect(received().map((notice) => notice.body.type)).toEqual([
        "bill.paid",
        "bill.paid",
        "bill.payment_refunded",
        "bill.payment_refunded",
      ]);
      const [firstReversal] = received().filter((notice) => notice.body.type === "bill.payment_refunded");
      expect(
        received()
          .filter((notice) => notice.body.type === "bill.paid")
          .every((paid) => paid.receivedAt <= firstReversal!.receivedAt),
      ).toBe(true);
      const receipt = await receiptOfOrder(database().db, order.id);
      expect(
        received().find((notice) => notice.body.type === "bill.payment_refunded" && notice.body.writeOffNumber === reopened.writeOffNumber)!
          .body,
      ).toMatchObject({
        billType: "building-permit-fee",
        amount: reopened.amount,
        currency: "TWD",
        orderReference: order.reference,
        receiptNumber: receipt!.number,
        providerTransactionId: paid!.providerTransactionId,
      });

      // The reopened bill can be paid again.
      const again = await createPaymentOrder(world.ctx, { billIds: [reopened.id], tool: "line_pay", idempotencyKey: newKey() });
      expect(again.kind).toBe("created");
    });

    it("asks each provider for its pages in the payer's language: LINE Pay's display.locale, ECPay's Language", async () => {
      const pageOf = async (url: string, init?: RequestInit) => {
        const html = await (await fetch(url, init)).text();
        return { lang: /<html lang="([^"]+)"/.exec(html)?.[1], h1: /<h1>([^<]+)<\/h1>/.exec(html)?.[1] };
      };
      for (const [locale, lang, linePayHeading, ecpayHeading] of [
        ["en", "en", "LINE Pay payment", "Credit card payment"],
        ["zh-TW", "zh-Hant-TW", "LINE Pay 付款", "信用卡付款"],
      ] as const) {
        const linePay = await startPayment(world.ctx, (await newOrder("traffic-fine")).order, { locale });
        if (linePay.kind !== "redirect") throw new Error(`expected a redirect, got ${linePay.kind}`);
        // The browser's own language says otherwise: the shop's word counts.
        const headers = { "Accept-Language": locale === "en" ? "zh-TW" : "en" };
        expect(await pageOf(linePay.url, { headers })).toEqual({ lang, h1: linePayHeading });

        const ecpay = await startPayment(world.ctx, (await newOrder("environmental-fine", 1, "credit_card")).order, { locale });
        if (ecpay.kind !== "form") throw new Error(`expected a form, got ${ecpay.kind}`);
        // Signed with the rest: ECPay checks CheckMacValue over every field.
        expect(ecpay.fields.Language).toBe(locale === "en" ? "ENG" : undefined);
        const checkout = await pageOf(ecpay.action, { method: "POST", body: new URLSearchParams(ecpay.fields), headers });
        expect(checkout).toEqual({ lang, h1: ecpayHeading });
      }
    });

    it("records every transition once: a late answer that cannot change an ended order is kept and ignored, late money for a refunded one alerted", async () => {
      const { order } = await newOrder("parking-fee");
      await applyTransition(world.ctx, order.id, "cancelled", { source: "payer" });
      const late = await applyTransition(world.ctx, order.id, "expired", { source: "recovery_job", payload: { late: true } });
      expect(late.changed).toBe(false);
      expect(await transitions(database(), order.id)).toEqual(["∅→created:payer", "created→cancelled:payer"]);
      const ignored = await database().db.select().from(schema.paymentEvents).where(eq(schema.paymentEvents.orderId, order.id));
      expect(
        ignored.some(
          (event) => event.kind === "provider_answer" && JSON.stringify(event.payload).includes("cancelled cannot become expired"),
        ),
      ).toBe(true);

      const refunded = await newOrder("parking-fee");
      await payWithLinePay(refunded.order);
      await breakGlassRefund(world.ctx, {
        orderReference: refunded.order.reference,
        refundableAsSeen: refunded.order.totalAmount,
        operator: "clerk-3",
        systemUser: "ops",
        reasonText: "test",
      });
      expect(
        (await applyTransition(world.ctx, refunded.order.id, "paid", { source: "provider_notification", payload: { late: true } })).changed,
      ).toBe(false);
      expect(world.logs.some((log) => log.alert === "payment_after_order_ended" && log.order === refunded.order.reference)).toBe(true);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, {
      piiHmacKey: "payments-test-pii-key-payments-test",
      today: new Date().toISOString().slice(0, 10),
    });
  },
);
