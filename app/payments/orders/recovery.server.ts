import { eq, inArray, sql } from "drizzle-orm";
import { EXPIRY_GRACE_SECONDS, isSettled, recoveryBackoffMinutes } from "~/domain/payment-order";
import { claimIds, schema } from "~/base/db.server";
import { ProviderUnreachable } from "../providers/adapter.server";
import { applyProviderAnswer, finalCheck } from "./answers.server";
import { adapterOf, orderForProvider, recordOrderEvent, type PaymentContext } from "./order.server";
import { applyTransition } from "./transitions.server";

/**
 * The recovery job: asks providers about orders still created, pending or
 * unknown some minutes after they began, with back-off, and moves them only on
 * a definite answer; orders awaiting payment at an ATM or store, just after
 * their instructions expire. Expiry asks the provider first (an expired code
 * sends no notice). Orders the portal ended
 * itself at a provider that charges by itself get one final question after
 * their window. Several instances may run it at once: orders are claimed
 * with FOR UPDATE SKIP LOCKED and leased.
 */
export async function recoverPayments(ctx: PaymentContext, now = new Date(), limit = 25): Promise<{ checked: number; settled: number }> {
  const lease = new Date(now.getTime() + 2 * 60_000);
  const ids = await claimIds(
    ctx.db,
    sql`
    update payment_orders set next_check_at = ${lease.toISOString()}, check_attempts = check_attempts + 1
    where id in (
      select id from payment_orders
      where state in ('created', 'pending', 'unknown', 'awaiting_payment', 'failed', 'cancelled', 'expired')
        and next_check_at <= ${now.toISOString()}
      order by next_check_at
      limit ${limit}
      for update skip locked
    )
    returning id`,
  );
  const orders = ids.length > 0 ? await ctx.db.select().from(schema.paymentOrders).where(inArray(schema.paymentOrders.id, ids)) : [];
  let settled = 0;
  for (const order of orders) {
    const ended = isSettled(order.state);
    let after = order;
    try {
      const adapter = adapterOf(ctx, order);
      const answer = await adapter.query(await orderForProvider(ctx.db, order));
      if (ended && answer.outcome !== "paid") {
        await recordOrderEvent(
          ctx,
          order,
          { kind: "provider_answer", source: "recovery_job", payload: { finalCheck: answer.outcome, answer: answer.payload } },
          now,
        );
      } else if (answer.outcome === "waiting" && now.getTime() > order.expiresAt.getTime() + EXPIRY_GRACE_SECONDS * 1000) {
        after = (
          await applyTransition(
            ctx,
            order.id,
            "expired",
            {
              source: "recovery_job",
              payload: { status: "waiting past expiry", answer: answer.payload },
              ...finalCheck(adapter, order, now),
            },
            now,
          )
        ).order;
      } else {
        after = (await applyProviderAnswer(ctx, order, answer, "recovery_job", now)).order;
      }
    } catch (error) {
      if (!(error instanceof ProviderUnreachable)) throw error;
      ctx.logger.warn({ order: order.reference, error: error.message }, "recovery: provider unreachable");
      if (ended) {
        // The final question is asked again later.
        await ctx.db
          .update(schema.paymentOrders)
          .set({ nextCheckAt: new Date(now.getTime() + 3600_000) })
          .where(eq(schema.paymentOrders.id, order.id));
        continue;
      }
    }
    if (ended) {
      if (after.state === order.state)
        await ctx.db.update(schema.paymentOrders).set({ nextCheckAt: null }).where(eq(schema.paymentOrders.id, order.id));
    } else if (isSettled(after.state)) {
      settled += 1;
    } else if (after.state === "awaiting_payment" && now.getTime() <= after.expiresAt.getTime() + EXPIRY_GRACE_SECONDS * 1000) {
      // Instructions still good: the paid notice will come; asked again just after they expire.
      const next = new Date(after.expiresAt.getTime() + (EXPIRY_GRACE_SECONDS + 60) * 1000);
      await ctx.db.update(schema.paymentOrders).set({ nextCheckAt: next }).where(eq(schema.paymentOrders.id, order.id));
    } else {
      const next = new Date(now.getTime() + recoveryBackoffMinutes(order.checkAttempts) * 60_000);
      await ctx.db.update(schema.paymentOrders).set({ nextCheckAt: next }).where(eq(schema.paymentOrders.id, order.id));
    }
  }
  return { checked: ids.length, settled };
}
