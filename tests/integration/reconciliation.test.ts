import { randomInt } from "node:crypto";
import { and, count, eq, ne } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { addDays, taipeiDate } from "~/domain/dates";
import type { PaymentProvider } from "~/domain/payment-order";
import { feeFor } from "~/domain/reconciliation";
import type { EffectiveRole } from "~/domain/staff";
import { reconciliationDay, reconciliationDays, resolveReconciliationItem, actOnSettlementFile } from "~/back-office/reconciliation.server";
import { dailyReconciliation, fetchAndReconcile } from "~/money/reconciliation-job.server";
import { importSettlementFile } from "~/money/reconciliation.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { orderForProvider, type PaymentOrder } from "~/payments/orders/order.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { schema, type Database } from "~/base/db.server";
import { describeEachDatabase } from "../support/databases";
import { followBack, payerAtEcpay, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-9000-${String(++keyCounter).padStart(12, "0")}`;

/** The test's day must not end while it pays and reconciles (a run just before midnight in Taiwan waits for the next day). */
async function clearOfMidnight() {
  const now = Date.now();
  const untilMidnight = new Date(`${addDays(taipeiDate(new Date(now)), 1)}T00:00:00+08:00`).getTime() - now;
  if (untilMidnight < 90_000) await new Promise((resolve) => setTimeout(resolve, untilMidnight + 1_000));
}

async function staffMember(db: Database, username: string, roles: EffectiveRole[]) {
  const [row] = await db
    .select({ id: schema.staff.id })
    .from(schema.staff)
    .where(eq(schema.staff.subject, `st-${username}`));
  return { staffId: row!.id, roles, requestId: `reconciliation-test-${username}` };
}

describeEachDatabase(
  "reconciliation",
  (database) => {
    let world: PaymentWorld;
    const db = () => database().db;
    beforeAll(async () => {
      world = await startPaymentWorld(database().db);
    });
    afterAll(async () => {
      await world.close();
    });

    async function paidOrder(billType: string, tool: "line_pay" | "credit_card"): Promise<PaymentOrder> {
      const [bill] = await unpaidBills(db(), billType, 1);
      const created = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool, idempotencyKey: newKey() });
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      const started = await startPayment(world.ctx, created.order);
      if (started.kind === "redirect") await followBack(world, await payerAtLinePay(started.url, "approve"));
      else if (started.kind === "form") await payerAtEcpay(started, "approve");
      const [order] = await db().select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, created.order.id));
      if (order?.state !== "paid") throw new Error(`order not paid: ${order?.state}`);
      return order;
    }

    /** A refund given back through the provider and recorded as completed (the refund service's part, done by hand). */
    async function completedRefund(order: PaymentOrder, amount: number) {
      const answer = await world.ctx.providers.get(order.provider)!.refund(await orderForProvider(db(), order), amount);
      if (!answer.ok) throw new Error(`refund refused: ${JSON.stringify(answer.payload)}`);
      const providerRefundId = (answer.payload as { info?: { refundTransactionId?: string } }).info?.refundTransactionId ?? null;
      const [item] = await db()
        .select({ billId: schema.paymentOrderItems.billId, agencyCode: schema.billTypes.agencyCode })
        .from(schema.paymentOrderItems)
        .innerJoin(schema.bills, eq(schema.bills.id, schema.paymentOrderItems.billId))
        .innerJoin(schema.billTypes, eq(schema.billTypes.code, schema.bills.billTypeCode))
        .where(eq(schema.paymentOrderItems.orderId, order.id));
      const now = new Date();
      const [refund] = await db()
        .insert(schema.refunds)
        .values({
          number: `RF${taipeiDate().replaceAll("-", "")}${String(randomInt(10 ** 6)).padStart(6, "0")}`,
          orderId: order.id,
          billId: item!.billId,
          agencyCode: item!.agencyCode,
          amount,
          refundableAsSeen: order.totalAmount,
          reason: "other",
          steps: [{ step: "request", role: "handler" }],
          state: "refunded",
          operator: "reconciliation test",
          providerRefundId,
          releasedAt: now,
          refundedAt: now,
        })
        .returning();
      return refund!;
    }

    /** What the sandbox's next settlement files are to carry (replacing what was set before). */
    const settlementFaults = (faults: unknown[]) =>
      fetch(`${world.sandboxUrl}/_sandbox/settlement-faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ faults }),
      });
    const itemsOfDay = (businessDate: string) =>
      db().select().from(schema.reconciliationItems).where(eq(schema.reconciliationItems.businessDate, businessDate));
    const filesOf = (provider: PaymentProvider, businessDate: string) =>
      db()
        .select()
        .from(schema.settlementFiles)
        .where(and(eq(schema.settlementFiles.provider, provider), eq(schema.settlementFiles.businessDate, businessDate)));

    let today: string;
    let orders: { line: PaymentOrder[]; card: PaymentOrder[] };
    let refunds: { linePartial: { id: string }; card: { id: string }; lineDropped: { id: string } };

    it("reconciles a day paid through both providers to exactly the mismatches the providers' files carry, everything else matched", async () => {
      await clearOfMidnight();
      today = taipeiDate();
      orders = { line: [], card: [] };
      for (let i = 0; i < 4; i++) orders.line.push(await paidOrder("traffic-fine", "line_pay"));
      for (let i = 0; i < 4; i++) orders.card.push(await paidOrder("environmental-fine", "credit_card"));
      const [l0, l1, l2, l3] = orders.line as [PaymentOrder, PaymentOrder, PaymentOrder, PaymentOrder];
      const [c0, c1] = orders.card as [PaymentOrder, PaymentOrder];
      refunds = {
        linePartial: await completedRefund(l0, 100),
        card: await completedRefund(c0, 50),
        lineDropped: await completedRefund(l3, 200),
      };
      const cardFee = feeFor(c1.totalAmount, { basisPoints: 275, fixed: 0 });
      await settlementFaults([
        { kind: "drop_line", merchantOrderNumber: l1.reference },
        { kind: "change_amount", merchantOrderNumber: l2.reference, amount: l2.totalAmount - 1 },
        { kind: "change_fee", merchantOrderNumber: c1.reference, fee: cardFee + 5 },
        { kind: "add_line", provider: "ecpay", merchantOrderNumber: "ZZNOTOURS0000001", amount: 777 },
        { kind: "drop_refund", merchantOrderNumber: l3.reference },
      ]);

      const after: string[] = [];
      const job = dailyReconciliation({ afterDay: [async (_ctx, day) => void after.push(day)] });
      // Before the hour nothing happens; after it, yesterday (seen from tomorrow) is today's payments.
      expect(await job.run(world.ctx, new Date(`${addDays(today, 1)}T05:59:00+08:00`))).toEqual({ kind: "not_yet" });
      const tomorrowMorning = new Date(`${addDays(today, 1)}T07:00:00+08:00`);
      expect(await job.run(world.ctx, tomorrowMorning)).toEqual({
        kind: "ran",
        businessDate: today,
        results: { line_pay: "imported", ecpay: "imported" },
        waiting: [],
        stepsRan: true,
      });
      expect(after).toEqual([today]);

      const items = await itemsOfDay(today);
      const mismatches = items
        .filter((item) => item.state !== "matched")
        .map((item) => [
          item.provider,
          item.outcome,
          item.state,
          item.orderId ?? (item.found as { merchantOrderNumber: string }).merchantOrderNumber,
          item.refundId,
        ])
        .sort();
      expect(mismatches).toEqual(
        [
          ["ecpay", "fee_differs", "open", c1.id, null],
          ["ecpay", "settled_not_paid", "open", "ZZNOTOURS0000001", null],
          ["line_pay", "amount_differs", "open", l2.id, null],
          ["line_pay", "paid_not_settled", "open", l1.id, null],
          ["line_pay", "refund_not_settled", "open", l3.id, refunds.lineDropped.id],
        ].sort(),
      );
      const matched = items.filter((item) => item.state === "matched");
      expect(matched.map((item) => item.refundId ?? item.orderId).sort()).toEqual(
        [l0.id, l3.id, c0.id, orders.card[2]!.id, orders.card[3]!.id, refunds.linePartial.id, refunds.card.id].sort(),
      );
      expect(items.find((item) => item.outcome === "fee_differs")).toMatchObject({
        expected: { fee: cardFee },
        found: { fee: cardFee + 5 },
      });

      // The fee of each payment, as the file states it, is the order's.
      const fees = await db().select({ id: schema.paymentOrders.id, fee: schema.paymentOrders.providerFee }).from(schema.paymentOrders);
      const feeOf = (order: PaymentOrder) => fees.find((row) => row.id === order.id)?.fee;
      expect(feeOf(l0)).toBe(feeFor(l0.totalAmount, { basisPoints: 220, fixed: 0 }));
      expect(feeOf(c1)).toBe(cardFee + 5);
      expect(feeOf(l1)).toBeNull();

      // The next round finds the day done: nothing fetched, the steps not run again.
      expect(await job.run(world.ctx, new Date(tomorrowMorning.getTime() + 60_000))).toMatchObject({
        results: {},
        waiting: [],
        stepsRan: false,
      });
      expect(await filesOf("line_pay", today)).toHaveLength(1);
    });

    it("imports the same file again without a second file or item, and a newer file keeps what staff resolved", async () => {
      const before = await itemsOfDay(today);
      expect(await fetchAndReconcile(world.ctx, "line_pay", today)).toMatchObject({ kind: "same_file" });
      expect(await filesOf("line_pay", today)).toHaveLength(1);
      const again = await itemsOfDay(today);
      expect(again.map((item) => [item.outcome, item.orderId, item.refundId]).sort()).toEqual(
        before.map((item) => [item.outcome, item.orderId, item.refundId]).sort(),
      );

      await seedDemoStaff(db());
      const accounting = await staffMember(db(), "police-accounting", [{ role: "accounting_head", agencyCode: "police", actingFor: null }]);
      const missing = again.find((item) => item.outcome === "paid_not_settled")!;
      const resolving = new FormData();
      resolving.set("itemId", String(missing.id));
      resolving.set("note", "LINE Pay settles it on the next day's report; checked with their merchant center.");
      expect(await resolveReconciliationItem(db(), accounting, today, resolving)).toEqual({ kind: "resolved", itemId: missing.id });

      // LINE Pay corrects the amount it reported; the line it lacks is still lacking.
      const [l1, l2] = [orders.line[1]!, orders.line[2]!];
      await settlementFaults([
        { kind: "drop_line", merchantOrderNumber: l1.reference },
        { kind: "drop_refund", merchantOrderNumber: orders.line[3]!.reference },
      ]);
      expect(await fetchAndReconcile(world.ctx, "line_pay", today)).toMatchObject({ kind: "imported", superseded: true });
      const files = await filesOf("line_pay", today);
      expect(files.map((file) => file.supersededAt === null).sort()).toEqual([false, true]);
      const current = files.find((file) => file.supersededAt === null)!;
      const lineItems = (await itemsOfDay(today)).filter((item) => item.provider === "line_pay");
      expect(lineItems.find((item) => item.orderId === l2.id)).toMatchObject({ outcome: "matched", fileId: current.id });
      expect(lineItems.filter((item) => item.orderId === l1.id)).toEqual([
        expect.objectContaining({
          id: missing.id,
          outcome: "paid_not_settled",
          state: "resolved",
          fileId: current.id,
          resolutionNote: "LINE Pay settles it on the next day's report; checked with their merchant center.",
          resolvedBy: accounting.staffId,
        }),
      ]);
    });

    it("resolves a mismatch only with a note, by staff whose agency it is, in the audit trail", async () => {
      const accounting = await staffMember(db(), "police-accounting", [{ role: "accounting_head", agencyCode: "police", actingFor: null }]);
      const water = await staffMember(db(), "water-accounting", [{ role: "accounting_head", agencyCode: "water", actingFor: null }]);
      const auditor = await staffMember(db(), "auditor", [{ role: "auditor", agencyCode: null, actingFor: null }]);
      const items = await itemsOfDay(today);
      // The card payments paid environmental fines (the environment agency's); the refund_not_settled is a traffic fine's (police).
      const police = items.find((item) => item.outcome === "refund_not_settled")!;
      const orphan = items.find((item) => item.outcome === "settled_not_paid" && item.orderId === null)!;
      const form = (itemId: number, note: string) => {
        const data = new FormData();
        data.set("itemId", String(itemId));
        data.set("note", note);
        return data;
      };
      expect(await resolveReconciliationItem(db(), accounting, today, form(police.id, "   "))).toMatchObject({
        kind: "invalid",
        errors: { note: "noteRequired" },
      });
      expect(await resolveReconciliationItem(db(), accounting, today, form(police.id, "長".repeat(1001)))).toMatchObject({
        kind: "invalid",
        errors: { note: "noteTooLong" },
      });
      // Another agency's item does not exist for them; the auditor sees it and may not work on it.
      expect(await resolveReconciliationItem(db(), water, today, form(police.id, "not ours"))).toEqual({ kind: "not_found" });
      expect(await resolveReconciliationItem(db(), auditor, today, form(police.id, "looks fine"))).toEqual({ kind: "forbidden" });
      expect(await resolveReconciliationItem(db(), accounting, today, form(police.id, "Refund RF… settled on the next day."))).toEqual({
        kind: "resolved",
        itemId: police.id,
      });
      expect(await resolveReconciliationItem(db(), accounting, today, form(police.id, "again"))).toEqual({
        kind: "not_open",
        itemId: police.id,
      });
      // A line of no order here is anyone's to claim who works reconciliation.
      expect(
        await resolveReconciliationItem(db(), water, today, form(orphan.id, "A counter payment keyed into ECPay by hand: ours, 777.")),
      ).toEqual({
        kind: "resolved",
        itemId: orphan.id,
      });

      const audited = await db()
        .select({ actorId: schema.auditLog.actorId, targetId: schema.auditLog.targetId, details: schema.auditLog.details })
        .from(schema.auditLog)
        .where(eq(schema.auditLog.action, "reconciliation.item_resolved"));
      expect(audited).toEqual(
        expect.arrayContaining([
          {
            actorId: accounting.staffId,
            targetId: String(police.id),
            details: expect.objectContaining({
              outcome: "refund_not_settled",
              businessDate: today,
              note: "Refund RF… settled on the next day.",
            }),
          },
          {
            actorId: water.staffId,
            targetId: String(orphan.id),
            details: expect.objectContaining({ outcome: "settled_not_paid", orderId: null }),
          },
        ]),
      );

      // What each sees of the day: the water accounting head only the line of no order; the auditor everything.
      const waterDay = await reconciliationDay(db(), water, today);
      expect(waterDay.items.map((item) => item.id)).toEqual([orphan.id]);
      // The police see their traffic fines' items (the corrected amount went with the old file) and the line of no
      // order, not the environment agency's card payments.
      const policeDay = await reconciliationDay(db(), accounting, today);
      expect(policeDay.items.map((item) => item.outcome).sort()).toEqual(["paid_not_settled", "refund_not_settled", "settled_not_paid"]);
      const auditorDay = await reconciliationDay(db(), auditor, today);
      expect(auditorDay.items.filter((item) => item.state === "open").every((item) => !item.mayResolve)).toBe(true);
      expect(auditorDay.counts.line_pay.matched + auditorDay.counts.ecpay.matched).toBe(
        (await itemsOfDay(today)).filter((item) => item.state === "matched").length,
      );
      const days = await reconciliationDays(db(), auditor, 1);
      expect(days.days[0]).toMatchObject({ businessDate: today, providers: [{ provider: "line_pay" }, { provider: "ecpay" }] });
    });

    it("brings an ended day's statements as soon as staff fetch a file that completes it, and none while the day runs", async () => {
      const accounting = await staffMember(db(), "police-accounting", [{ role: "accounting_head", agencyCode: "police", actingFor: null }]);
      // The provider's own file uploaded again (the same file: nothing else of the day changes).
      const [current] = (await filesOf("ecpay", today)).filter((file) => file.supersededAt === null);
      const uploadAgain = (now: Date) => {
        const form = new FormData();
        form.set("provider", "ecpay");
        form.set("businessDate", today);
        form.set("file", new File([current!.content], "media.csv", { type: "text/csv" }));
        return actOnSettlementFile(world.ctx, accounting, "upload", form, now);
      };
      const statementsOfToday = () => db().select().from(schema.agencyStatements).where(eq(schema.agencyStatements.businessDate, today));
      // Today's files are all in (the tests above): while the day runs, still no statement.
      expect(await uploadAgain(new Date())).toMatchObject({ kind: "done", result: { kind: "same_file" } });
      expect(await statementsOfToday()).toEqual([]);
      // The same file once the day is over: the statements come at once, each announced.
      const tomorrow = new Date(Date.parse(`${addDays(today, 1)}T01:00:00+08:00`));
      expect(await uploadAgain(tomorrow)).toMatchObject({ kind: "done", result: { kind: "same_file" } });
      const made = await statementsOfToday();
      expect(made.map((row) => row.agencyCode)).toContain("police");
      const announced = await db()
        .select({ statementId: schema.writeOffNotices.statementId })
        .from(schema.writeOffNotices)
        .where(eq(schema.writeOffNotices.kind, "statement.ready"));
      expect(announced.map((row) => row.statementId)).toEqual(expect.arrayContaining(made.map((row) => row.id)));
    });

    it("refuses a malformed file whole, and takes a provider's own file uploaded by staff", async () => {
      const accounting = await staffMember(db(), "police-accounting", [{ role: "accounting_head", agencyCode: "police", actingFor: null }]);
      const [countBefore] = await db().select({ n: count() }).from(schema.settlementLines);
      const itemsBefore = await db()
        .select({ n: count() })
        .from(schema.reconciliationItems)
        .where(ne(schema.reconciliationItems.state, "resolved"));
      const [current] = (await filesOf("ecpay", today)).filter((file) => file.supersededAt === null);
      // The provider's file with its last line cut short: nothing of it is taken.
      const cut = current!.content.trimEnd().split("\r\n");
      cut[cut.length - 1] = cut.at(-1)!.split(",").slice(0, 4).join(",");
      const upload = (content: string | Uint8Array<ArrayBuffer>, fields: Record<string, string> = {}) => {
        const form = new FormData();
        form.set("provider", fields.provider ?? "ecpay");
        form.set("businessDate", fields.businessDate ?? today);
        form.set("file", new File([content], "media.csv", { type: "text/csv" }));
        return actOnSettlementFile(world.ctx, accounting, "upload", form);
      };
      expect(await upload(cut.join("\r\n"))).toMatchObject({
        kind: "invalid",
        problems: [{ field: "file", code: "fileRefused", problem: { code: "column_count", row: cut.length } }],
      });
      expect(await upload(new Uint8Array([0x80, 0xff, 0x00]))).toMatchObject({
        problems: [{ code: "fileRefused", problem: { code: "encoding" } }],
      });
      expect(await upload("x", { provider: "paypal", businessDate: "2026-02-30" })).toMatchObject({
        problems: [
          { field: "provider", code: "providerInvalid" },
          { field: "businessDate", code: "dateInvalid" },
        ],
      });
      expect(await upload("x", { businessDate: addDays(today, 2) })).toMatchObject({
        problems: [{ field: "businessDate", code: "dateFuture" }],
      });
      expect(
        await importSettlementFile(world.ctx, {
          provider: "line_pay",
          businessDate: today,
          origin: "uploaded",
          fileName: "x.csv",
          content: "nonsense",
          uploadedBy: null,
        }),
      ).toMatchObject({
        kind: "refused",
        problem: { code: "not_a_file" },
      });
      expect((await db().select({ n: count() }).from(schema.settlementLines))[0]).toEqual(countBefore);
      expect(
        await db().select({ n: count() }).from(schema.reconciliationItems).where(ne(schema.reconciliationItems.state, "resolved")),
      ).toEqual(itemsBefore);
      expect((await filesOf("ecpay", today)).length).toBe(1);

      // The same file as ECPay gave it, uploaded (with a byte-order mark, as a spreadsheet saves it): the same file.
      expect(await upload(`\uFEFF${current!.content}`)).toMatchObject({ kind: "done", result: { kind: "same_file", fileId: current!.id } });
      const audited = await db()
        .select({ details: schema.auditLog.details })
        .from(schema.auditLog)
        .where(eq(schema.auditLog.action, "reconciliation.file_uploaded"));
      expect(audited.map((row) => (row.details as { result: string }).result)).toEqual(expect.arrayContaining(["refused", "same_file"]));
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, {
      piiHmacKey: "reconciliation-test-pii-key-reconciliation",
      today: new Date().toISOString().slice(0, 10),
    });
  },
);
