import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { it } from "vitest";
import { breakGlassRefund } from "~/money/refunds.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { adapterOf, orderForProvider, type PaymentOrder } from "~/payments/orders/order.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { TEST_DATABASES } from "../tests/support/databases";
import { followBack, payerAtLinePay, startPaymentWorld, unpaidBills } from "../tests/support/payments";
import { measure, type Measured } from "./measure";

/**
 * A refund's round trip once it is released: the release under the order's
 * lock with the stale-amount check, LINE Pay's refund call to the sandbox,
 * and the completion (the refund, the order's refunded amount and state, the
 * bill reopened, the agency's notice, the audit entries), five at a time.
 * The baseline, in the same run, is the provider's refund call alone through
 * the same adapter: the ratio is what the portal's bookkeeping costs on top.
 * Figures go to bench/results/refunds-<database>.json.
 */
const COUNT = Number(process.env.BENCH_REFUND_COUNT ?? 80);
const CONCURRENCY = 5;

for (const kind of TEST_DATABASES)
  it(`refund round trip on ${kind.name}`, async () => {
    const created = await kind.create();
    const db = created.handle.db;
    await seedDemoDataIfEmpty(db, { piiHmacKey: "bench-pii-key-bench-pii-key-bench-pii", billsPerType: 300 });
    const world = await startPaymentWorld(db, { PROVIDER_TIMEOUT_MS: "10000" });
    world.ctx.logger.level = "warn";
    try {
      const bills = await unpaidBills(db, "traffic-fine", COUNT * 2);
      const paid: PaymentOrder[] = [];
      for (const bill of bills) {
        const order = await createPaymentOrder(world.ctx, { billIds: [bill.id], tool: "line_pay", idempotencyKey: randomUUID() });
        if (order.kind !== "created") throw new Error(`order not created: ${order.kind}`);
        const started = await startPayment(world.ctx, order.order);
        if (started.kind !== "redirect") throw new Error("LINE Pay should redirect");
        const after = await followBack(world, await payerAtLinePay(started.url, "approve"));
        if (after?.state !== "paid") throw new Error("payment not completed");
        paid.push(after);
      }
      const [direct, portal] = [paid.slice(0, COUNT), paid.slice(COUNT)];
      const providerOnly = await measure(COUNT, CONCURRENCY, async (i) => {
        const order = direct[i]!;
        const answer = await adapterOf(world.ctx, order).refund(await orderForProvider(db, order), order.totalAmount);
        if (!answer.ok) throw new Error("the sandbox refused a refund");
      });
      const roundTrip = await measure(COUNT, CONCURRENCY, async (i) => {
        const order = portal[i]!;
        const result = await breakGlassRefund(world.ctx, {
          orderReference: order.reference,
          refundableAsSeen: order.totalAmount,
          operator: "bench",
          systemUser: "bench",
          reasonText: "benchmark",
        });
        if (result.kind !== "refunded") throw new Error(`refund not completed: ${JSON.stringify(result)}`);
      });
      const ratio = (m: Measured) => Math.round((m.perSecond / providerOnly.perSecond) * 1000) / 1000;
      const result = {
        database: kind.name,
        providerCallOnly: providerOnly,
        refundRoundTrip: { ...roundTrip, vsProviderCall: ratio(roundTrip) },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/refunds-${kind.name}.json`), JSON.stringify(result, null, 2));
      console.log(
        `REFUNDBENCH ${kind.name}: provider call only ${providerOnly.perSecond}/s (p50 ${providerOnly.latencyMs.p50} ms, p99 ${providerOnly.latencyMs.p99} ms); ` +
          `refund round trip ${roundTrip.perSecond}/s (p50 ${roundTrip.latencyMs.p50} ms, p99 ${roundTrip.latencyMs.p99} ms) ×${ratio(roundTrip)}`,
      );
    } finally {
      await world.close();
      await created.dispose();
    }
  }, 600_000);
