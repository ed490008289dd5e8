import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { collectOnScrape, JobRuns, metricsRegistry } from "~/base/metrics.server";
import { selectRows, type DatabaseHandle } from "~/base/db.server";
import { checkReadiness } from "~/composition/readiness.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { billFindingLimits } from "~/lookup/lookup.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { applyTransition } from "~/payments/orders/transitions.server";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";
import { newKey, startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/** A clock the test moves by hand. */
function manualClock(start = new Date("2026-12-02T08:00:00Z")) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

describeEachDatabase(
  "readiness and metrics",
  (database) => {
    let world: PaymentWorld;
    beforeAll(async () => {
      world = await startPaymentWorld(database().db);
      collectOnScrape(() => database().db, new JobRuns());
    });
    afterAll(async () => {
      await world.close();
    });
    beforeEach(() => {
      metricsRegistry.resetMetrics();
    });

    it("is ready on a migrated database whose jobs end their runs", async () => {
      const clock = manualClock();
      const jobs = new JobRuns(clock.now);
      jobs.started("payments", 15_000);
      clock.advance(100);
      jobs.ended("payments", "failed");
      clock.advance(100);
      const answer = await checkReadiness({ database: database(), jobs });
      expect(answer).toEqual({
        status: 200,
        body: { status: "ready", notReady: [], database: "ok", migrations: "applied", stalledJobs: [] },
      });
    });

    it("is not ready, and says which job, once a job has not ended a run for five intervals and the margin; ready again when it does", async () => {
      const clock = manualClock();
      const jobs = new JobRuns(clock.now);
      jobs.started("payments", 15_000);
      jobs.started("case-changes", 60_000);
      clock.advance(136);
      const stalled = await checkReadiness({ database: database(), jobs });
      expect(stalled.status).toBe(503);
      expect(stalled.body).toMatchObject({ status: "not_ready", notReady: ["jobs"], database: "ok", stalledJobs: ["payments"] });

      jobs.ended("payments");
      expect((await checkReadiness({ database: database(), jobs })).status).toBe(200);
    });

    it("is not ready when the latest migration is not recorded as applied, or the database does not answer", async () => {
      const jobs = new JobRuns();
      const [latest] = await selectRows<{ id: number; hash: string; created_at: string }>(
        database().db,
        sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations) returning id, hash, created_at`,
      );
      try {
        const pending = await checkReadiness({ database: database(), jobs });
        expect(pending.status).toBe(503);
        expect(pending.body).toMatchObject({ notReady: ["migrations"], migrations: "pending" });
      } finally {
        await database().db.execute(
          sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${latest!.id}, ${latest!.hash}, ${latest!.created_at})`,
        );
      }
      const unreachable = await checkReadiness({
        database: { db: database().db, ping: () => Promise.reject(new Error("connection refused")) },
        jobs,
      });
      expect(unreachable.status).toBe(503);
      expect(unreachable.body).toMatchObject({ notReady: ["database"], database: "unreachable", migrations: "unknown" });
      expect((await checkReadiness({ database: database(), jobs, shuttingDown: true })).body.notReady).toEqual(["shutting_down"]);
    });

    it("counts a payment transition by provider and a refused look-up by its rule, and reads orders by state and the outboxes on scrape", async () => {
      const [bill] = await unpaidBills(database().db, "building-permit-fee", 1);
      const created = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool: "line_pay", idempotencyKey: newKey() });
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      expect((await applyTransition(world.ctx, created.order.id, "cancelled", { source: "payer" })).changed).toBe(true);
      // The same answer again changes nothing and is not counted twice.
      expect((await applyTransition(world.ctx, created.order.id, "cancelled", { source: "payer" })).changed).toBe(false);

      const limits = billFindingLimits(database().db, demoEnv({ RATE_LIMIT_LOOKUPS_PER_ADDRESS: "2/600" }), "203.0.113.77");
      const now = new Date();
      const answers = [];
      for (let attempt = 0; attempt < 3; attempt++) answers.push(await limits.admit("building-permit-fee", "X1", now));
      expect(answers.map((answer) => answer === null)).toEqual([true, true, false]);

      const [orders] = await selectRows<{ cancelled: string | number }>(
        database().db,
        sql`select count(*) as cancelled from payment_orders where state = 'cancelled'`,
      );
      const text = await metricsRegistry.metrics();
      expect(text).toContain('bill_portal_payment_transitions_total{provider="line_pay",from="created",to="cancelled"} 1\n');
      expect(text).toContain('bill_portal_rate_limit_refusals_total{rule="lookup:address"} 1\n');
      expect(text).not.toContain('rule="lookup-failure');
      expect(text).toContain(`bill_portal_payment_orders{state="cancelled"} ${Number(orders!.cancelled)}\n`);
      expect(text).toMatch(/bill_portal_outbox_depth\{outbox="write_off_notices"\} \d+\n/);
      expect(text).toMatch(/bill_portal_outbox_depth\{outbox="emails"\} \d+\n/);
      // Node's own, under the portal's prefix.
      expect(text).toContain("bill_portal_process_resident_memory_bytes");
    });
  },
  async (handle: DatabaseHandle) => {
    await seedDemoDataIfEmpty(handle.db, {
      piiHmacKey: "operations-test-pii-key-operations",
      today: new Date().toISOString().slice(0, 10),
    });
  },
);
