import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { historyCsvStream, neutralizeFormula } from "~/payments/history-csv.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { breakGlassRefund } from "~/money/refunds.server";
import { paymentSlip } from "~/payments/payment-slip.server";
import { receiptsPdfStream } from "~/payments/receipt-pdf.server";
import { receiptByNumber } from "~/payments/receipts.server";
import {
  HISTORY_PAGE_SIZE,
  NO_FILTERS,
  billPaymentRecords,
  memberHistoryBatches,
  memberHistoryPage,
  memberOwnsReceipts,
  memberReceiptNumbers,
  type HistoryRecord,
} from "~/payments/records.server";
import { upsertMember, type Member } from "~/members/sessions.server";
import { taipeiDate } from "~/domain/dates";
import { parseConvenienceBill } from "~/domain/convenience-barcode";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type DatabaseHandle } from "~/base/db.server";
import { getFixedT } from "~/base/i18n.server";
import { describeEachDatabase } from "../support/databases";
import { followBack, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-a000-${String(++keyCounter).padStart(12, "0")}`;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    chunks.push(value);
  }
}

describeEachDatabase(
  "payment records",
  (database) => {
    let world: PaymentWorld;
    let memberA: Member;
    let memberB: Member;
    const db = () => database().db;

    beforeAll(async () => {
      world = await startPaymentWorld(database().db);
      memberA = await upsertMember(db(), world.ctx.env, {
        issuer: "t",
        subject: "a",
        name: "林美芯",
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/",
      });
      memberB = await upsertMember(db(), world.ctx.env, {
        issuer: "t",
        subject: "b",
        name: "王小明",
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/",
      });
    });
    afterAll(async () => {
      await world.close();
    });

    /** Pays bills with LINE Pay through the sandbox, as the member (or nobody). */
    async function pay(billType: string, count: number, memberId: string | null, now?: Date) {
      const bills = await unpaidBills(db(), billType, count);
      const created = await createPaymentOrder(
        world.ctx,
        { billIds: bills.map((b) => b.id), tool: "line_pay", idempotencyKey: newKey(), memberId },
        now,
      );
      if (created.kind !== "created") throw new Error(created.kind);
      const started = await startPayment(world.ctx, created.order);
      if (started.kind !== "redirect") throw new Error(started.kind);
      const back = await payerAtLinePay(started.url, "approve");
      await followBack(world, back);
      const [order] = await db().select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, created.order.id));
      if (now) await db().update(schema.paymentOrders).set({ paidAt: now, createdAt: now }).where(eq(schema.paymentOrders.id, order!.id));
      const [receipt] = await db().select().from(schema.receipts).where(eq(schema.receipts.orderId, order!.id));
      return { order: order!, bills, receiptNumber: receipt!.number };
    }

    describe("a bill's records", () => {
      it("lists the bill's payment with its receipt, and a refund once refunded", async () => {
        const paid = await pay("traffic-fine", 1, null);
        const [record] = await billPaymentRecords(db(), paid.bills[0]!.id);
        expect(record).toMatchObject({
          status: "paid",
          receiptNumber: paid.receiptNumber,
          paymentTool: "line_pay",
          amount: paid.bills[0]!.amount,
          writeOffNumber: paid.bills[0]!.writeOffNumber,
        });
        expect(record!.payerNameMasked).toContain("○");

        expect(
          (
            await breakGlassRefund(world.ctx, {
              orderReference: paid.order.reference,
              refundableAsSeen: paid.order.totalAmount,
              operator: "test",
              systemUser: "ops",
              reasonText: "test",
            })
          ).kind,
        ).toBe("refunded");
        const [refunded] = await billPaymentRecords(db(), paid.bills[0]!.id);
        expect(refunded).toMatchObject({ status: "refunded", receiptNumber: paid.receiptNumber });
        expect(refunded!.refundedAt).not.toBeNull();
      });

      it("has nothing for a bill never paid here", async () => {
        const [bill] = await unpaidBills(db(), "parking-fee", 1);
        expect(await billPaymentRecords(db(), bill!.id)).toEqual([]);
      });
    });

    describe("a member's history", () => {
      const days = ["2026-10-03", "2026-10-15", "2026-11-01", "2026-11-20"];
      let payments: Awaited<ReturnType<typeof pay>>[];

      beforeAll(async () => {
        payments = [];
        for (const [i, day] of days.entries()) {
          payments.push(
            await pay(
              i % 2 === 0 ? "environmental-fine" : "market-usage-fee",
              i === 3 ? 2 : 1,
              memberA.id,
              new Date(`${day}T10:00:00+08:00`),
            ),
          );
        }
        // Someone else's payment, on a day inside every range below.
        await pay("environmental-fine", 1, memberB.id, new Date("2026-11-01T12:00:00+08:00"));
      });

      it("lists only the member's own payments, one row per bill, newest first", async () => {
        const page = await memberHistoryPage(db(), memberA.id, NO_FILTERS, 1);
        expect(page.total).toBe(5);
        expect(page.records.map((r) => r.at.slice(0, 10))).toEqual(
          ["2026-11-20", "2026-11-20", "2026-11-01", "2026-10-15", "2026-10-03"].map((d) =>
            new Date(`${d}T02:00:00Z`).toISOString().slice(0, 10),
          ),
        );
        expect(page.paidAmount).toBe(payments.flatMap((p) => p.bills).reduce((sum, b) => sum + b.amount, 0));
        const bWriteOffs = new Set((await memberHistoryPage(db(), memberB.id, NO_FILTERS, 1)).records.map((r) => r.writeOffNumber));
        expect(page.records.some((r) => bWriteOffs.has(r.writeOffNumber))).toBe(false);
      });

      it("filters by dates in Taiwan (both ends included), bill type and status", async () => {
        const filtered = async (filters: Partial<typeof NO_FILTERS>) =>
          (await memberHistoryPage(db(), memberA.id, { ...NO_FILTERS, ...filters }, 1)).records.map((r) => r.writeOffNumber);
        const numbersOf = (...i: number[]) => i.flatMap((n) => payments[n]!.bills.map((b) => b.writeOffNumber));
        expect((await filtered({ from: "2026-10-15", to: "2026-11-01" })).sort()).toEqual(numbersOf(1, 2).sort());
        expect((await filtered({ billType: "market-usage-fee" })).sort()).toEqual(numbersOf(1, 3).sort());
        expect(
          (
            await breakGlassRefund(world.ctx, {
              orderReference: payments[0]!.order.reference,
              refundableAsSeen: payments[0]!.order.totalAmount,
              operator: "test",
              systemUser: "ops",
              reasonText: "test",
            })
          ).kind,
        ).toBe("refunded");
        expect(await filtered({ status: "refunded" })).toEqual(numbersOf(0));
        expect((await filtered({ status: "paid" })).length).toBe(4);
        expect(await filtered({ status: "in_progress" })).toEqual([]);
      });

      it("pages through a long history without losing or repeating a row", async () => {
        const member = await upsertMember(db(), world.ctx.env, {
          issuer: "t",
          subject: "long",
          name: "陳大文",
          nationalId: null,
          verified: false,
          idToken: null,
          returnTo: "/",
        });
        await insertHistory(database(), member.id, HISTORY_PAGE_SIZE * 2 + 5);
        const seen: string[] = [];
        for (let page = 1; page <= 3; page++) {
          const result = await memberHistoryPage(db(), member.id, NO_FILTERS, page);
          expect(result.pages).toBe(3);
          seen.push(...result.records.map((r) => `${r.orderReference}/${r.writeOffNumber}`));
        }
        expect(new Set(seen).size).toBe(HISTORY_PAGE_SIZE * 2 + 5);
        // A page past the end shows the last page.
        expect((await memberHistoryPage(db(), member.id, NO_FILTERS, 99)).page).toBe(3);

        const batches: HistoryRecord[][] = [];
        for await (const batch of memberHistoryBatches(db(), member.id, NO_FILTERS, 7)) batches.push(batch);
        expect(batches.flat().map((r) => `${r.orderReference}/${r.writeOffNumber}`)).toEqual(seen);
      });

      it("writes the CSV for Excel: BOM, CRLF, header in the page's language, formulas neutralized", async () => {
        const t = await getFixedT("zh-TW");
        const csv = (await readAll(historyCsvStream(memberHistoryBatches(db(), memberA.id, NO_FILTERS, 2), t, "zh-TW"))).toString("utf8");
        expect(csv.startsWith("\uFEFF繳費時間,繳費時間（ISO 8601，臺灣時間）,狀態,繳費項目")).toBe(true);
        const lines = csv.slice(1).trimEnd().split("\r\n");
        expect(lines).toHaveLength(6);
        expect(lines.filter((line) => line.includes(",已退款,"))).toHaveLength(1);
        expect(neutralizeFormula('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
        expect(neutralizeFormula("-1")).toBe("'-1");
        expect(neutralizeFormula("林美芯")).toBe("林美芯");
      });

      it("gives receipts only of the member's own payments", async () => {
        const own = await memberReceiptNumbers(db(), memberA.id, NO_FILTERS, 200);
        expect(own.sort()).toEqual(payments.map((p) => p.receiptNumber).sort());
        const [bFirst] = await memberReceiptNumbers(db(), memberB.id, NO_FILTERS, 200);
        expect(await memberOwnsReceipts(db(), memberA.id, [bFirst!, own[0]!])).toEqual([own[0]]);

        const stream = receiptsPdfStream(
          (async function* () {
            for (const number of own)
              yield { receipt: (await receiptByNumber(db(), number))!, verifyUrl: `https://portal.example/receipts/verify?n=${number}` };
          })(),
          own.length,
          "zh-TW",
        );
        const pdf = await readAll(stream);
        expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
        expect((pdf.toString("latin1").match(/\/Type \/Page\b/g) ?? []).length).toBe(own.length);
      });
    });

    describe("payment slips", () => {
      it("composes barcodes that parse back to the bill, and refuses paid and overdue bills", async () => {
        const today = taipeiDate();
        const [row] = await db()
          .select()
          .from(schema.bills)
          .where(eq(schema.bills.status, "unpaid"))
          .then((rows) => rows.filter((bill) => bill.dueDate > today));
        const slip = await paymentSlip(db(), row!.id);
        expect(slip?.kind).toBe("slip");
        if (slip?.kind !== "slip") return;
        const parsed = parseConvenienceBill(slip.slip.barcodes, today);
        expect(parsed).toMatchObject({
          ok: true,
          bill: { writeOffNumber: row!.writeOffNumber, amount: row!.amount, deadline: row!.dueDate },
        });

        const [paidBill] = await db().select().from(schema.bills).where(eq(schema.bills.status, "paid")).limit(1);
        expect(await paymentSlip(db(), paidBill!.id)).toMatchObject({ kind: "not_payable", reason: "paid" });
        const [overdue] = await db()
          .select()
          .from(schema.bills)
          .where(eq(schema.bills.status, "unpaid"))
          .then((rows) => rows.filter((bill) => bill.dueDate < today));
        expect(await paymentSlip(db(), overdue!.id)).toMatchObject({ kind: "not_payable", reason: "overdue" });
      });
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "test-pii-key-test-pii-key-test-pii-key" });
  },
);

/** A long history, written straight to the tables (orders paid, one bill each, receipts). */
async function insertHistory(handle: DatabaseHandle, memberId: string, count: number) {
  const bills = await handle.db
    .select({ id: schema.bills.id, amount: schema.bills.amount })
    .from(schema.bills)
    .where(eq(schema.bills.billTypeCode, "gas-bill"))
    .limit(count);
  const at = new Date("2026-09-01T08:00:00+08:00");
  const orders = await handle.db
    .insert(schema.paymentOrders)
    .values(
      bills.map((bill, i) => ({
        reference: `PH${String(i).padStart(10, "0")}`,
        idempotencyKey: `history-${memberId}-${i}`,
        memberId,
        paymentTool: "line_pay" as const,
        provider: "line_pay" as const,
        state: "paid" as const,
        totalAmount: bill.amount,
        // Pairs share a moment: the order of rows must not depend on it alone.
        paidAt: new Date(at.getTime() + Math.floor(i / 2) * 60_000),
        createdAt: new Date(at.getTime() + Math.floor(i / 2) * 60_000),
        expiresAt: at,
      })),
    )
    .returning({ id: schema.paymentOrders.id });
  await handle.db
    .insert(schema.paymentOrderItems)
    .values(orders.map((order, i) => ({ orderId: order.id, billId: bills[i]!.id, amount: bills[i]!.amount })));
  await handle.db
    .insert(schema.receipts)
    .values(orders.map((order, i) => ({ orderId: order.id, number: `R20260901-H${String(i).padStart(5, "0")}` })));
}
