import { createCookie } from "@remix-run/node";
import { and, eq } from "drizzle-orm";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { electricityCheckDigit } from "~/domain/identifiers";
import { addBinding, listBindings, openBindings, removeBinding, renameBinding } from "~/members/bindings.server";
import { LoginFailed, beginLogin, completeLogin, type LoggedInIdentity } from "~/members/oidc.server";
import { billsVisibleToMember, memberDashboard, memberPendingBills } from "~/members/pending-bills.server";
import {
  currentMember,
  endMemberSession,
  keepMemberSessionAlive,
  startMemberSession,
  upsertMember,
  type Member,
} from "~/members/sessions.server";
import { demoMembers } from "~/demo/identity-provider.server";
import { generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema, type DatabaseHandle } from "~/base/db.server";
import { DEMO_SECRETS } from "~/demo/keys";
import { describeEachDatabase } from "../support/databases";
import { loginAtProvider, startMemberWorld, type MemberWorld } from "../support/members";
import { listen } from "../support/payments";

const TODAY = "2026-11-21";
const [meihsin, residentB] = generateDemoData({ today: TODAY, billsPerType: 1, residents: 3 }).residents as [
  ReturnType<typeof generateDemoData>["residents"][number],
  ReturnType<typeof generateDemoData>["residents"][number],
];

function identity(subject: string, name: string, nationalId: string | null): LoggedInIdentity {
  return { issuer: "https://id.example", subject, name, nationalId, verified: nationalId !== null, idToken: null, returnTo: "/account" };
}

/** A request carrying the cookies a response set. */
function requestWith(setCookies: string[], path = "/account"): Request {
  return new Request(`http://127.0.0.1:3999${path}`, { headers: { cookie: setCookies.map((c) => c.split(";")[0]).join("; ") } });
}

describeEachDatabase(
  "members",
  (database) => {
    let world: MemberWorld;
    let memberA: Member;
    let memberB: Member;
    let unverified: Member;
    const db = () => database().db;
    const audit = (member: Member) => ({ memberId: member.id, requestId: "test-request" });

    beforeAll(async () => {
      world = await startMemberWorld(database().db);
      memberA = await upsertMember(db(), world.env, identity("a", meihsin.name, meihsin.nationalId));
      memberB = await upsertMember(db(), world.env, identity("b", residentB.name, residentB.nationalId));
      unverified = await upsertMember(db(), world.env, identity("c", "王小明", null));
    });
    afterAll(async () => {
      await world?.close();
    });

    describe("bindings", () => {
      it("stores a bound number encrypted, hashed and masked, and records the change without the number", async () => {
        const added = await addBinding(db(), world.env, audit(memberA), { kind: "vehicle_plate", value: " bkr 2046 ", label: "我的車" });
        expect(added).toMatchObject({ ok: true, binding: { kind: "vehicle_plate", valueMasked: "BK*-**46", label: "我的車" } });
        const [row] = await db().select().from(schema.memberBindings).where(eq(schema.memberBindings.memberId, memberA.id));
        expect(row!.valueCiphertext).not.toContain("BKR");
        expect(Buffer.from(row!.valueCiphertext.slice(3), "base64").toString("latin1")).not.toContain("2046");
        expect(row!.valueHash).toMatch(/^[0-9a-f]{64}$/);
        expect((await openBindings(db(), world.env, memberA.id))[0]!.value).toBe("BKR-2046");

        const entries = await db().select().from(schema.auditLog).where(eq(schema.auditLog.targetId, row!.id));
        expect(entries.map((entry) => [entry.action, entry.actorId, entry.requestId])).toEqual([
          ["binding.add", memberA.id, "test-request"],
        ]);
        expect(JSON.stringify(entries[0]!.details)).not.toContain("BKR-2046");
      });

      it("refuses the same number written another way, and says what is wrong with malformed ones", async () => {
        expect(await addBinding(db(), world.env, audit(memberA), { kind: "vehicle_plate", value: "ＢＫＲ－２０４６", label: "" })).toEqual({
          ok: false,
          problems: ["duplicate"],
        });
        expect(await addBinding(db(), world.env, audit(memberA), { kind: "vehicle_plate", value: "ABC-12345", label: "" })).toEqual({
          ok: false,
          problems: ["plate_shape"],
        });
        expect(await addBinding(db(), world.env, audit(memberA), { kind: "electricity_account", value: "07123456780", label: "" })).toEqual(
          { ok: false, problems: ["electricity_check"] },
        );
        expect(
          await addBinding(db(), world.env, audit(memberA), { kind: "water_account", value: "04-1234", label: "x".repeat(31) }),
        ).toEqual({ ok: false, problems: ["water_shape", "label_long"] });
        expect(await addBinding(db(), world.env, audit(memberA), { kind: "gas_account", value: "3800012345", label: "" })).toEqual({
          ok: false,
          problems: ["kind"],
        });
        // Another member may bind the same plate (a shared car): duplicates are per member.
        expect((await addBinding(db(), world.env, audit(memberB), { kind: "vehicle_plate", value: "BKR-2046", label: "" })).ok).toBe(true);
      });

      it("keeps to the limit per kind even when additions race", async () => {
        const member = await upsertMember(db(), world.env, identity("racer", "陳大文", null));
        const plates = ["AAA-1111", "AAB-1111", "AAC-1111", "AAD-1111", "AAE-1111", "AAF-1111", "AAG-1111"];
        const results = await Promise.all(
          plates.map((value) => addBinding(db(), world.env, audit(member), { kind: "vehicle_plate", value, label: "" })),
        );
        expect(results.filter((result) => result.ok)).toHaveLength(5);
        expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.problems)).toEqual([["limit"], ["limit"]]);
        expect(await listBindings(db(), member.id)).toHaveLength(5);
        // Other kinds have limits of their own.
        expect((await addBinding(db(), world.env, audit(member), { kind: "water_account", value: "04-11112222-3", label: "" })).ok).toBe(
          true,
        );
      });

      it("never lets a member rename or remove another member's binding, whatever id they send", async () => {
        const [bBinding] = await listBindings(db(), memberB.id);
        const before = await db().select().from(schema.auditLog).where(eq(schema.auditLog.targetId, bBinding!.id));
        expect(await renameBinding(db(), audit(memberA), { bindingId: bBinding!.id, label: "偷改" })).toEqual({
          ok: false,
          problems: ["not_found"],
        });
        expect(await removeBinding(db(), audit(memberA), { bindingId: bBinding!.id })).toEqual({ ok: false, problems: ["not_found"] });
        expect(await removeBinding(db(), audit(memberA), { bindingId: "' or 1=1 --" })).toEqual({ ok: false, problems: ["not_found"] });
        expect(await listBindings(db(), memberB.id)).toEqual([bBinding]);
        expect(await db().select().from(schema.auditLog).where(eq(schema.auditLog.targetId, bBinding!.id))).toEqual(before);
      });

      it("renames and removes the member's own binding, recording both", async () => {
        const added = await addBinding(db(), world.env, audit(memberB), { kind: "water_account", value: "04-99998888-1", label: "" });
        if (!added.ok) throw new Error("not added");
        expect(await renameBinding(db(), audit(memberB), { bindingId: added.binding.id, label: "  老家  " })).toMatchObject({
          ok: true,
          binding: { label: "老家" },
        });
        expect((await removeBinding(db(), audit(memberB), { bindingId: added.binding.id })).ok).toBe(true);
        const actions = await db()
          .select({ action: schema.auditLog.action })
          .from(schema.auditLog)
          .where(eq(schema.auditLog.targetId, added.binding.id))
          .orderBy(schema.auditLog.id);
        expect(actions.map((entry) => entry.action)).toEqual(["binding.add", "binding.rename", "binding.remove"]);
      });

      it("does not decrypt a bound number copied into another member's row", async () => {
        const [aRow] = await db().select().from(schema.memberBindings).where(eq(schema.memberBindings.memberId, memberA.id));
        const [bRow] = await db()
          .select()
          .from(schema.memberBindings)
          .where(and(eq(schema.memberBindings.memberId, memberB.id), eq(schema.memberBindings.kind, "vehicle_plate")));
        await db()
          .update(schema.memberBindings)
          .set({ valueCiphertext: aRow!.valueCiphertext })
          .where(eq(schema.memberBindings.id, bRow!.id));
        await expect(openBindings(db(), world.env, memberB.id)).rejects.toThrow();
        await db()
          .update(schema.memberBindings)
          .set({ valueCiphertext: bRow!.valueCiphertext })
          .where(eq(schema.memberBindings.id, bRow!.id));
        expect((await openBindings(db(), world.env, memberB.id))[0]!.value).toBe("BKR-2046");
      });
    });

    describe("pending bills", () => {
      const electricity = `0712345678${electricityCheckDigit("0712345678")}`;

      beforeAll(async () => {
        await addBinding(db(), world.env, audit(memberA), { kind: "water_account", value: meihsin.waterAccount, label: "家裡" });
        await addBinding(db(), world.env, audit(memberA), { kind: "electricity_account", value: electricity, label: "" });
        await addBinding(db(), world.env, audit(memberA), { kind: "vehicle_plate", value: "MHV-385", label: "機車" });
      });

      it("lists the portal's bills and the sources' bills for each binding, and records the sources' bills so they can be paid", async () => {
        const pending = await memberPendingBills(world.ctx, memberA);
        expect(pending.unavailable).toEqual([]);
        const byBinding = new Map(pending.groups.map((group) => [group.binding?.valueMasked ?? "identity", group]));
        expect([...byBinding.keys()]).toEqual(["BK*-**46", "04-******78-5", "07******781", "MH*-*85", "identity"]);

        const water = byBinding.get("04-******78-5")!;
        const fromSource = water.bills.filter((bill) => bill.writeOffNumber.startsWith("11514"));
        const fromPortal = water.bills.filter((bill) => bill.writeOffNumber.startsWith("11504"));
        expect(fromSource.length).toBe(1);
        expect(fromPortal.length).toBeGreaterThanOrEqual(2);
        expect(water.total).toBe(water.bills.reduce((sum, bill) => sum + bill.amount, 0));
        // Soonest due first; overdue marked.
        expect(water.bills.map((bill) => bill.dueDate)).toEqual([...water.bills.map((bill) => bill.dueDate)].sort());
        expect(pending.overdueCount).toBe(pending.groups.flatMap((g) => g.bills).filter((bill) => bill.status === "overdue").length);
        expect(pending.overdueCount).toBeGreaterThan(0);
        expect(pending.total).toBe(pending.groups.reduce((sum, group) => sum + group.total, 0));

        const [stored] = await db().select().from(schema.bills).where(eq(schema.bills.writeOffNumber, fromSource[0]!.writeOffNumber));
        expect(stored).toMatchObject({
          billTypeCode: "water-bill",
          subject: meihsin.waterAccount,
          status: "unpaid",
          amount: fromSource[0]!.amount,
        });
        // The browser gets masked data only.
        expect(JSON.stringify(pending)).not.toContain(meihsin.name);
        expect(JSON.stringify(pending)).not.toContain(meihsin.waterAccount);
      });

      it("shows a verified member the fines and fees issued to them, and an unverified member none", async () => {
        const pending = await memberPendingBills(world.ctx, memberA);
        const identityGroup = pending.groups.find((group) => group.binding === null)!;
        expect(identityGroup.bills.length).toBeGreaterThan(0);
        const categories = await db().select({ code: schema.billTypes.code, category: schema.billTypes.category }).from(schema.billTypes);
        const categoryOf = new Map(categories.map((row) => [row.code, row.category]));
        expect(new Set(identityGroup.bills.map((bill) => categoryOf.get(bill.billTypeCode)))).toEqual(new Set(["fine", "government_fee"]));
        // A traffic fine for a bound plate appears once, under the plate.
        const plateGroup = pending.groups.find((group) => group.binding?.valueMasked === "BK*-**46")!;
        const plateFine = plateGroup.bills.find((bill) => bill.billTypeCode === "traffic-fine")!;
        expect(plateFine).toBeDefined();
        expect(identityGroup.bills.some((bill) => bill.id === plateFine.id)).toBe(false);

        const none = await memberPendingBills(world.ctx, unverified);
        expect(none.groups).toEqual([]);
        expect(none.count).toBe(0);
      });

      it("shows the other sources when one is down or too slow, and names the ones missing", async () => {
        world.sources.behaviour.water = { mode: "down", latencyMs: 20 };
        world.sources.behaviour.power = { mode: "slow", latencyMs: 100 }; // 6 s, far over the 1.5 s timeout
        try {
          const fresh = await upsertMember(db(), world.env, identity("fresh", meihsin.name, null));
          await addBinding(db(), world.env, audit(fresh), { kind: "water_account", value: meihsin.waterAccount, label: "" });
          await addBinding(db(), world.env, audit(fresh), { kind: "electricity_account", value: electricity, label: "" });
          await addBinding(db(), world.env, audit(fresh), { kind: "vehicle_plate", value: "MHV-385", label: "" });
          const pending = await memberPendingBills(world.ctx, fresh);
          expect(pending.unavailable.sort()).toEqual(["power", "water"]);
          const plate = pending.groups.find((group) => group.binding?.kind === "vehicle_plate")!;
          expect(plate.bills.some((bill) => bill.writeOffNumber.startsWith("11512"))).toBe(true);
          // What the portal itself holds for the account still shows.
          const water = pending.groups.find((group) => group.binding?.kind === "water_account")!;
          expect(water.bills.some((bill) => bill.writeOffNumber.startsWith("11504"))).toBe(true);
          const warnings = world.logs
            .filter((entry) => entry.msg === "bill source unavailable")
            .map((entry) => [entry.source, entry.reason]);
          expect(warnings).toEqual(
            expect.arrayContaining([
              ["water", "http_error"],
              ["power", "timeout"],
            ]),
          );
        } finally {
          world.sources.behaviour.water = { mode: "normal", latencyMs: 20 };
          world.sources.behaviour.power = { mode: "normal", latencyMs: 20 };
        }
      });

      it("asks each source once while its answer is cached, but never shows a bill paid meanwhile", async () => {
        const member = await upsertMember(db(), world.env, identity("cache", "張小華", null));
        await addBinding(db(), world.env, audit(member), { kind: "vehicle_plate", value: "MHV-385", label: "" });
        const before = world.sources.requests.parking;
        const first = await memberPendingBills(world.ctx, member);
        const bill = first.groups[0]!.bills[0]!;
        await db()
          .update(schema.bills)
          .set({ status: "paid", paidAt: new Date(), paidChannel: "convenience_store" })
          .where(eq(schema.bills.id, bill.id));
        const second = await memberPendingBills(world.ctx, member);
        expect(world.sources.requests.parking).toBe(before + 1);
        expect(second.groups[0]!.bills.map((b) => b.id)).not.toContain(bill.id);
        expect(second.count).toBe(first.count - 1);
      });

      it("says when each source's answer is from: given now, or reused from the cache since", async () => {
        const member = await upsertMember(db(), world.env, identity("dated", "周小青", null));
        await addBinding(db(), world.env, audit(member), { kind: "water_account", value: meihsin.waterAccount, label: "" });
        const before = Date.now();
        const first = await memberPendingBills(world.ctx, member);
        const after = Date.now();
        expect(first.sources).toMatchObject([{ source: "water", state: "answered" }]);
        const answeredAt = new Date(first.sources[0]!.answeredAt!).getTime();
        expect(answeredAt).toBeGreaterThanOrEqual(before);
        expect(answeredAt).toBeLessThanOrEqual(after);
        const second = await memberPendingBills(world.ctx, member);
        expect(second.sources).toEqual([{ source: "water", state: "cached", answeredAt: first.sources[0]!.answeredAt }]);
      });

      it("names a source unavailable as soon as a fresh question fails, and does not fall back on its cached answer", async () => {
        const member = await upsertMember(db(), world.env, identity("refresh", "吳小安", null));
        await addBinding(db(), world.env, audit(member), { kind: "water_account", value: meihsin.waterAccount, label: "" });
        const first = await memberPendingBills(world.ctx, member);
        const fromSource = (pending: typeof first) =>
          pending.groups[0]!.bills.filter((bill) => bill.writeOffNumber.startsWith("11514")).map((bill) => bill.id);
        expect(fromSource(first)).toHaveLength(1);
        world.sources.setBehaviour("water", "down", 20);
        try {
          // Not asked again: the cached answer, and the page says from when.
          expect((await memberPendingBills(world.ctx, member)).sources).toMatchObject([{ state: "cached" }]);
          const refreshed = await memberPendingBills(world.ctx, member, { fresh: true });
          expect(refreshed.unavailable).toEqual(["water"]);
          // The bills it gave before are still listed, as of its last answer.
          expect(refreshed.sources).toEqual([{ source: "water", state: "unavailable", answeredAt: first.sources[0]!.answeredAt }]);
          expect(fromSource(refreshed)).toEqual(fromSource(first));
          // The failed question dropped the cached answer: the next plain load asks again, and says it failed.
          const requests = world.sources.requests.water;
          expect((await memberPendingBills(world.ctx, member)).unavailable).toEqual(["water"]);
          expect(world.sources.requests.water).toBe(requests + 1);
        } finally {
          world.sources.setBehaviour("water", "normal", 20);
        }
        expect((await memberPendingBills(world.ctx, member)).sources).toMatchObject([{ source: "water", state: "answered" }]);
      });

      it("gives the portal's own bills without waiting for a source, and each source's part when it answers", async () => {
        const member = await upsertMember(db(), world.env, identity("stream", "鄭小雨", null));
        await addBinding(db(), world.env, audit(member), { kind: "water_account", value: meihsin.waterAccount, label: "" });
        await addBinding(db(), world.env, audit(member), { kind: "electricity_account", value: electricity, label: "" });
        world.sources.setBehaviour("power", "held", 20);
        const asked = world.sources.requests.power;
        let dashboard: Awaited<ReturnType<typeof memberDashboard>>;
        try {
          // The power company holds its answer until told otherwise: the portal's part cannot have waited for it.
          dashboard = await memberDashboard(world.ctx, member);
          const water = dashboard.groups.find((group) => group.binding?.kind === "water_account")!;
          expect(water.bills.length).toBeGreaterThan(0);
          expect(water.bills.every((bill) => bill.writeOffNumber.startsWith("11504"))).toBe(true);
          expect(Object.keys(dashboard.sources).sort()).toEqual(["power", "water"]);
        } finally {
          world.sources.setBehaviour("power", "normal", 20);
        }
        const power = await dashboard.sources.power!;
        expect(power).toMatchObject({ source: "power", state: "answered" });
        expect(world.sources.requests.power).toBe(asked + 1);
        const powerBinding = dashboard.groups.find((group) => group.binding?.kind === "electricity_account")!.binding!;
        expect(power.groups).toEqual([
          { bindingId: powerBinding.id, bills: [expect.objectContaining({ billTypeCode: "electricity-bill" })] },
        ]);
        expect(power.groups[0]!.bills[0]!.writeOffNumber).toMatch(/^11517/);
      });

      it("ignores what a source may not say: other agencies' bill types, numbers it was not asked about, invalid write-off numbers", async () => {
        const unpaidParking = (
          await db()
            .select()
            .from(schema.bills)
            .where(
              and(eq(schema.bills.subject, "MHV-385"), eq(schema.bills.billTypeCode, "parking-fee"), eq(schema.bills.status, "unpaid")),
            )
        )[0]!;
        expect(unpaidParking.id).toBeTruthy();
        const rogue = express();
        rogue.post("/parking/pending-bills", (_req, res) => {
          const bill = { payerName: "某人", amount: 500, issuedOn: "2026-11-01", dueDate: "2026-12-01", period: "1511" };
          res.json({
            bills: [
              { ...bill, billType: "traffic-fine", writeOffNumber: "GF11599990", subject: "MHV-385" },
              { ...bill, billType: "parking-fee", writeOffNumber: "1151299999999990", subject: "ZZZ-9999" },
              { ...bill, billType: "parking-fee", writeOffNumber: "1151299999999991", subject: "MHV-385" },
              { ...bill, billType: "parking-fee", amount: -5, writeOffNumber: "1151299999999992", subject: "MHV-385" },
            ],
            settled: [
              // A source cannot claim a payment made through the portal, nor settle numbers it was not asked about.
              {
                billType: "parking-fee",
                writeOffNumber: unpaidParking.writeOffNumber,
                subject: "MHV-385",
                outcome: "paid",
                settledAt: "2026-11-20T10:00:00+08:00",
                channel: "portal",
              },
              {
                billType: "parking-fee",
                writeOffNumber: unpaidParking.writeOffNumber,
                subject: "ZZZ-9999",
                outcome: "cancelled",
                settledAt: "2026-11-20T10:00:00+08:00",
              },
              {
                billType: "traffic-fine",
                writeOffNumber: unpaidParking.writeOffNumber,
                subject: "MHV-385",
                outcome: "cancelled",
                settledAt: "2026-11-20T10:00:00+08:00",
              },
            ],
          });
        });
        const server = await listen(rogue);
        try {
          const ctx = {
            ...world.ctx,
            env: {
              ...world.env,
              MEMBER_BILLS_CACHE_SECONDS: 0,
              billSources: [{ source: "parking" as const, url: `${server.url}/parking`, keyId: "k", secret: "s".repeat(32) }],
            },
          };
          const member = await upsertMember(db(), world.env, identity("rogue", "李四", null));
          await addBinding(db(), world.env, audit(member), { kind: "vehicle_plate", value: "MHV-385", label: "" });
          const pending = await memberPendingBills(ctx, member);
          expect(pending.unavailable).toEqual([]);
          const numbers = pending.groups.flatMap((group) => group.bills.map((bill) => bill.writeOffNumber));
          expect(numbers.filter((number) => number.startsWith("GF1159999") || number.startsWith("115129999"))).toEqual([]);
          const stored = await db().select().from(schema.bills).where(eq(schema.bills.subject, "ZZZ-9999"));
          expect(stored).toEqual([]);
          expect(
            world.logs.some((entry) => entry.msg.startsWith("bill source: entries outside the agreement") && entry.rejected === 7),
          ).toBe(true);
          const [stillUnpaid] = await db().select().from(schema.bills).where(eq(schema.bills.id, unpaidParking.id));
          expect(stillUnpaid!.status).toBe("unpaid");
        } finally {
          await new Promise((resolve) => server.server.close(resolve));
        }
      });

      it("lets a member pay only bills that are theirs", async () => {
        const aPending = await memberPendingBills(world.ctx, memberA);
        const aBills = aPending.groups.flatMap((group) => group.bills.map((bill) => bill.id));
        expect([...(await billsVisibleToMember(world.ctx, memberA, aBills))].sort()).toEqual([...aBills].sort());
        const visibleToB = await billsVisibleToMember(world.ctx, memberB, aBills);
        // B shares only the plate BKR-2046 with A.
        const shared = aPending.groups.find((group) => group.binding?.valueMasked === "BK*-**46")!.bills.map((bill) => bill.id);
        expect([...visibleToB].sort()).toEqual([...shared].sort());
        expect(await billsVisibleToMember(world.ctx, unverified, aBills)).toEqual(new Set());
      });

      it("stops offering a bill its source reports paid at its counter or cancelled, and records who said so", async () => {
        const ctx = { ...world.ctx, env: { ...world.env, MEMBER_BILLS_CACHE_SECONDS: 0 } };
        const member = await upsertMember(db(), world.env, identity("settled", residentB.name, null));
        await addBinding(db(), world.env, audit(member), { kind: "water_account", value: residentB.waterAccount, label: "" });
        await addBinding(db(), world.env, audit(member), { kind: "electricity_account", value: residentB.electricityAccount, label: "" });
        const before = await memberPendingBills(ctx, member);
        const [water, power] = before.groups.map((group) => group.bills.find((bill) => bill.writeOffNumber.startsWith("1151")));
        expect(water && power).toBeTruthy();

        expect(world.sources.settle("water", water!.writeOffNumber, "paid")).toBe(true);
        expect(world.sources.settle("power", power!.writeOffNumber, "cancelled")).toBe(true);
        const after = await memberPendingBills(ctx, member);
        const shown = after.groups.flatMap((group) => group.bills.map((bill) => bill.id));
        expect(shown).not.toContain(water!.id);
        expect(shown).not.toContain(power!.id);
        expect(after.count).toBe(before.count - 2);
        expect(await billsVisibleToMember(ctx, member, [water!.id, power!.id])).toEqual(new Set());

        const [paidRow] = await db().select().from(schema.bills).where(eq(schema.bills.id, water!.id));
        expect(paidRow).toMatchObject({ status: "paid", paidChannel: "agency_counter" });
        expect(paidRow!.paidAt).toBeInstanceOf(Date);
        const [cancelledRow] = await db().select().from(schema.bills).where(eq(schema.bills.id, power!.id));
        expect(cancelledRow).toMatchObject({ status: "cancelled", paidChannel: null, paidAt: null });
        const entries = await db().select().from(schema.auditLog).where(eq(schema.auditLog.targetType, "bill"));
        expect(entries.filter((e) => e.targetId === water!.id)).toMatchObject([
          { actorType: "agency", actorId: "water", action: "bill.paid_elsewhere", details: { channel: "agency_counter" } },
        ]);
        expect(entries.filter((e) => e.targetId === power!.id)).toMatchObject([
          { actorType: "agency", actorId: "power", action: "bill.cancelled_at_source" },
        ]);
      });

      it("keeps a payment made here when the source later reports another, and raises it once for a refund", async () => {
        const ctx = { ...world.ctx, env: { ...world.env, MEMBER_BILLS_CACHE_SECONDS: 0 } };
        const member = await upsertMember(db(), world.env, identity("twice", meihsin.name, null));
        await addBinding(db(), world.env, audit(member), { kind: "water_account", value: meihsin.waterAccount, label: "" });
        const pending = await memberPendingBills(ctx, member);
        const bill = pending.groups[0]!.bills.find((candidate) => candidate.writeOffNumber.startsWith("1151"))!;
        const paidHere = new Date("2026-11-20T02:00:00Z");
        await db()
          .update(schema.bills)
          .set({ status: "paid", paidAt: paidHere, paidChannel: "portal" })
          .where(eq(schema.bills.id, bill.id));
        world.sources.settle("water", bill.writeOffNumber, "paid");
        await memberPendingBills(ctx, member);
        await memberPendingBills(ctx, member);

        const [row] = await db().select().from(schema.bills).where(eq(schema.bills.id, bill.id));
        expect(row).toMatchObject({ status: "paid", paidChannel: "portal", paidAt: paidHere });
        const reports = await db()
          .select()
          .from(schema.auditLog)
          .where(and(eq(schema.auditLog.targetId, bill.id), eq(schema.auditLog.action, "bill.paid_twice")));
        expect(reports).toHaveLength(1);
        expect(world.logs.filter((entry) => entry.alert === "bill_paid_twice" && entry.bill === bill.id)).toHaveLength(1);
      });
    });

    describe("sessions", () => {
      it("opens a session from its cookie only, and not from a tampered or foreign one", async () => {
        const now = new Date("2026-11-21T10:00:00Z");
        const cookie = await startMemberSession(db(), world.env, memberA.id, null, now);
        expect((await currentMember(db(), world.env, requestWith([cookie]), now))?.member.id).toBe(memberA.id);

        const value = cookie.split(";")[0]!.split("=")[1]!;
        // One character of the signed token changed (the signature left as it was).
        const tampered = `portal_member=${value.slice(0, 10)}${value[10] === "A" ? "B" : "A"}${value.slice(11)}`;
        expect(await currentMember(db(), world.env, requestWith([tampered]), now)).toBeNull();
        const foreign = await createCookie("portal_member", { secrets: ["someone-elses-secret-of-enough-length"] }).serialize(
          "x".repeat(43),
        );
        expect(await currentMember(db(), world.env, requestWith([foreign]), now)).toBeNull();
      });

      it("ends a session after the idle time unless kept alive, and at the absolute limit in any case", async () => {
        const start = new Date("2026-11-21T10:00:00Z");
        const cookie = await startMemberSession(db(), world.env, memberA.id, null, start);
        const minutes = (n: number) => new Date(start.getTime() + n * 60_000);
        const session = await currentMember(db(), world.env, requestWith([cookie]), minutes(10));
        expect(session).not.toBeNull();
        // Activity at minute 10 moved the deadline to minute 25.
        expect(await currentMember(db(), world.env, requestWith([cookie]), minutes(24))).not.toBeNull();
        expect(await currentMember(db(), world.env, requestWith([cookie]), minutes(40))).toBeNull();

        const other = await startMemberSession(db(), world.env, memberA.id, null, start);
        const alive = (await currentMember(db(), world.env, requestWith([other]), minutes(14)))!;
        await keepMemberSessionAlive(db(), world.env, alive, minutes(14.5));
        expect(await currentMember(db(), world.env, requestWith([other]), minutes(29))).not.toBeNull();
        // Kept busy, a session still ends MEMBER_SESSION_HOURS after login.
        let at = 29;
        while (at < 8 * 60 - 10) {
          at += 10;
          expect(await currentMember(db(), world.env, requestWith([other]), minutes(at))).not.toBeNull();
        }
        expect(await currentMember(db(), world.env, requestWith([other]), minutes(8 * 60 + 1))).toBeNull();
      });

      it("logging out ends the session on the server, so a copied cookie opens nothing", async () => {
        const cookie = await startMemberSession(db(), world.env, memberA.id, null);
        const session = await currentMember(db(), world.env, requestWith([cookie]));
        const cleared = await endMemberSession(db(), world.env, session);
        expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
        expect(await currentMember(db(), world.env, requestWith([cookie]))).toBeNull();
      });

      it("gives every login a new session id", async () => {
        const first = await startMemberSession(db(), world.env, memberA.id, null);
        const second = await startMemberSession(db(), world.env, memberA.id, null);
        expect(first.split(";")[0]).not.toBe(second.split(";")[0]);
      });
    });

    describe("login through the identity provider", () => {
      const [verifiedMember, unverifiedMember] = demoMembers();

      async function loginAs(username: string, returnTo: unknown = "/account") {
        const begun = await beginLogin(world.env, returnTo, "zh-TW");
        const callback = await loginAtProvider(begun.url, username, "demo-1234");
        return { begun, callback, request: new Request(callback, { headers: { cookie: begun.setCookie.split(";")[0]! } }) };
      }

      it("completes the code flow with PKCE and reads a verified member's national ID", async () => {
        const { begun, request } = await loginAs(verifiedMember!.username, "/lookup/traffic-fine?x=1");
        const url = new URL(begun.url);
        expect(url.searchParams.get("code_challenge_method")).toBe("S256");
        expect(url.searchParams.get("state")).toBeTruthy();
        expect(url.searchParams.get("nonce")).toBeTruthy();
        const { identity: who } = await completeLogin(world.env, request);
        expect(who).toMatchObject({
          subject: verifiedMember!.sub,
          name: verifiedMember!.name,
          nationalId: verifiedMember!.nationalId,
          verified: true,
          returnTo: "/lookup/traffic-fine?x=1",
        });
      });

      it("reads no national ID for a member who is not verified", async () => {
        const { request } = await loginAs(unverifiedMember!.username);
        expect((await completeLogin(world.env, request)).identity).toMatchObject({ nationalId: null, verified: false });
      });

      it.each([["//evil.example/x"], ["https://evil.example/"], ["/\\evil.example"], ["javascript:alert(1)"], [null]])(
        "sends the member to the dashboard, not to %s, after login",
        async (returnTo) => {
          const { request } = await loginAs(verifiedMember!.username, returnTo);
          expect((await completeLogin(world.env, request)).identity.returnTo).toBe("/account");
        },
      );

      it("rejects an answer whose state is not this browser's", async () => {
        const { callback, begun } = await loginAs(verifiedMember!.username);
        callback.searchParams.set("state", "forged-state");
        await expect(
          completeLogin(world.env, new Request(callback, { headers: { cookie: begun.setCookie.split(";")[0]! } })),
        ).rejects.toBeInstanceOf(LoginFailed);
      });

      it("rejects an answer when the browser started a different login (login CSRF)", async () => {
        const victim = await beginLogin(world.env, "/account", "zh-TW");
        const { callback } = await loginAs(verifiedMember!.username);
        await expect(
          completeLogin(world.env, new Request(callback, { headers: { cookie: victim.setCookie.split(";")[0]! } })),
        ).rejects.toBeInstanceOf(LoginFailed);
        await expect(completeLogin(world.env, new Request(callback))).rejects.toBeInstanceOf(LoginFailed);
      });

      it("rejects an ID token whose nonce is not the one this browser sent", async () => {
        const { callback, begun } = await loginAs(verifiedMember!.username);
        const jar = createCookie("portal_oidc", { path: "/auth", secrets: [world.env.SESSION_SECRET] });
        const transaction = (await jar.parse(begun.setCookie.split(";")[0]!)) as Record<string, string>;
        const forged = await jar.serialize({ ...transaction, nonce: "another-nonce" });
        await expect(
          completeLogin(world.env, new Request(callback, { headers: { cookie: forged.split(";")[0]! } })),
        ).rejects.toBeInstanceOf(LoginFailed);
      });

      it("does not accept the same code twice", async () => {
        const { request, callback, begun } = await loginAs(verifiedMember!.username);
        await completeLogin(world.env, request);
        await expect(
          completeLogin(world.env, new Request(callback, { headers: { cookie: begun.setCookie.split(";")[0]! } })),
        ).rejects.toBeInstanceOf(LoginFailed);
      });
    });
  },
  async (handle: DatabaseHandle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: DEMO_SECRETS.PII_HMAC_KEY, today: TODAY });
  },
);
