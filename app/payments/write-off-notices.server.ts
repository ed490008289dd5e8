import { eq, inArray, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { webhookBackoffSeconds } from "~/domain/payment-order";
import { claimIds, schema, type Database } from "~/server/db.server";
import { DEMO_WEBHOOK_KEY_MASTER, deriveDemoSecret, type Env } from "~/server/env.server";
import { signWebhook } from "~/server/signatures.server";

/**
 * Delivering write-off notices (銷帳通知) to agencies: rows of the outbox
 * written with the paid transition (and, reversing them, with the refunded one), sent as signed webhooks until an agency
 * answers 2xx, with back-off (1 min, 5 min, 1 h, then daily) and a log of
 * every attempt. At least once: agencies recognise repeats by `noticeId`.
 */

export interface AgencyWebhook {
  agency: string;
  url: string;
  secret: string;
}

/** The configured webhook of an agency; in demo mode every agency has one at the simulator. */
function agencyWebhookFinder(env: Pick<Env, "AGENCY_WEBHOOKS" | "DEMO_MODE" | "AGENCY_SIMULATOR_PORT">) {
  const configured = new Map(env.AGENCY_WEBHOOKS.map((hook) => [hook.agency, hook]));
  return (agency: string): AgencyWebhook | undefined =>
    configured.get(agency) ??
    (env.DEMO_MODE
      ? {
          agency,
          url: `http://127.0.0.1:${env.AGENCY_SIMULATOR_PORT}/agencies/${agency}/write-offs`,
          secret: demoWebhookSecret(agency),
        }
      : undefined);
}

export function demoWebhookSecret(agency: string): string {
  return deriveDemoSecret(DEMO_WEBHOOK_KEY_MASTER, agency);
}

export interface DeliveryContext {
  db: Database;
  env: Pick<Env, "AGENCY_WEBHOOKS" | "DEMO_MODE" | "AGENCY_SIMULATOR_PORT">;
  logger: Logger;
}

/** Sends the notices that are due. Safe on several instances at once (claimed with SKIP LOCKED). */
export async function deliverWriteOffNotices(
  ctx: DeliveryContext,
  now = new Date(),
  limit = 25,
): Promise<{ attempted: number; delivered: number }> {
  const lease = new Date(now.getTime() + 5 * 60_000);
  const ids = await claimIds(
    ctx.db,
    sql`
    update write_off_notices set next_attempt_at = ${lease.toISOString()}
    where id in (
      select id from write_off_notices notice
      where state = 'pending' and next_attempt_at <= ${now.toISOString()}
        -- A reversal waits for the paid notice it reverses: an agency never hears of a refund first.
        and (kind = 'bill.paid' or not exists (
          select 1 from write_off_notices paid
          where paid.order_id = notice.order_id and paid.bill_id = notice.bill_id
            and paid.kind = 'bill.paid' and paid.state = 'pending'))
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    returning id`,
  );
  const notices = ids.length > 0 ? await ctx.db.select().from(schema.writeOffNotices).where(inArray(schema.writeOffNotices.id, ids)) : [];
  const webhookFor = agencyWebhookFinder(ctx.env);
  let delivered = 0;

  for (const notice of notices) {
    const hook = webhookFor(notice.agencyCode);
    const body = JSON.stringify({ noticeId: notice.id, ...(notice.payload as object) });
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    if (!hook) {
      error = `no webhook configured for agency ${notice.agencyCode}`;
    } else {
      try {
        const response = await fetch(hook.url, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            "X-Portal-Notice-Id": notice.id,
            "X-Portal-Signature": signWebhook(hook.secret, body, Math.floor(now.getTime() / 1000)),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        statusCode = response.status;
        await response.body?.cancel();
        if (!response.ok) error = `HTTP ${response.status}`;
      } catch (failure) {
        error = (failure as Error).name === "TimeoutError" ? "no answer within 10 s" : String(failure);
      }
    }
    await ctx.db.insert(schema.webhookDeliveries).values({
      noticeId: notice.id,
      attemptedAt: now,
      url: hook?.url ?? "",
      statusCode,
      error,
      durationMs: Math.round(performance.now() - started),
    });
    if (error === null) {
      delivered += 1;
      await ctx.db
        .update(schema.writeOffNotices)
        .set({ state: "delivered", deliveredAt: now, attempts: notice.attempts + 1, lastError: null })
        .where(eq(schema.writeOffNotices.id, notice.id));
    } else {
      const attempts = notice.attempts + 1;
      await ctx.db
        .update(schema.writeOffNotices)
        .set({ attempts, lastError: error, nextAttemptAt: new Date(now.getTime() + webhookBackoffSeconds(attempts - 1) * 1000) })
        .where(eq(schema.writeOffNotices.id, notice.id));
      const log = attempts >= 4 ? ctx.logger.error.bind(ctx.logger) : ctx.logger.warn.bind(ctx.logger);
      log({ alert: attempts >= 4 ? "write_off_notice_undelivered" : undefined, notice: notice.id, agency: notice.agencyCode, attempts, error }, "write-off notice not delivered");
    }
  }
  return { attempted: ids.length, delivered };
}
