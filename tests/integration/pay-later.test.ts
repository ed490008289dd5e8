import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PaymentTool } from "~/domain/payment-tools";
import { abandonPayment, startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { findOrderByReference, type PaymentOrder } from "~/payments/orders/order.server";
import { recoverPayments } from "~/payments/orders/recovery.server";
import { breakGlassRefund } from "~/money/refunds.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type DatabaseHandle } from "~/base/db.server";
import { describeEachDatabase } from "../support/databases";
import {
  payerAtEcpay,
  payerAtLinePay,
  followBack,
  postEcpayResult,
  startPaymentWorld,
  unpaidBills,
  type PaymentWorld,
  newKey,
} from "../support/payments";

/**
 * Paying later through ECPay: an ATM virtual account, a store code or store
 * barcodes are issued, the order waits for the money while its bills are
 * held, the paid notice pays it, and an expired code frees the bills only
 * once ECPay has been asked.
 */

async function transitions(handle: DatabaseHandle, orderId: string) {
  const events = await handle.db
    .select()
    .from(schema.paymentEvents)
    .where(eq(schema.paymentEvents.orderId, orderId))
    .orderBy(schema.paymentEvents.id);
  return events.filter((event) => event.kind === "transition").map((event) => `${event.fromState ?? "∅"}→${event.toState}:${event.source}`);
}

async function countOf(handle: DatabaseHandle, table: typeof schema.receipts | typeof schema.writeOffNotices, orderId: string) {
  const [row] = await handle.db.select({ n: count() }).from(table).where(eq(table.orderId, orderId));
  return row!.n;
}

/** The payer's browser posts ECPay's checkout form and asks for the account or code; returns what ECPay posts back with them. */
async function payerGetsInstructions(form: { action: string; fields: Record<string, string> }, expiry: "configured" | "one_minute") {
  const checkout = await fetch(form.action, { method: "POST", body: new URLSearchParams(form.fields) });
  if (!checkout.ok) throw new Error(`ECPay sandbox refused the checkout: ${await checkout.text()}`);
  const base = new URL(form.action).origin;
  const issued = await fetch(`${base}/Cashier/issue/${form.fields.MerchantTradeNo}`, {
    method: "POST",
    body: new URLSearchParams({ decision: "issue", expiry }),
  });
  const html = await issued.text();
  return Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replaceAll("&amp;", "&")]),
  );
}

describeEachDatabase(
  "paying later (ATM, store code, store barcode)",
  (database) => {
    let world: PaymentWorld;
    beforeAll(async () => {
      world = await startPaymentWorld(database().db);
    });
    afterAll(async () => {
      await world.close();
    });

    const reload = async (order: PaymentOrder) => (await findOrderByReference(database().db, order.reference))!;

    async function newOrder(billType: string, tool: PaymentTool) {
      const [bill] = await unpaidBills(database().db, billType, 1);
      const created = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool, idempotencyKey: newKey() });
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      return { order: created.order, bill: bill! };
    }

    /** An order whose account or code ECPay has issued (the payer came back with it). */
    async function issued(billType: string, tool: PaymentTool, expiry: "configured" | "one_minute" = "configured") {
      const { order, bill } = await newOrder(billType, tool);
      const started = await startPayment(world.ctx, order);
      if (started.kind !== "form") throw new Error("ECPay starts with a form post");
      const info = await payerGetsInstructions(started, expiry);
      // The payer's browser brings the same signed information back (ClientRedirectURL).
      const back = await postEcpayResult(world, info, "return");
      expect(back.headers.get("location")).toBe(`/payments/${order.reference}`);
      return { order: await reload(order), bill, info, fields: started.fields };
    }

    const payAt = (order: PaymentOrder, mode: "once" | "twice" | "late" = "once") =>
      fetch(`${world.sandboxUrl}/_sandbox/ecpay/pay-later/${order.reference}/pay`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ mode }),
      });

    it("issues an ATM account for a water bill, holds the bill until it expires, and pays it when ECPay's paid notice comes", async () => {
      const { order, bill, fields } = await issued("water-bill", "atm_transfer");
      expect(fields).toMatchObject({
        ChoosePayment: "ATM",
        ExpireDate: "3",
        ClientRedirectURL: `${world.portalUrl}/payments/callbacks/ecpay/return`,
      });
      expect(fields.PaymentInfoURL).toBe(`${world.portalUrl}/payments/callbacks/ecpay/payment-info`);
      expect(order.state).toBe("awaiting_payment");
      expect(order.paymentInstructions).toMatchObject({ kind: "atm", bankCode: "812" });
      const instructions = order.paymentInstructions!;
      expect(instructions.kind === "atm" && /^\d{14}$/.test(instructions.account)).toBe(true);
      // The hold and the order's window end with the account: the end of its last day, Taiwan time.
      expect(order.heldUntil.toISOString()).toBe(instructions.expiresAt);
      expect(order.expiresAt.toISOString()).toBe(instructions.expiresAt);
      expect(new Date(instructions.expiresAt).getTime()).toBeGreaterThan(Date.now() + 2 * 86_400_000);

      // Someone else (or the same resident another way) cannot pay the held bill meanwhile: told until when.
      const other = await createPaymentOrder(world.ctx, { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() });
      expect(other).toEqual({
        kind: "bills_unavailable",
        bills: [{ id: bill.id, reason: "in_progress", heldUntil: order.heldUntil, heldBy: order.reference }],
      });

      // The recovery job asks ECPay before the expiry: still waiting, nothing changes, asked again after the expiry.
      await database().db.update(schema.paymentOrders).set({ nextCheckAt: new Date() }).where(eq(schema.paymentOrders.id, order.id));
      await recoverPayments(world.ctx, new Date(Date.now() + 1000));
      const waiting = await reload(order);
      expect(waiting.state).toBe("awaiting_payment");
      expect(waiting.nextCheckAt!.getTime()).toBeGreaterThan(order.expiresAt.getTime());

      const paid = await payAt(order);
      expect(((await paid.json()) as { answers: string[] }).answers).toEqual(["1|OK"]);
      const after = await reload(order);
      expect(after.state).toBe("paid");
      expect(await transitions(database(), order.id)).toEqual([
        "∅→created:payer",
        "created→pending:system",
        "pending→awaiting_payment:provider_notification",
        "awaiting_payment→paid:provider_notification",
      ]);
      const [billRow] = await database().db.select().from(schema.bills).where(eq(schema.bills.id, bill.id));
      expect([billRow!.status, billRow!.paidChannel]).toEqual(["paid", "portal"]);
      expect(await countOf(database(), schema.receipts, order.id)).toBe(1);
      expect(await countOf(database(), schema.writeOffNotices, order.id)).toBe(1);
    });

    it("takes a repeated payment-info notice and a repeated paid notice for a store code once", async () => {
      const { order, info } = await issued("environmental-fine", "store_code");
      expect(order.paymentInstructions).toMatchObject({ kind: "store_code", code: info.PaymentNo });
      // ECPay repeats the payment-info notice: recorded, nothing changes.
      const again = await fetch(`${world.portalUrl}/payments/callbacks/ecpay/payment-info`, {
        method: "POST",
        body: new URLSearchParams(info),
      });
      expect(await again.text()).toBe("1|OK");
      expect((await reload(order)).paymentInstructions).toEqual(order.paymentInstructions);

      const paid = await payAt(order, "twice");
      expect(((await paid.json()) as { answers: string[] }).answers).toEqual(["1|OK", "1|OK"]);
      expect((await reload(order)).state).toBe("paid");
      expect(await countOf(database(), schema.receipts, order.id)).toBe(1);
      expect(await countOf(database(), schema.writeOffNotices, order.id)).toBe(1);
    });

    it("refuses a payment-info notice with a bad signature", async () => {
      const { order, info } = await issued("labor-fine", "store_barcode");
      expect(order.paymentInstructions).toMatchObject({ kind: "store_barcode", barcodes: [info.Barcode1, info.Barcode2, info.Barcode3] });
      const forged = await fetch(`${world.portalUrl}/payments/callbacks/ecpay/payment-info`, {
        method: "POST",
        body: new URLSearchParams({ ...info, PaymentNo: "LLL00000000000", CheckMacValue: "0".repeat(64) }),
      });
      expect(await forged.text()).toBe("0|CheckMacValue error");
      expect((await reload(order)).paymentInstructions).toEqual(order.paymentInstructions);
    });

    it("expires a code only once ECPay, asked after the expiry, still says unpaid; then the bill is free", async () => {
      const { order, bill } = await issued("health-fine", "store_barcode", "one_minute");
      expect(order.state).toBe("awaiting_payment");
      const afterExpiry = new Date(order.expiresAt.getTime() + 10 * 60_000);

      // ECPay cannot be reached: the code may have been paid, so the order waits and the bill stays held.
      Object.assign(world.sandbox.faults, { delayMs: 1500, delayCalls: ["query"], only: bill.writeOffNumber });
      await recoverPayments(world.ctx, afterExpiry);
      expect((await reload(order)).state).toBe("awaiting_payment");
      const stillHeld = await createPaymentOrder(
        world.ctx,
        { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() },
        afterExpiry,
      );
      expect(stillHeld.kind).toBe("bills_unavailable");
      Object.assign(world.sandbox.faults, { delayMs: 0, delayCalls: [], only: null });

      // ECPay answers "not paid" (TradeStatus 0: an expired code sends no notice): the order expires, the bill is free.
      await database().db.update(schema.paymentOrders).set({ nextCheckAt: afterExpiry }).where(eq(schema.paymentOrders.id, order.id));
      await recoverPayments(world.ctx, afterExpiry);
      expect((await reload(order)).state).toBe("expired");
      const next = await createPaymentOrder(world.ctx, { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() }, afterExpiry);
      expect(next.kind).toBe("created");
    });

    it("lets another checkout take over a bill whose code expired, after asking ECPay", async () => {
      const { order, bill } = await issued("traffic-fine", "store_code", "one_minute");
      const afterExpiry = new Date(order.expiresAt.getTime() + 60_000);
      const next = await createPaymentOrder(world.ctx, { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() }, afterExpiry);
      expect(next.kind).toBe("created");
      expect((await reload(order)).state).toBe("expired");

      // The store's money comes late after all, while the new payment holds the bill: a refund case, not a second payment.
      const late = await payAt(order, "late");
      expect(((await late.json()) as { answers: string[] }).answers).toEqual(["1|OK"]);
      expect((await reload(order)).state).toBe("paid");
      const cases = await database().db.select().from(schema.refundCases).where(eq(schema.refundCases.orderId, order.id));
      expect(cases.map((c) => [c.billId, c.reason])).toEqual([[bill.id, "bill_paid_by_another_order"]]);
    });

    it("pays a bill still free when the money comes after the payer gave the code up", async () => {
      const { order, bill } = await issued("environmental-fine", "atm_transfer");
      const given = await abandonPayment(world.ctx, order, "gave_up");
      expect(given.state).toBe("cancelled");
      await payAt(order);
      expect((await reload(order)).state).toBe("paid");
      const [billRow] = await database().db.select().from(schema.bills).where(eq(schema.bills.id, bill.id));
      expect(billRow!.status).toBe("paid");
    });

    it("pays by 台灣Pay through ECPay at once, like a card: no account or code, paid on the notice", async () => {
      const { order } = await newOrder("water-bill", "taiwan_pay");
      const started = await startPayment(world.ctx, order);
      if (started.kind !== "form") throw new Error("ECPay starts with a form post");
      expect(started.fields.ChoosePayment).toBe("TWQR");
      const result = await payerAtEcpay(started, "approve");
      expect(result.PaymentType).toBe("TWQR_OPAY");
      const paid = await reload(order);
      expect([paid.state, paid.paymentInstructions]).toEqual(["paid", null]);
      expect(await transitions(database(), order.id)).toEqual([
        "∅→created:payer",
        "created→pending:system",
        "pending→paid:provider_notification",
      ]);
    });

    it("never pretends to refund money sent from an ATM: the refund is left for a bank transfer by staff", async () => {
      const { order } = await issued("environmental-fine", "atm_transfer");
      await payAt(order);
      await breakGlassRefund(world.ctx, {
        orderReference: order.reference,
        refundableAsSeen: order.totalAmount,
        operator: "clerk-7",
        systemUser: "ops",
        reasonText: "test",
      });
      const refunds = await database().db.select().from(schema.refunds).where(eq(schema.refunds.orderId, order.id));
      expect(refunds.map((refund) => refund.state)).toEqual(["provider_refused"]);
      expect((await reload(order)).state).toBe("paid");
      expect(world.logs.some((log) => log.alert === "refund_needs_bank_transfer" && log.refund === refunds[0]!.number)).toBe(true);
      // ECPay was not asked to refund it through the card API.
      expect(world.sandbox.ecpayTrades.get(order.reference)!.refunded).toBe(0);
    });

    it("opens a refund case, never a second payment, when money for a given-up code comes after the bill was paid another way", async () => {
      const { order, bill } = await issued("labor-fine", "atm_transfer");
      await abandonPayment(world.ctx, order, "gave_up");
      // The bill, freed, is paid by LINE Pay.
      const other = await createPaymentOrder(world.ctx, { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey() });
      if (other.kind !== "created") throw new Error(`order not created: ${other.kind}`);
      const started = await startPayment(world.ctx, other.order);
      if (started.kind !== "redirect") throw new Error("LINE Pay starts with a redirect");
      expect((await followBack(world, await payerAtLinePay(started.url, "approve")))?.state).toBe("paid");

      // Then the ATM transfer arrives after all.
      await payAt(order);
      expect((await reload(order)).state).toBe("paid");
      const cases = await database().db.select().from(schema.refundCases).where(eq(schema.refundCases.orderId, order.id));
      expect(cases.map((c) => [c.billId, c.reason, c.amount])).toEqual([[bill.id, "bill_paid_by_another_order", order.totalAmount]]);
      expect(await countOf(database(), schema.writeOffNotices, order.id)).toBe(0);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, {
      piiHmacKey: "pay-later-test-pii-key-pay-later-test",
      today: new Date().toISOString().slice(0, 10),
    });
  },
);
