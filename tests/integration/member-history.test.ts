import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { changeBills } from "~/bills/lifecycle.server";
import { historyCsvStream } from "~/payments/history-csv.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import {
  NO_FILTERS,
  claimOrders,
  memberHistoryBatches,
  memberHistoryPage,
  memberOwnsReceipts,
  memberReceiptNumbers,
  type HistoryOwner,
  type HistoryRecord,
} from "~/payments/records.server";
import { upsertMember, type Member } from "~/members/sessions.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type DatabaseHandle } from "~/base/db.server";
import { getFixedT } from "~/base/i18n.server";
import { describeEachDatabase } from "../support/databases";
import { followBack, payerAtLinePay, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/**
 * A member's history holds more than the payments made while logged in:
 * those the same browser made before logging in (claimed at login), bills
 * issued to their verified identity that anyone paid here, and their bound
 * numbers' bills paid through another channel.
 */

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-b000-${String(++keyCounter).padStart(12, "0")}`;

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describeEachDatabase(
  "a member's whole history",
  (database) => {
    let world: PaymentWorld;
    let verified: Member;
    let other: Member;
    const db = () => database().db;
    const person = (subject: string, name: string, nationalId: string | null) => ({
      issuer: "t",
      subject,
      name,
      nationalId,
      verified: nationalId !== null,
      idToken: null,
      returnTo: "/",
    });
    const ownerOf = (member: Member, subjects: HistoryOwner["subjects"] = []): HistoryOwner => ({
      memberId: member.id,
      nationalIdHash: member.identityVerified ? member.nationalIdHash : null,
      subjects,
    });

    beforeAll(async () => {
      // Not a test of slow providers: room for a loaded machine.
      world = await startPaymentWorld(database().db, { PROVIDER_TIMEOUT_MS: "5000" });
      verified = await upsertMember(db(), world.ctx.env, person("v", "林美芯", "A123456789"));
      other = await upsertMember(db(), world.ctx.env, person("o", "王小明", null));
    });
    afterAll(async () => {
      await world.close();
    });

    /** Pays these bills with LINE Pay through the sandbox, as the member (or as nobody: a browser not logged in). */
    async function pay(billIds: string[], memberId: string | null) {
      const created = await createPaymentOrder(world.ctx, { billIds, tool: "line_pay", idempotencyKey: newKey(), memberId });
      if (created.kind !== "created") throw new Error(created.kind);
      const started = await startPayment(world.ctx, created.order);
      if (started.kind !== "redirect") throw new Error(started.kind);
      await followBack(world, await payerAtLinePay(started.url, "approve"));
      const [receipt] = await db().select().from(schema.receipts).where(eq(schema.receipts.orderId, created.order.id));
      return { reference: created.order.reference, receiptNumber: receipt!.number };
    }

    const numbersIn = (records: HistoryRecord[]) => records.map((record) => record.writeOffNumber);

    it("claims the payments a browser made before logging in, and never another member's or an unknown one", async () => {
      const [mine, theirs, elsewhere] = await unpaidBills(db(), "environmental-fine", 3);
      const before = await pay([mine!.id], null);
      const othersOwn = await pay([theirs!.id], other.id);
      // Another browser's payment, not in this browser's list.
      const anotherBrowser = await pay([elsewhere!.id], null);

      expect(await claimOrders(db(), verified.id, [before.reference, othersOwn.reference, "NOSUCHORDER1"])).toEqual([before.reference]);
      const history = await memberHistoryPage(db(), ownerOf(verified), NO_FILTERS, 1);
      expect(history.records.filter((record) => record.writeOffNumber === mine!.writeOffNumber)).toMatchObject([
        { origin: "member", orderReference: before.reference, receiptNumber: before.receiptNumber, channel: "portal" },
      ]);
      expect(numbersIn(history.records)).not.toContain(theirs!.writeOffNumber);
      expect(numbersIn(history.records)).not.toContain(elsewhere!.writeOffNumber);
      // The other member keeps theirs; claiming again takes nothing more.
      expect(numbersIn((await memberHistoryPage(db(), ownerOf(other), NO_FILTERS, 1)).records)).toContain(theirs!.writeOffNumber);
      expect(await claimOrders(db(), other.id, [before.reference, anotherBrowser.reference.toLowerCase()])).toEqual([]);
      expect(await memberOwnsReceipts(db(), ownerOf(verified), [before.receiptNumber, othersOwn.receiptNumber])).toEqual([
        before.receiptNumber,
      ]);
    });

    it("shows a verified member the bills issued to them that anyone paid here, with their receipts", async () => {
      const [issued, notTheirs] = await unpaidBills(db(), "traffic-fine", 2);
      await db().update(schema.bills).set({ payerNationalIdHash: verified.nationalIdHash }).where(eq(schema.bills.id, issued!.id));
      // Paid by someone not logged in (a relative, say), and another bill by the same payer.
      const paid = await pay([issued!.id, notTheirs!.id], null);

      const history = await memberHistoryPage(db(), ownerOf(verified), NO_FILTERS, 1);
      const rows = history.records.filter((record) => record.orderReference === paid.reference);
      // Only the bill issued to the member, not the other bill of that payment.
      expect(rows).toMatchObject([
        { origin: "identity", writeOffNumber: issued!.writeOffNumber, receiptNumber: paid.receiptNumber, status: "paid" },
      ]);
      expect(await memberOwnsReceipts(db(), ownerOf(verified), [paid.receiptNumber])).toEqual([paid.receiptNumber]);
      expect(await memberReceiptNumbers(db(), ownerOf(verified), NO_FILTERS, 50)).toContain(paid.receiptNumber);
      // Without a verified identity, none of that.
      const unverified = { ...ownerOf(verified), nationalIdHash: null };
      expect(numbersIn((await memberHistoryPage(db(), unverified, NO_FILTERS, 1)).records)).not.toContain(issued!.writeOffNumber);
      expect(await memberOwnsReceipts(db(), unverified, [paid.receiptNumber])).toEqual([]);
    });

    it("shows the bound numbers' bills paid at a store or counter as paid there, without a receipt, in the page, filters and CSV", async () => {
      const water = await db()
        .select()
        .from(schema.bills)
        .where(and(eq(schema.bills.status, "unpaid"), eq(schema.bills.billTypeCode, "water-bill")))
        .limit(200);
      const bill = water[0]!;
      const atStore = bill;
      // Another account's bill, paid at the same store: not the member's.
      const notBound = water.find((candidate) => candidate.subject !== bill.subject)!;
      const paidAt = new Date("2026-10-20T09:30:00+08:00");
      for (const id of [atStore!.id, notBound!.id]) {
        await changeBills(
          db(),
          [id],
          { event: "paid_elsewhere", channel: "convenience_store", paidAt },
          { actorType: "agency", actorId: "water", details: {} },
        );
      }
      const owner = ownerOf(other, [{ kind: "water_account", values: [bill.subject] }]);
      const history = await memberHistoryPage(db(), owner, NO_FILTERS, 1);
      const row = history.records.find((record) => record.writeOffNumber === atStore!.writeOffNumber);
      expect(row).toMatchObject({
        origin: "elsewhere",
        channel: "convenience_store",
        status: "paid",
        paymentTool: null,
        orderReference: null,
        receiptNumber: null,
        amount: atStore!.amount,
        at: paidAt.toISOString(),
      });
      expect(numbersIn(history.records)).not.toContain(notBound!.writeOffNumber);
      expect(history.paidAmount).toBe(history.records.filter((r) => r.status === "paid").reduce((sum, r) => sum + r.amount, 0));

      const only = async (filters: Partial<typeof NO_FILTERS>) =>
        numbersIn((await memberHistoryPage(db(), owner, { ...NO_FILTERS, ...filters }, 1)).records);
      expect(await only({ from: "2026-10-20", to: "2026-10-20" })).toContain(atStore!.writeOffNumber);
      expect(await only({ from: "2026-10-21" })).not.toContain(atStore!.writeOffNumber);
      expect(await only({ status: "paid", billType: "water-bill" })).toContain(atStore!.writeOffNumber);
      expect(await only({ status: "in_progress" })).not.toContain(atStore!.writeOffNumber);
      expect(await only({ billType: "traffic-fine" })).not.toContain(atStore!.writeOffNumber);

      // The batches of the CSV hold the same rows as the pages, in the same order.
      const batches: HistoryRecord[] = [];
      for await (const batch of memberHistoryBatches(db(), owner, NO_FILTERS, 1)) batches.push(...batch);
      expect(batches).toEqual(history.records);
      const csv = await readAll(historyCsvStream(memberHistoryBatches(db(), owner, NO_FILTERS), await getFixedT("zh-TW"), "zh-TW"));
      const line = csv.split("\r\n").find((candidate) => candidate.includes(atStore!.writeOffNumber))!;
      expect(line).toContain("超商代收");
    });

    it("orders every kind of record by time and pages through them without losing or repeating one", async () => {
      const [a] = await unpaidBills(db(), "market-usage-fee", 1);
      const [b] = await unpaidBills(db(), "water-bill", 1);
      const [bill] = await db().select().from(schema.bills).where(eq(schema.bills.id, b!.id));
      await pay([a!.id], verified.id);
      await changeBills(
        db(),
        [b!.id],
        { event: "paid_elsewhere", channel: "agency_counter", paidAt: new Date("2026-09-01T10:00:00+08:00") },
        { actorType: "agency", actorId: "water", details: {} },
      );
      const owner = ownerOf(verified, [{ kind: "water_account", values: [bill!.subject] }]);
      const all: HistoryRecord[] = [];
      for await (const batch of memberHistoryBatches(db(), owner, NO_FILTERS, 2)) all.push(...batch);
      expect(all.map((record) => record.at)).toEqual([...all.map((record) => record.at)].sort().reverse());
      expect(new Set(all.map((record) => record.origin))).toEqual(new Set(["member", "identity", "elsewhere"]));
      const paged: HistoryRecord[] = [];
      const first = await memberHistoryPage(db(), owner, NO_FILTERS, 1);
      for (let page = 1; page <= first.pages; page++) paged.push(...(await memberHistoryPage(db(), owner, NO_FILTERS, page)).records);
      expect(paged).toEqual(all);
      expect(first.total).toBe(all.length);
    });
  },
  async (handle: DatabaseHandle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "test-pii-key-test-pii-key-test-pii-key" });
  },
);
