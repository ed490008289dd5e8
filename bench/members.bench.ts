import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { it } from "vitest";
import { fetchSourceBills } from "~/bills/sources.server";
import { addBinding } from "~/members/bindings.server";
import { memberPendingBills } from "~/members/pending-bills.server";
import { upsertMember, type Member } from "~/members/sessions.server";
import { generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { TEST_DATABASES } from "../tests/support/databases";
import { startMemberWorld } from "../tests/support/members";
import { measure } from "./measure";

/**
 * The members' dashboard with six bindings over three sources (two plates,
 * two water accounts, two electricity accounts), each source answering in
 * 200 ms. Its server time is compared with one source's latency, measured in
 * the same run: asked in parallel, the dashboard should cost about one
 * source, not three.
 */
const SOURCE_LATENCY_MS = 200;
const ROUNDS = Number(process.env.BENCH_MEMBER_ROUNDS ?? 20);

for (const kind of TEST_DATABASES)
  it(`members' dashboard on ${kind.name}`, async () => {
    const created = await kind.create();
    const handle = created.handle;
    const world = await startMemberWorld(handle.db, { MEMBER_BILLS_CACHE_SECONDS: "0", BILL_SOURCE_TIMEOUT_MS: "5000" }, SOURCE_LATENCY_MS);
    world.ctx.logger.level = "warn";
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: world.env.PII_HMAC_KEY });
    try {
      const residents = generateDemoData({ today: "2026-11-21", billsPerType: 1, residents: 60 }).residents.filter(
        (r) => r.plates.length > 0,
      );
      // Ten members, each with two plates, two water and two electricity accounts (their own and a neighbour's).
      const members: Member[] = [];
      for (let m = 0; m < 10; m++) {
        const [own, neighbour] = [residents[2 * m]!, residents[2 * m + 1]!];
        const member = await upsertMember(handle.db, world.env, {
          issuer: "bench",
          subject: `m${m}`,
          name: own.name,
          nationalId: own.nationalId,
          verified: true,
          idToken: null,
          returnTo: "/account",
        });
        const audit = { memberId: member.id, requestId: null };
        for (const [kind, value] of [
          ["vehicle_plate", own.plates[0]!],
          ["vehicle_plate", neighbour.plates[0]!],
          ["water_account", own.waterAccount],
          ["water_account", neighbour.waterAccount],
          ["electricity_account", own.electricityAccount],
          ["electricity_account", neighbour.electricityAccount],
        ] as const) {
          const added = await addBinding(handle.db, world.env, audit, { kind, value, label: "" });
          if (!added.ok) throw new Error(`binding ${kind} ${value}: ${added.problems.join()}`);
        }
        members.push(member);
      }

      const water = world.env.billSources.find((source) => source.source === "water")!;
      // Reference: one source, one request.
      const oneSource = await measure(ROUNDS, 1, async () => {
        await fetchSourceBills(water, [residents[0]!.waterAccount], 5000);
      });
      // What asking the three sources one after another would cost.
      const threeInSeries = await measure(ROUNDS, 1, async () => {
        for (const source of world.env.billSources) await fetchSourceBills(source, [residents[0]!.waterAccount], 5000);
      });
      const dashboard = await measure(ROUNDS, 1, async (i) => {
        const pending = await memberPendingBills(world.ctx, members[i % members.length]!);
        if (pending.unavailable.length > 0 || pending.groups.length !== 7) throw new Error("incomplete dashboard");
      });
      const concurrent = await measure(ROUNDS * 5, 10, async (i) => {
        await memberPendingBills(world.ctx, members[i % members.length]!);
      });
      const cached = await (async () => {
        const ctx = { ...world.ctx, env: { ...world.env, MEMBER_BILLS_CACHE_SECONDS: 60 } };
        for (const member of members) await memberPendingBills(ctx, member);
        return measure(ROUNDS * 5, 1, async (i) => {
          await memberPendingBills(ctx, members[i % members.length]!);
        });
      })();

      const vsOne = (m: { latencyMs: { p50: number } }) => Math.round((m.latencyMs.p50 / oneSource.latencyMs.p50) * 100) / 100;
      const result = {
        date: new Date().toISOString(),
        database: handle.kind,
        sourceLatencyMs: SOURCE_LATENCY_MS,
        bindingsPerMember: 6,
        oneSource,
        threeSourcesInSeries: { ...threeInSeries, p50VsOneSource: vsOne(threeInSeries) },
        dashboard: { ...dashboard, p50VsOneSource: vsOne(dashboard) },
        dashboardTenAtATime: { ...concurrent, p50VsOneSource: vsOne(concurrent) },
        dashboardCachedSources: { ...cached, p50VsOneSource: vsOne(cached) },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/members-${handle.kind}.json`), JSON.stringify(result, null, 2));
      for (const [name, m] of [
        ["one source (reference)", oneSource],
        ["three sources in series", threeInSeries],
        ["dashboard, 6 bindings, 3 sources", dashboard],
        ["dashboard, 10 at a time", concurrent],
        ["dashboard, sources cached", cached],
      ] as const) {
        console.log(
          `MEMBERBENCH ${handle.kind} ${name}: p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms, ${m.perSecond}/s, p50 ×${vsOne(m)} of one source`,
        );
      }
    } finally {
      await world.close();
      await created.dispose();
    }
  });
