import { randomUUID } from "node:crypto";
import { parse } from "csv-parse/sync";
import { asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { composeConvenienceBarcodes } from "~/domain/convenience-barcode";
import { taipeiDate } from "~/domain/dates";
import type { EntryChannel } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { taipeiMonth, type Month } from "~/domain/statistics";
import { schema, setAppDatabase, type Database } from "~/base/db.server";
import { installConfiguration } from "~/base/env.server";
import { findBillType } from "~/bills/catalogue.server";
import { agencyLinkKeyFinder, createBillLink } from "~/lookup/bill-links.server";
import { lookUpBill, openBillLink } from "~/lookup/lookup.server";
import { flushLookupTallies } from "~/lookup/tallies.server";
import { openScannedBill } from "~/lookup/scan.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { applyTransition } from "~/payments/orders/transitions.server";
import { citySummary, monthStatistics } from "~/statistics/statistics.server";
import { startStaffSession } from "~/back-office/staff-sessions.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { loader as backOfficeStatistics } from "~/routes/back-office.statistics";
import { loader as backOfficeStatisticsCsv } from "~/routes/back-office.statistics[.]csv";
import { loader as publicStatistics } from "~/routes/statistics";
import { loader as publicStatisticsCsv } from "~/routes/statistics[.]csv";
import { describeEachDatabase } from "../support/databases";
import { capturedLogger, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/**
 * Monthly statistics over real orders (created and paid through the order
 * service) and real look-ups: the month's figures, however they are cut (by
 * agency, bill type, category, tool, channel), add up to the order items of
 * the orders paid in that Taiwan month, to the dollar; refunds count in the
 * month they completed; the on-time share reads the Taiwan day; look-ups are
 * counted where their outcome is decided.
 */

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-c000-${String(++keyCounter).padStart(12, "0")}`;
let counter = 0;
const at = (taipei: string) => new Date(`${taipei}+08:00`);
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const MONTH = "2026-11" as Month;

interface Paid {
  orderId: string;
  bills: Array<{ id: string; amount: number; billType: string; agency: string; dueDate: string }>;
}

describeEachDatabase(
  "monthly statistics",
  (database) => {
    const db = (): Database => database().db;
    let world: PaymentWorld;

    beforeAll(async () => {
      world = await startPaymentWorld(db());
      setAppDatabase(database());
      installConfiguration(world.ctx.env);
    });
    afterAll(async () => {
      setAppDatabase(undefined);
      await world.close();
    });

    /** An order for these bills (each due on the date given), paid at `paidAt` through the order service. */
    async function paidOrder(
      billTypes: Record<string, { count: number; due: string }>,
      tool: PaymentTool,
      channel: EntryChannel | null,
      paidAt: Date,
    ): Promise<Paid> {
      const bills: Paid["bills"] = [];
      for (const [billType, { count, due }] of Object.entries(billTypes)) {
        const found = await unpaidBills(db(), billType, count);
        await db()
          .update(schema.bills)
          .set({ issuedOn: "2026-01-01", dueDate: due })
          .where(
            inArray(
              schema.bills.id,
              found.map((bill) => bill.id),
            ),
          );
        const agency = (await findBillType(db(), billType))!.billType.agencyCode;
        bills.push(...found.map((bill) => ({ id: bill.id, amount: bill.amount, billType, agency, dueDate: due })));
      }
      const created = await createPaymentOrder(world.ctx, {
        billIds: bills.map((bill) => bill.id),
        tool,
        idempotencyKey: newKey(),
        entryChannel: channel,
      });
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      await applyTransition(world.ctx, created.order.id, "pending", { source: "system" });
      await applyTransition(world.ctx, created.order.id, "paid", {
        source: "provider_notification",
        providerTransactionId: `${Date.now()}${String(++counter).padStart(6, "0")}`,
        paidAt,
      });
      return { orderId: created.order.id, bills };
    }

    /** A refund of one bill, as the refund service records it: completed at `refundedAt`, or still in approval. */
    async function refund(paid: Paid, index: number, amount: number, refundedAt: Date | null) {
      const bill = paid.bills[index]!;
      await db()
        .insert(schema.refunds)
        .values({
          number: `RF20261101${randomUUID().replaceAll("-", "").slice(0, 6).toUpperCase()}`,
          orderId: paid.orderId,
          billId: bill.id,
          agencyCode: bill.agency,
          amount,
          refundableAsSeen: bill.amount,
          reason: "payer_request",
          steps: [],
          state: refundedAt ? "refunded" : "in_approval",
          operator: "statistics-test",
          releasedAt: refundedAt,
          refundedAt,
        });
    }

    /** The tie-out's other side, straight from the records: every item of every order whose Taiwan paid month is `month`. */
    async function itemsPaidIn(month: string) {
      const rows = await db()
        .select({ amount: schema.paymentOrderItems.amount, paidAt: schema.paymentOrders.paidAt, billType: schema.bills.billTypeCode })
        .from(schema.paymentOrderItems)
        .innerJoin(schema.paymentOrders, eq(schema.paymentOrders.id, schema.paymentOrderItems.orderId))
        .innerJoin(schema.bills, eq(schema.bills.id, schema.paymentOrderItems.billId));
      return rows.filter((row) => row.paidAt && taipeiDate(row.paidAt).slice(0, 7) === month);
    }

    const orders = {} as Record<"a" | "b" | "c" | "d" | "e" | "f", Paid>;

    it("adds up a month's payments by agency, bill type, category, tool and channel to the items of the orders paid in it", async () => {
      // A: three bills of two agencies, paid on the traffic fines' due date; B: two agencies, a day late, a second before midnight;
      // C: 00:30 on the 1st in Taiwan (still October in UTC), a day after its due date; D: refunded in full next month.
      orders.a = await paidOrder(
        { "traffic-fine": { count: 2, due: "2026-11-05" }, "environmental-fine": { count: 1, due: "2026-11-20" } },
        "line_pay",
        "lookup",
        at("2026-11-05T10:00:00"),
      );
      orders.b = await paidOrder(
        { "market-usage-fee": { count: 1, due: "2026-11-29" }, "traffic-fine": { count: 1, due: "2026-11-29" } },
        "credit_card",
        "qr_link",
        at("2026-11-30T23:59:59"),
      );
      orders.c = await paidOrder(
        { "building-permit-fee": { count: 1, due: "2026-10-31" } },
        "line_pay",
        "scan",
        new Date("2026-10-31T16:30:00Z"),
      );
      orders.d = await paidOrder({ "labor-fine": { count: 2, due: "2026-12-31" } }, "credit_card", "member", at("2026-11-10T09:00:00"));
      // E: paid in October (no channel recorded), partly refunded in November; F: 23:30 UTC on the 30th, so December in Taiwan.
      orders.e = await paidOrder({ "traffic-fine": { count: 1, due: "2026-10-31" } }, "line_pay", null, at("2026-10-20T12:00:00"));
      orders.f = await paidOrder(
        { "traffic-fine": { count: 1, due: "2026-12-31" } },
        "line_pay",
        "lookup",
        new Date("2026-11-30T23:30:00Z"),
      );
      // An order never paid counts nowhere.
      const [spare] = await unpaidBills(db(), "labor-fine", 1);
      const unpaid = await createPaymentOrder(world.ctx, { billIds: [spare!.id], tool: "line_pay", idempotencyKey: newKey() });
      expect(unpaid.kind).toBe("created");

      await applyTransition(world.ctx, orders.d.orderId, "refunded", { source: "operator" }, at("2026-12-02T09:00:00"));
      for (const [i, bill] of orders.d.bills.entries()) await refund(orders.d, i, bill.amount, at("2026-12-02T09:00:00"));
      const partial = Math.floor(orders.e.bills[0]!.amount / 2);
      await refund(orders.e, 0, partial, at("2026-11-03T15:00:00"));
      // Requested, not yet given back: not a refund of the month.
      await refund(orders.a, 0, 1, null);

      const figures = await monthStatistics(db(), MONTH, "all");
      const records = await itemsPaidIn(MONTH);
      const november = [orders.a, orders.b, orders.c, orders.d].flatMap((order) => order.bills);
      expect(records.length).toBe(november.length);

      // The tie-out: every cut of the month adds up to the items of the orders paid in it.
      const total = { payments: records.length, amount: sum(records.map((row) => row.amount)) };
      expect(total.amount).toBe(sum(november.map((bill) => bill.amount)));
      expect(figures.total).toEqual({ ...total, orders: 4 });
      for (const cut of [figures.byAgency, figures.byBillType, figures.byCategory, figures.byTool, figures.byChannel])
        expect({ payments: sum(cut.map((row) => row.payments)), amount: sum(cut.map((row) => row.amount)) }).toEqual(total);

      // A multi-bill order across agencies: each bill's amount counts for its own agency.
      const ofAgency = (agency: string) => november.filter((bill) => bill.agency === agency);
      for (const agency of new Set(november.map((bill) => bill.agency)))
        expect(
          figures.byAgency.find((row) => row.agency === agency),
          agency,
        ).toMatchObject({
          payments: ofAgency(agency).length,
          amount: sum(ofAgency(agency).map((bill) => bill.amount)),
        });
      expect(figures.byAgency.find((row) => row.agency === "police")).toMatchObject({
        nameZh: expect.any(String),
        nameEn: expect.any(String),
      });
      expect(figures.byBillType.find((row) => row.billType === "traffic-fine")).toMatchObject({ agency: "police", payments: 3 });

      const amountOf = (...paid: Paid[]) => sum(paid.flatMap((order) => order.bills.map((bill) => bill.amount)));
      expect(figures.byTool).toEqual(
        expect.arrayContaining([
          { tool: "line_pay", orders: 2, payments: 4, amount: amountOf(orders.a, orders.c) },
          { tool: "credit_card", orders: 2, payments: 4, amount: amountOf(orders.b, orders.d) },
        ]),
      );
      expect(figures.byChannel).toHaveLength(4);
      expect(figures.byChannel).toEqual(
        expect.arrayContaining([
          { channel: "lookup", orders: 1, payments: 3, amount: amountOf(orders.a) },
          { channel: "qr_link", orders: 1, payments: 2, amount: amountOf(orders.b) },
          { channel: "scan", orders: 1, payments: 1, amount: amountOf(orders.c) },
          { channel: "member", orders: 1, payments: 2, amount: amountOf(orders.d) },
        ]),
      );

      // Refunds of the month: E's partial one (its payment was October's); D's are December's, the request in approval none.
      expect(figures.refunds).toEqual({
        count: 1,
        amount: partial,
        byAgency: [expect.objectContaining({ agency: "police", count: 1, amount: partial })],
      });

      // On time: A (on the due date) and D; B a day late, C late in Taiwan though its UTC date is the due date.
      expect(figures.onTime).toEqual({ payments: 8, onTime: 5, percent: 62.5 });

      // The months around: E in October, F and D's refunds in December.
      const october = await monthStatistics(db(), "2026-10" as Month, "all");
      expect(october.total).toEqual({ payments: 1, amount: amountOf(orders.e), orders: 1 });
      expect(october.byChannel).toEqual([{ channel: null, orders: 1, payments: 1, amount: amountOf(orders.e) }]);
      const december = await monthStatistics(db(), "2026-12" as Month, "all");
      expect(december.total).toEqual({ payments: 1, amount: amountOf(orders.f), orders: 1 });
      expect(december.refunds).toMatchObject({ count: 2, amount: amountOf(orders.d) });
    });

    it("narrows the figures to an agency's own bills, an order across agencies counted once for each", async () => {
      const police = await monthStatistics(db(), MONTH, ["police"]);
      const bills = [orders.a, orders.b].flatMap((order) => order.bills).filter((bill) => bill.agency === "police");
      expect(police.total).toEqual({ payments: bills.length, amount: sum(bills.map((bill) => bill.amount)), orders: 2 });
      expect(police.byAgency.map((row) => row.agency)).toEqual(["police"]);
      expect(police.refunds.count).toBe(1);
      const labor = await monthStatistics(db(), MONTH, ["labor"]);
      expect(labor.refunds).toEqual({ count: 0, amount: 0, byAgency: [] });
      expect((await monthStatistics(db(), MONTH, [])).total).toEqual({ payments: 0, amount: 0, orders: 0 });
    });

    it("publishes the city's year: the twelve months ending with the chosen one, and the month by agency and category", async () => {
      const summary = await citySummary(db(), MONTH);
      expect(summary.months.map((row) => row.month)).toEqual([
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
      ]);
      const november = await itemsPaidIn(MONTH);
      const october = await itemsPaidIn("2026-10");
      expect(summary.months.at(-1)).toEqual({ month: MONTH, payments: november.length, amount: sum(november.map((row) => row.amount)) });
      expect(summary.months.at(-2)).toEqual({ month: "2026-10", payments: october.length, amount: sum(october.map((row) => row.amount)) });
      expect(summary.months.slice(0, 10).every((row) => row.payments === 0 && row.amount === 0)).toBe(true);
      expect(sum(summary.byCategory.map((row) => row.amount))).toBe(sum(november.map((row) => row.amount)));
      expect(summary.byCategory.map((row) => row.category).sort()).toEqual(["fine", "government_fee"]);
    });

    it("counts every look-up where its outcome is decided, by Taiwan day, way, bill type and outcome", async () => {
      const now = new Date();
      const month = taipeiMonth(now);
      const before = await monthStatistics(db(), month, "all");
      const env = world.ctx.env;
      const { logger } = capturedLogger("info");
      const trafficFine = (await findBillType(db(), "traffic-fine"))!.billType;
      const [bill] = await db()
        .select()
        .from(schema.bills)
        .where(eq(schema.bills.id, (await unpaidBills(db(), "traffic-fine", 1))[0]!.id));
      const visitor = () => ({ env, clientAddress: `192.0.2.${++counter % 250}`, sessionId: `s-${counter}`, logger });

      // Typed: a number breaking its rule, then a good one without the captcha's answer.
      expect(
        (await lookUpBill(db(), visitor(), { billType: trafficFine, writeOffNumber: "GF1", captchaToken: "", captchaAnswer: "" }, now))
          .kind,
      ).toBe("invalid_number");
      const typed = { billType: trafficFine, writeOffNumber: bill!.writeOffNumber, captchaToken: "", captchaAnswer: "" };
      expect(await lookUpBill(db(), visitor(), typed, now)).toMatchObject({ kind: "captcha", check: "empty" });
      // A paper bill's link, genuine and unsigned.
      const key = agencyLinkKeyFinder(env.AGENCY_LINK_KEYS)("police-demo")!;
      const link = createBillLink(env.PUBLIC_URL, key, {
        billTypeCode: "traffic-fine",
        writeOffNumber: bill!.writeOffNumber,
        expiresAt: new Date(now.getTime() + 86_400_000),
      });
      expect((await openBillLink(db(), { env, logger }, new URL(link).searchParams, now)).kind).toBe("found");
      expect(await openBillLink(db(), { env, logger }, new URLSearchParams({ t: "no-such-type" }), now)).toMatchObject({
        reason: "incomplete",
      });
      // Scanned: the bill's barcodes, and barcodes that do not check out.
      const barcodes = composeConvenienceBarcodes({
        deadline: taipeiDate(new Date(now.getTime() + 86_400_000)),
        collectionItemCode: trafficFine.collectionItemCode,
        writeOffNumber: bill!.writeOffNumber,
        period: bill!.period,
        amount: bill!.amount,
      });
      expect((await openScannedBill(db(), visitor(), barcodes, now)).kind).toBe("found");
      expect((await openScannedBill(db(), visitor(), [barcodes[0], barcodes[1], "0".repeat(15)], now)).kind).toBe("unreadable");
      expect((await openScannedBill(db(), visitor(), barcodes, now)).kind).toBe("found");

      const after = await monthStatistics(db(), month, "all");
      const counts = (figures: typeof after) =>
        Object.fromEntries(figures.lookups.byWay.flatMap((way) => way.outcomes.map((o) => [`${way.way}:${o.outcome}`, o.count])));
      const grown = Object.entries(counts(after))
        .map(([key, count]) => [key, count - (counts(before)[key] ?? 0)])
        .filter(([, count]) => count !== 0);
      expect(Object.fromEntries(grown)).toEqual({
        "lookup:invalid_number": 1,
        "lookup:captcha_empty": 1,
        "qr_link:found": 1,
        "qr_link:incomplete": 1,
        "scan:found": 2,
        "scan:unreadable": 1,
      });
      expect(after.lookups.total - before.lookups.total).toBe(7);
      // Stored by bill type: the police see their own; a link naming no known bill type, and a garbled scan, are no agency's.
      const rows = await db()
        .select()
        .from(schema.lookupTallies)
        .where(eq(schema.lookupTallies.day, taipeiDate(now)));
      expect(rows.find((row) => row.way === "scan" && row.outcome === "found")).toMatchObject({ billTypeCode: "traffic-fine", count: 2 });
      expect(rows.find((row) => row.way === "qr_link" && row.outcome === "incomplete")).toMatchObject({ billTypeCode: "" });
      expect(rows.find((row) => row.way === "scan" && row.outcome === "unreadable")).toMatchObject({ billTypeCode: "" });
      const police = await monthStatistics(db(), month, ["police"]);
      expect(police.lookups.byWay.find((way) => way.way === "scan")!.outcomes).toEqual([{ outcome: "found", count: 2 }]);
    });

    it("counts a look-up on the Taiwan day it happened, and keeps counts that could not be written for the next try", async () => {
      const trafficFine = (await findBillType(db(), "traffic-fine"))!.billType;
      const env = world.ctx.env;
      const { logger } = capturedLogger("info");
      const typo = { billType: trafficFine, writeOffNumber: "GF1", captchaToken: "", captchaAnswer: "" };
      // 16:30 UTC on 30 September is 00:30 on 1 October in Taiwan.
      await lookUpBill(db(), { env, clientAddress: "192.0.2.1", sessionId: "s", logger }, typo, new Date("2026-09-30T16:30:00Z"));
      expect((await monthStatistics(db(), "2026-10" as Month, "all")).lookups.total).toBe(1);
      expect((await monthStatistics(db(), "2026-09" as Month, "all")).lookups.total).toBe(0);

      // The database refuses the first write of the counts: the look-ups are not affected, and nothing is lost.
      let refusals = 1;
      const failingOnce = new Proxy(db(), {
        get: (target, name, receiver) =>
          name === "insert" && refusals-- > 0
            ? () => {
                throw new Error("lookup_tallies is gone");
              }
            : Reflect.get(target, name, receiver),
      });
      const context = { env, clientAddress: "192.0.2.1", sessionId: "s", logger };
      for (let i = 0; i < 3; i++) {
        expect((await lookUpBill(failingOnce, context, typo, new Date("2026-10-02T04:00:00Z"))).kind).toBe("invalid_number");
      }
      await expect(flushLookupTallies(failingOnce)).rejects.toThrow("lookup_tallies is gone");
      // Counted meanwhile, then written with the kept ones in one row.
      await lookUpBill(failingOnce, context, typo, new Date("2026-10-02T04:00:00Z"));
      expect(await flushLookupTallies(failingOnce)).toBe(1);
      expect(await flushLookupTallies(failingOnce)).toBe(0);
      const [row] = await db()
        .select({ count: schema.lookupTallies.count })
        .from(schema.lookupTallies)
        .where(eq(schema.lookupTallies.day, "2026-10-02"));
      expect(row).toEqual({ count: 4 });
      expect((await monthStatistics(db(), "2026-10" as Month, "all")).lookups.total).toBe(5);
    });

    it("adds the counts of look-ups made at once to the same row, none lost or counted twice", async () => {
      const trafficFine = (await findBillType(db(), "traffic-fine"))!.billType;
      const { logger } = capturedLogger("info");
      const context = { env: world.ctx.env, clientAddress: "192.0.2.2", sessionId: "s", logger };
      const typo = { billType: trafficFine, writeOffNumber: "GF2", captchaToken: "", captchaAnswer: "" };
      const when = new Date("2026-08-11T04:00:00Z");
      // Flushes racing the look-ups and one another, as the timer and a statistics page would.
      const flushes: Promise<number>[] = [];
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          await lookUpBill(db(), context, typo, when);
          if (i % 10 === 0) flushes.push(flushLookupTallies(db()));
        }),
      );
      await Promise.all(flushes);
      expect((await monthStatistics(db(), "2026-08" as Month, "all")).lookups.total).toBe(40);
      expect((await monthStatistics(db(), "2026-08" as Month, "all")).lookups.total).toBe(40);
    });

    /** A route's answer to a GET, a thrown Response being an answer too. */
    async function get(loader: (args: never) => Promise<Response>, url: string, headers: Record<string, string> = {}) {
      const args = {
        request: new Request(url, { headers }),
        params: {},
        context: { requestId: randomUUID(), cspNonce: "", logger: world.ctx.logger, clientAddress: "127.0.0.1" },
      };
      try {
        return await loader(args as never);
      } catch (thrown) {
        if (thrown instanceof Response) return thrown;
        throw thrown;
      }
    }
    const csvRows = async (response: Response) =>
      parse((await response.text()).replace(/^\uFEFF/, ""), { columns: true }) as Array<Record<string, string>>;

    it("shows staff the month within their reach, audits each view and download, and says when a month is not offered", async () => {
      await seedDemoStaff(db());
      const env = world.ctx.env;
      const cookieOf = async (subject: string) => {
        const [member] = await db().select().from(schema.staff).where(eq(schema.staff.subject, subject));
        await db()
          .insert(schema.staffPasskeys)
          .values({ id: `test-key-${subject}`, staffId: member!.id, publicKey: "test" })
          .onConflictDoNothing();
        const cookie = (await startStaffSession(db(), env, member!.id, { idToken: null, clientAddress: "127.0.0.1" })).split(";")[0]!;
        return { id: member!.id, headers: { cookie, "accept-language": "en" } };
      };
      const page = `${env.backOfficeUrl}/back-office/statistics`;
      const auditor = await cookieOf("st-auditor");
      const city = await get(backOfficeStatistics, `${page}?month=${MONTH}`, auditor.headers);
      expect(city.status).toBe(200);
      const cityData = await city.json();
      const records = await itemsPaidIn(MONTH);
      expect(cityData).toMatchObject({ month: MONTH, all: true, unavailable: false });
      expect(cityData.figures.total).toMatchObject({ payments: records.length, amount: sum(records.map((row) => row.amount)) });

      const accounting = await cookieOf("st-police-accounting");
      const own = await (await get(backOfficeStatistics, `${page}?month=${MONTH}`, accounting.headers)).json();
      expect(own.all).toBe(false);
      expect(own.agencies.map((agency: { code: string }) => agency.code)).toEqual(["police"]);
      expect(own.figures.byAgency.map((row: { agency: string }) => row.agency)).toEqual(["police"]);
      // A month the chooser does not offer: the latest month, and the page says so.
      const odd = await (await get(backOfficeStatistics, `${page}?month=1999-99`, accounting.headers)).json();
      expect(odd).toMatchObject({ month: taipeiMonth(), unavailable: true });
      // Signed out: sent to sign in, never the figures.
      expect((await get(backOfficeStatistics, `${page}?month=${MONTH}`)).status).toBe(302);

      // The CSV: the month's figures, the same reach, Excel-safe; its total row ties out with the items of the month.
      const file = await get(backOfficeStatisticsCsv, `${page}.csv?month=${MONTH}`, auditor.headers);
      expect(file.headers.get("content-disposition")).toBe(`attachment; filename="statistics-city-${MONTH}.csv"`);
      const rows = await csvRows(file);
      expect(rows[0]).toMatchObject({ Section: "All payments", Month: MONTH, Checkouts: "4", "Payments (bills)": String(records.length) });
      expect(Number(rows[0]!["Amount (NT$)"])).toBe(sum(records.map((row) => row.amount)));
      const agencyRows = rows.filter((row) => row.Section === "Agency");
      expect(sum(agencyRows.map((row) => Number(row["Amount (NT$)"])))).toBe(sum(records.map((row) => row.amount)));
      expect(rows.find((row) => row.Section === "Paid by the due date")).toMatchObject({ Count: "5", "Share (%)": "62.5" });
      const policeFile = await get(backOfficeStatisticsCsv, `${page}.csv?month=${MONTH}`, accounting.headers);
      expect(new Set((await csvRows(policeFile)).filter((row) => row.Section === "Agency").map((row) => row.Item))).toEqual(
        new Set([own.figures.byAgency[0].nameEn]),
      );
      expect((await get(backOfficeStatisticsCsv, `${page}.csv?month=1999-99`, auditor.headers)).status).toBe(404);

      const audited = await db()
        .select()
        .from(schema.auditLog)
        .where(inArray(schema.auditLog.action, ["statistics.viewed", "statistics.exported"]))
        .orderBy(asc(schema.auditLog.seq));
      expect(
        audited.map((entry) => [entry.action, entry.actorId, entry.targetId, (entry.details as { agencies: unknown }).agencies]),
      ).toEqual([
        ["statistics.viewed", auditor.id, MONTH, "all"],
        ["statistics.viewed", accounting.id, MONTH, ["police"]],
        ["statistics.viewed", accounting.id, taipeiMonth(), ["police"]],
        ["statistics.exported", auditor.id, MONTH, "all"],
        ["statistics.exported", accounting.id, MONTH, ["police"]],
      ]);
    });

    it("publishes the city's figures on the public page and as CSV in the reader's language, nothing finer than agency", async () => {
      const url = "https://pay.example.gov.tw/statistics";
      const records = await itemsPaidIn(MONTH);
      const response = await get(publicStatistics, `${url}?month=${MONTH}`);
      expect(response.status).toBe(200);
      const data = await response.json();
      expect(data.summary.months.at(-1)).toEqual({ month: MONTH, payments: records.length, amount: sum(records.map((row) => row.amount)) });
      expect(Object.keys(data.summary).sort()).toEqual(["byAgency", "byCategory", "month", "months"]);
      // The month under way is not published: asked for, it is refused and the last complete month shown.
      const current = await (await get(publicStatistics, `${url}?month=${taipeiMonth()}`)).json();
      expect(current).toMatchObject({ unavailable: true });
      expect(current.month).not.toBe(taipeiMonth());

      const zh = await csvRows(await get(publicStatisticsCsv, `${url}.csv?month=${MONTH}`, { "accept-language": "zh-TW" }));
      const year = zh.filter((row) => row["項目類別"] === "月份");
      expect(year.map((row) => row["項目"])).toHaveLength(12);
      expect(year.at(-1)).toMatchObject({ 月份: MONTH, "繳費筆數（帳單）": String(records.length) });
      const categories = zh.filter((row) => row["項目類別"] === "類別");
      expect(sum(categories.map((row) => Number(row["金額（新臺幣元）"])))).toBe(sum(records.map((row) => row.amount)));
      expect(categories.map((row) => row["項目"]).sort()).toEqual(["罰鍰", "規費"].sort());
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, {
      piiHmacKey: "statistics-test-pii-key-statistics",
      today: new Date().toISOString().slice(0, 10),
    });
  },
);
