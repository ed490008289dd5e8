import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  answerPaymentReveal,
  parsePaymentSearch,
  paymentRevealTarget,
  paymentSearchQuery,
  revealedPaymentNames,
  searchPayments,
  viewPayment,
  type PaymentSearchFilters,
  type PaymentViewer,
} from "~/back-office/payments.server";
import type { StaffContext } from "~/back-office/staff-request.server";
import { loadRoles } from "~/back-office/staff-sessions.server";
import { verifyAuditChain } from "~/base/audit.server";
import { schema, setAppDatabase, type DatabaseHandle } from "~/base/db.server";
import { billsByIds } from "~/bills/bills.server";
import { addBinding } from "~/members/bindings.server";
import { memberPendingBills } from "~/members/pending-bills.server";
import { upsertMember } from "~/members/sessions.server";
import { submitCheckout } from "~/payments/checkout.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import type { PaymentOrder } from "~/payments/orders/order.server";
import { receiptOfOrder } from "~/payments/receipts.server";
import { deliverWriteOffNotices } from "~/payments/write-off-notices.server";
import { generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { describeEachDatabase } from "../support/databases";
import { startMemberWorld, type MemberWorld } from "../support/members";
import { followBack, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/**
 * What staff see of payments: orders made and paid through the real payment
 * services, searched and opened as each agency's staff and the auditor would.
 */

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-a000-${String(++keyCounter).padStart(12, "0")}`;
const TODAY = new Date().toISOString().slice(0, 10);
const resident = generateDemoData({ today: TODAY, billsPerType: 1, residents: 6 }).residents[5]!;

describeEachDatabase(
  "the back office's payments",
  (database) => {
    const db = () => database().db;
    let world: PaymentWorld;
    let members: MemberWorld;
    const staffIds = new Map<string, string>();

    /** A staff member as the back office sees them on a request: their roles in effect now. */
    async function viewer(username: string): Promise<PaymentViewer & StaffContext> {
      const staffId = staffIds.get(username)!;
      return {
        staffId,
        requestId: `test-${username}`,
        roles: await loadRoles(db(), staffId),
        name: username,
        agencyCode: null,
        session: null as never,
      };
    }

    const orders: Record<string, PaymentOrder> = {};

    /** The payer approves at LINE Pay (the checkout may already have sent them there) and comes back. */
    async function paidWithLinePay(order: PaymentOrder, paymentUrl?: string): Promise<PaymentOrder> {
      let url = paymentUrl;
      if (!url) {
        const started = await startPayment(world.ctx, order);
        if (started.kind !== "redirect") throw new Error(`expected a redirect, got ${started.kind}`);
        url = started.url;
      }
      const paid = await followBack(world, await payerAtLinePay(url, "approve"));
      if (paid?.state !== "paid") throw new Error(`not paid: ${paid?.state}`);
      return paid;
    }

    beforeAll(async () => {
      setAppDatabase(database());
      for (const row of await db().select({ id: schema.staff.id, subject: schema.staff.subject }).from(schema.staff))
        staffIds.set(row.subject.replace(/^st-/, ""), row.id);
      members = await startMemberWorld(db());
      world = await startPaymentWorld(db(), { BILL_SOURCES: JSON.stringify(members.env.billSources), BILL_SOURCE_TIMEOUT_MS: "1500" });

      // A police fine paid through LINE Pay, found by a look-up: through the checkout service the route uses.
      const [fine] = await unpaidBills(db(), "traffic-fine", 1);
      const checkout = await submitCheckout(world.ctx, {
        billIds: [fine!.id],
        accessible: await billsByIds(db(), [fine!.id]),
        tool: "line_pay",
        idempotencyKey: newKey(),
        memberId: null,
        entryChannel: "lookup",
        ownReferences: new Set(),
        locale: "zh-TW",
      });
      if (checkout.kind !== "started" || checkout.start.kind !== "redirect") throw new Error("checkout refused");
      orders.policePaid = await paidWithLinePay(checkout.order, checkout.start.url);

      // A police fine by credit card from a scan, never finished.
      const [scanned] = await unpaidBills(db(), "traffic-fine", 1);
      const card = await createPaymentOrder(world.ctx, {
        billIds: [scanned!.id],
        tool: "credit_card",
        idempotencyKey: newKey(),
        entryChannel: "scan",
      });
      if (card.kind !== "created") throw new Error(card.kind);
      orders.policeCard = card.order;

      // A police fine opened from a paper bill's QR link, created late at night Taipei time months ago.
      const [old] = await unpaidBills(db(), "traffic-fine", 1);
      const late = await createPaymentOrder(
        world.ctx,
        { billIds: [old!.id], tool: "line_pay", idempotencyKey: newKey(), entryChannel: "qr_link" },
        new Date("2026-03-10T17:30:00Z"),
      );
      if (late.kind !== "created") throw new Error(late.kind);
      orders.policeLate = late.order;

      // A water bill paid from the member dashboard, which the water company later reports paid at its counter too.
      const member = await upsertMember(db(), members.env, {
        issuer: "https://id.example",
        subject: "back-office-payments",
        name: resident.name,
        nationalId: null,
        verified: false,
        idToken: null,
        returnTo: "/account",
      });
      await addBinding(
        db(),
        members.env,
        { memberId: member.id, requestId: "test" },
        { kind: "water_account", value: resident.waterAccount, label: "" },
      );
      const ctx = { ...members.ctx, env: { ...members.env, MEMBER_BILLS_CACHE_SECONDS: 0 } };
      const water = (await memberPendingBills(ctx, member)).groups
        .flatMap((group) => group.bills)
        .find((bill) => bill.billTypeCode === "water-bill")!;
      const waterOrder = await createPaymentOrder(world.ctx, {
        billIds: [water.id],
        tool: "line_pay",
        idempotencyKey: newKey(),
        memberId: member.id,
        entryChannel: "member",
      });
      if (waterOrder.kind !== "created") throw new Error(waterOrder.kind);
      orders.water = await paidWithLinePay(waterOrder.order);
      // The agencies' receivers are down for the first attempt, then take the notices.
      world.simulator.down = true;
      await deliverWriteOffNotices(world.ctx, new Date(Date.now() + 1_000), 100);
      world.simulator.down = false;
      await deliverWriteOffNotices(world.ctx, new Date(Date.now() + 62_000), 100);
      members.sources.settle("water", water.writeOffNumber, "paid");
      await memberPendingBills(ctx, member);
    }, 60_000);

    afterAll(async () => {
      await world?.close();
      await members?.close();
    });

    const search = async (username: string, filters: PaymentSearchFilters, page = 1) =>
      (await searchPayments(db(), await viewer(username), filters, page)).rows.map((row) => row.reference);
    const billOf = async (order: PaymentOrder) =>
      (
        await db()
          .select({ writeOffNumber: schema.bills.writeOffNumber, payerName: schema.bills.payerName })
          .from(schema.paymentOrderItems)
          .innerJoin(schema.bills, eq(schema.bills.id, schema.paymentOrderItems.billId))
          .where(eq(schema.paymentOrderItems.orderId, order.id))
      )[0]!;

    it("records how each payer came to pay, through the services that create orders, and nothing it does not know", async () => {
      const channel = async (order: PaymentOrder) =>
        (await db().select().from(schema.paymentOrders).where(eq(schema.paymentOrders.id, order.id)))[0]!.entryChannel;
      expect(await channel(orders.policePaid!)).toBe("lookup");
      expect(await channel(orders.policeCard!)).toBe("scan");
      expect(await channel(orders.policeLate!)).toBe("qr_link");
      expect(await channel(orders.water!)).toBe("member");

      const [bill] = await unpaidBills(db(), "labor-fine", 1);
      const unknown = await submitCheckout(world.ctx, {
        billIds: [bill!.id],
        accessible: await billsByIds(db(), [bill!.id]),
        tool: "line_pay",
        idempotencyKey: newKey(),
        memberId: null,
        entryChannel: "newsletter",
        ownReferences: new Set(),
        locale: "en",
      });
      if (unknown.kind !== "started") throw new Error("checkout refused");
      expect(await channel(unknown.order)).toBeNull();
      const [other] = await unpaidBills(db(), "labor-fine", 1);
      const forged = await createPaymentOrder(world.ctx, {
        billIds: [other!.id],
        tool: "line_pay",
        idempotencyKey: newKey(),
        entryChannel: "'; drop table bills; --" as never,
      });
      expect(forged.kind === "created" && (await channel(forged.order))).toBeNull();
    });

    it("finds a payment by each kind of number, within the staff member's agency", async () => {
      const paid = orders.policePaid!;
      const receipt = await receiptOfOrder(db(), paid.id);
      const number = (await billOf(paid)).writeOffNumber;
      // Typed as a resident reads it out: lower case, dashes and spaces.
      const spaced = `${number.slice(0, 4)}-${number.slice(4, 8)} ${number.slice(8)}`.toLowerCase();
      const parsed = parsePaymentSearch(new URLSearchParams({ writeOffNumber: spaced }));
      expect(parsed.ok && parsed.filters.writeOffNumber).toBe(number);
      expect(await search("police-handler", parsed.ok ? parsed.filters : {})).toEqual([paid.reference]);
      expect(await search("police-handler", { reference: paid.reference })).toEqual([paid.reference]);
      expect(await search("police-handler", { receiptNumber: receipt!.number })).toEqual([paid.reference]);
      expect(await search("police-handler", { providerTransactionId: paid.providerTransactionId! })).toEqual([paid.reference]);
      expect(await search("police-handler", { reference: orders.policeCard!.reference })).toEqual([orders.policeCard!.reference]);
      expect(await search("police-handler", { reference: "P000000NOSUCHORDER" })).toEqual([]);
    });

    it("filters by Taipei dates, status, tool and entry channel", async () => {
      const late = orders.policeLate!.reference;
      // 17:30 UTC on 10 March is 01:30 on 11 March in Taipei.
      expect(await search("police-handler", { from: "2026-03-11", to: "2026-03-11" })).toEqual([late]);
      expect(await search("police-handler", { from: "2026-03-10", to: "2026-03-10" })).toEqual([]);
      expect(await search("police-handler", { to: "2026-03-11" })).toEqual([late]);
      expect(await search("police-handler", { from: "2026-03-12" })).not.toContain(late);

      const paid = await search("police-handler", { status: "paid" });
      expect(paid).toContain(orders.policePaid!.reference);
      expect(paid).not.toContain(orders.policeCard!.reference);
      expect(await search("police-handler", { tool: "credit_card", channel: "scan" })).toEqual([orders.policeCard!.reference]);
      expect(await search("police-handler", { channel: "qr_link" })).toEqual([late]);
      expect(await search("police-handler", { channel: "lookup", status: "paid" })).toEqual([orders.policePaid!.reference]);
    });

    it("refuses malformed filters field by field, keeping what was typed", () => {
      const parsed = parsePaymentSearch(
        new URLSearchParams({
          writeOffNumber: "12",
          reference: "P26<script>",
          receiptNumber: "R2026",
          providerTransactionId: "1 OR 1=1",
          from: "2026-02-30",
          to: "2026-03-01",
          status: "stolen",
          tool: "cash",
          channel: "newsletter",
        }),
      );
      expect(parsed).toMatchObject({
        ok: false,
        problems: {
          writeOffNumber: "writeOffNumberInvalid",
          reference: "referenceInvalid",
          receiptNumber: "receiptNumberInvalid",
          providerTransactionId: "providerTransactionIdInvalid",
          from: "dateInvalid",
          status: "statusInvalid",
          tool: "toolInvalid",
          channel: "channelInvalid",
        },
        typed: { reference: "P26<script>", from: "2026-02-30", channel: "newsletter" },
      });
      expect(parsePaymentSearch(new URLSearchParams({ from: "2026-03-02", to: "2026-03-01" }))).toMatchObject({
        ok: false,
        problems: { to: "dateOrder" },
      });
      expect(parsePaymentSearch(new URLSearchParams({ status: "", page: "-3" }))).toEqual({
        ok: true,
        filters: {},
        typed: expect.objectContaining({ status: "" }),
        page: 1,
      });
    });

    it("never shows police staff a water payment, nor water staff a police one; the auditor sees both", async () => {
      const water = orders.water!;
      const number = (await billOf(water)).writeOffNumber;
      for (const filters of [{ reference: water.reference }, { writeOffNumber: number }, { channel: "member" as const }, {}]) {
        expect(await search("police-handler", filters)).not.toContain(water.reference);
        expect(await search("police-head", filters)).not.toContain(water.reference);
      }
      expect(await search("water-handler", { reference: water.reference })).toEqual([water.reference]);
      expect(await search("water-handler", {})).not.toContain(orders.policePaid!.reference);
      const all = await search("auditor", {});
      expect(all).toEqual(expect.arrayContaining([water.reference, orders.policePaid!.reference, orders.policeCard!.reference]));

      expect(await viewPayment(db(), await viewer("police-handler"), water.id)).toBeNull();
      expect(await viewPayment(db(), await viewer("police-releaser"), water.id)).toBeNull();
      expect(await viewPayment(db(), await viewer("water-handler"), orders.policePaid!.id)).toBeNull();
      expect(await viewPayment(db(), await viewer("police-handler"), "not-an-id")).toBeNull();
      expect((await viewPayment(db(), await viewer("auditor"), water.id))?.reference).toBe(water.reference);
      // Nor can they reveal its names by posting to it.
      expect(await paymentRevealTarget(db(), await viewer("police-handler"), water.id)).toBeNull();
      expect(await revealedPaymentNames(db(), await viewer("police-handler"), water.id)).toBeNull();
      expect(await answerPaymentReveal(db(), await viewer("police-handler"), water.id, new FormData())).toEqual({ kind: "not_found" });
    });

    it("masks payer and member names in the list and the detail", async () => {
      const water = orders.water!;
      const { payerName } = await billOf(water);
      const [row] = (await searchPayments(db(), await viewer("water-handler"), { reference: water.reference })).rows;
      expect(row!.bills[0]!.payerNameMasked).not.toBe(payerName);
      expect(row!.bills[0]!.payerNameMasked).toMatch(/○|\*/);
      const detail = await viewPayment(db(), await viewer("water-handler"), water.id);
      expect(detail!.bills[0]!.payerNameMasked).not.toBe(payerName);
      expect(detail!.memberNameMasked).not.toBe(resident.name);
      expect(JSON.stringify(detail)).not.toContain(payerName);
      expect(JSON.stringify(row)).not.toContain(payerName);
    });

    it("tells the whole story of a payment in time order: events, notice attempts, the refund case and the source's report", async () => {
      const detail = (await viewPayment(db(), await viewer("water-handler"), orders.water!.id))!;
      expect(detail).toMatchObject({ state: "paid", entryChannel: "member", paymentTool: "line_pay", provider: "line_pay" });
      expect(detail.receiptNumber).toMatch(/^R/);
      const times = detail.timeline.map((entry) => Date.parse(entry.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const kinds = detail.timeline.map((entry) => entry.kind);
      expect(kinds).toEqual(
        expect.arrayContaining(["event", "notice_queued", "notice_attempt", "refund_case_opened", "source_settlement"]),
      );
      const transitions = detail.timeline.flatMap((entry) =>
        entry.kind === "event" && entry.eventKind === "transition" ? [`${entry.fromState ?? "∅"}→${entry.toState}`] : [],
      );
      expect(transitions).toEqual(["∅→created", "created→pending", "pending→paid"]);
      const attempts = detail.timeline.flatMap((entry) => (entry.kind === "notice_attempt" ? [entry.statusCode] : []));
      expect(attempts).toEqual([503, 200]);
      const refundCase = detail.timeline.find((entry) => entry.kind === "refund_case_opened");
      expect(refundCase).toMatchObject({ reason: "source_reports_other_payment", state: "open", amount: orders.water!.totalAmount });
      expect(detail.timeline.find((entry) => entry.kind === "source_settlement")).toMatchObject({
        source: "water",
        channel: "agency_counter",
      });
      // The refund case comes after the payment it is about.
      expect(kinds.indexOf("refund_case_opened")).toBeGreaterThan(transitions.length - 1);
      const payload = detail.timeline.find((entry) => entry.kind === "event")!;
      expect(payload.kind === "event" && JSON.parse(payload.payload)).toMatchObject({ tool: "line_pay" });
    });

    it("offers the reveal only to those who may reveal this agency's personal data, as whose proxy they act", async () => {
      const paid = orders.policePaid!;
      const handler = await paymentRevealTarget(db(), await viewer("police-handler"), paid.id);
      expect(handler).toMatchObject({
        mayReveal: true,
        actingFor: null,
        target: { type: "payment_order", id: paid.id, agencyCode: "police", fields: ["payerName", "memberName"] },
      });
      // A releaser sees payments but no personal data: no panel, and a 403 when posting anyway.
      const releaser = await viewer("police-releaser");
      expect((await viewPayment(db(), releaser, paid.id))?.mayReveal).toBe(false);
      expect(await answerPaymentReveal(db(), releaser, paid.id, new FormData())).toEqual({ kind: "forbidden" });
      // The releaser stands in for the reviewer: the reveal is the reviewer's role, recorded as acting for them.
      const reviewerId = staffIds.get("police-reviewer")!;
      await db()
        .insert(schema.staffProxies)
        .values({
          principalId: reviewerId,
          proxyId: releaser.staffId,
          role: "reviewer",
          agencyCode: "police",
          startsAt: new Date(Date.now() - 60_000),
          endsAt: new Date(Date.now() + 86_400_000),
          createdBy: reviewerId,
        });
      expect(await paymentRevealTarget(db(), await viewer("police-releaser"), paid.id)).toMatchObject({
        mayReveal: true,
        actingFor: reviewerId,
      });
      expect(await paymentRevealTarget(db(), await viewer("auditor"), paid.id)).toMatchObject({ mayReveal: true, actingFor: null });
      // What a confirmed reveal shows: the names in clear.
      const names = await revealedPaymentNames(db(), await viewer("police-handler"), paid.id);
      expect(Object.values(names!.payerNames)).toEqual([(await billOf(paid)).payerName]);
      expect(names!.memberName).toBeNull();
    });

    it("keeps every search and view in the audit chain, with the filters and no names, and the chain still verifies", async () => {
      const handler = await viewer("water-handler");
      const filters = { writeOffNumber: (await billOf(orders.water!)).writeOffNumber, status: "paid" as const };
      await searchPayments(db(), handler, filters);
      await viewPayment(db(), handler, orders.water!.id);
      const entries = await db()
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.actorType, "staff"), eq(schema.auditLog.actorId, handler.staffId)))
        .orderBy(schema.auditLog.seq);
      const searched = entries.filter((entry) => entry.action === "staff.payments_searched").at(-1)!;
      expect(searched).toMatchObject({
        targetType: "payment_order",
        requestId: "test-water-handler",
        details: { filters, found: 1, scope: ["water"] },
      });
      const viewed = entries.filter((entry) => entry.action === "staff.payment_viewed").at(-1)!;
      expect(viewed).toMatchObject({
        targetType: "payment_order",
        targetId: orders.water!.id,
        details: { reference: orders.water!.reference },
      });
      expect(JSON.stringify(entries)).not.toContain((await billOf(orders.water!)).payerName);
      // A view refused (another agency's order) is not a view.
      const before = (await db().select().from(schema.auditLog)).length;
      await viewPayment(db(), await viewer("police-handler"), orders.water!.id);
      expect((await db().select().from(schema.auditLog)).length).toBe(before);
      expect((await verifyAuditChain(db())).ok).toBe(true);
    });

    it("pages through results 50 at a time, newest first, the next page keeping the filters", async () => {
      const day = new Date("2025-06-01T02:00:00Z");
      const bills = await unpaidBills(db(), "parking-fee", 51);
      for (const [index, bill] of bills.entries()) {
        const made = await createPaymentOrder(
          world.ctx,
          { billIds: [bill.id], tool: "line_pay", idempotencyKey: newKey(), entryChannel: "lookup" },
          new Date(day.getTime() + index * 60_000),
        );
        if (made.kind !== "created") throw new Error(made.kind);
      }
      const auditor = await viewer("auditor");
      const filters = { from: "2025-06-01", to: "2025-06-01" };
      const first = await searchPayments(db(), auditor, filters);
      expect(first).toMatchObject({ total: 51, page: 1, pages: 2 });
      expect(first.rows).toHaveLength(50);
      const created = first.rows.map((row) => Date.parse(row.createdAt));
      expect(created).toEqual([...created].sort((a, b) => b - a));
      expect(paymentSearchQuery(filters, 2)).toBe("from=2025-06-01&to=2025-06-01&page=2");
      const next = parsePaymentSearch(new URLSearchParams(paymentSearchQuery(filters, 2)));
      if (!next.ok) throw new Error("the next page's link does not parse");
      const second = await searchPayments(db(), auditor, next.filters, next.page);
      expect(second.rows).toHaveLength(1);
      expect(first.rows.map((row) => row.reference)).not.toContain(second.rows[0]!.reference);
      expect(Date.parse(second.rows[0]!.createdAt)).toBe(day.getTime());
    });
  },
  async (handle: DatabaseHandle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "payments-test-pii-key-payments-test", today: TODAY });
    await seedDemoStaff(handle.db);
  },
);
