import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { WEBHOOK_PROBE_SECONDS, webhookBackoffSeconds } from "~/domain/payment-order";
import { claimIds, schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { signWebhook } from "~/base/signatures.server";

/**
 * Delivering write-off notices (銷帳通知) to agencies: rows of the outbox
 * written with the paid transition (and, reversing them, with the refunded
 * one), sent as signed webhooks until an agency answers 2xx, with back-off
 * (webhookBackoffSeconds), a probe of a silent receiver every minute, and a
 * log of every attempt. At least once: agencies recognise repeats by `noticeId`.
 * A day's `statement.ready` notice (about no order or bill) goes the same way.
 */

interface AgencyWebhook {
  agency: string;
  url: string;
  secret: string;
}

/** The receiver configured for an agency (AGENCY_WEBHOOKS); without one, its notices wait, logged. */
function agencyWebhookFinder(env: Pick<Env, "AGENCY_WEBHOOKS">) {
  const configured = new Map(env.AGENCY_WEBHOOKS.map((hook) => [hook.agency, hook]));
  return (agency: string): AgencyWebhook | undefined => configured.get(agency);
}

export interface DeliveryContext {
  db: Database;
  env: Pick<Env, "AGENCY_WEBHOOKS">;
  logger: Logger;
}

/**
 * Claims what is due, and one probe per receiver that has notices waiting
 * but none due and has not been tried for a minute: a receiver back from an
 * outage is noticed within a minute, whatever the notices' back-off.
 */
function claimNotices(db: Database, now: Date, limit: number, agencies: readonly string[] | null) {
  const lease = new Date(now.getTime() + 5 * 60_000);
  const at = now.toISOString();
  const probeBefore = new Date(now.getTime() - WEBHOOK_PROBE_SECONDS * 1000).toISOString();
  const free = sql`(leased_until is null or leased_until <= ${at})`;
  return claimIds(
    db,
    sql`
    update write_off_notices set leased_until = ${lease.toISOString()}, last_attempt_at = ${at}
    where id in (
      select id from write_off_notices notice
      where state = 'pending' and ${free}
        ${
          agencies
            ? sql`and agency_code in (${sql.join(
                agencies.map((agency) => sql`${agency}`),
                sql`, `,
              )})`
            : sql``
        }
        -- A reversal waits for the paid notice it reverses: an agency never hears of a refund first.
        and (kind = 'bill.paid' or not exists (
          select 1 from write_off_notices paid
          where paid.order_id = notice.order_id and paid.bill_id = notice.bill_id
            and paid.kind = 'bill.paid' and paid.state = 'pending'))
        and (next_attempt_at <= ${at} or (
          notice.id = (
            select probe.id from write_off_notices probe
            where probe.agency_code = notice.agency_code and probe.state = 'pending'
            order by probe.kind <> 'bill.paid', probe.next_attempt_at, probe.id limit 1)
          and not exists (
            select 1 from write_off_notices other
            where other.agency_code = notice.agency_code and other.state = 'pending'
              and (other.next_attempt_at <= ${at} or other.last_attempt_at > ${probeBefore}))))
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    returning id`,
  );
}

/**
 * Sends the notices that are due. Safe on several instances at once (claimed
 * with SKIP LOCKED and leased). A success for a receiver sends its other
 * waiting notices at once, in the same run.
 */
export async function deliverWriteOffNotices(
  ctx: DeliveryContext,
  now = new Date(),
  limit = 25,
): Promise<{ attempted: number; delivered: number }> {
  const webhookFor = agencyWebhookFinder(ctx.env);
  let attempted = 0;
  let delivered = 0;
  let agencies: string[] | null = null;
  // One round for what is due, then rounds for the receivers that answered, as long as they keep answering.
  for (let round = 0; round < 20 && attempted < limit * 4; round++) {
    const ids = await claimNotices(ctx.db, now, limit, agencies);
    if (ids.length === 0) break;
    attempted += ids.length;
    const notices = await ctx.db.select().from(schema.writeOffNotices).where(inArray(schema.writeOffNotices.id, ids));
    const answered = new Set<string>();
    for (const notice of notices) {
      if (await deliver(ctx, notice, webhookFor(notice.agencyCode), now)) {
        delivered += 1;
        answered.add(notice.agencyCode);
      }
    }
    if (answered.size === 0) break;
    agencies = [...answered];
    // The receiver is back: whatever of its notices waits for a back-off goes now.
    await ctx.db
      .update(schema.writeOffNotices)
      .set({ nextAttemptAt: now })
      .where(
        and(
          inArray(schema.writeOffNotices.agencyCode, agencies),
          eq(schema.writeOffNotices.state, "pending"),
          gt(schema.writeOffNotices.nextAttemptAt, now),
        ),
      );
  }
  return { attempted, delivered };
}

/** One attempt, logged; true when the agency took it. */
async function deliver(
  ctx: DeliveryContext,
  notice: typeof schema.writeOffNotices.$inferSelect,
  hook: AgencyWebhook | undefined,
  now: Date,
): Promise<boolean> {
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
          // The real clock, not the run's: the receiver checks the signature's freshness against its own.
          "X-Portal-Signature": signWebhook(hook.secret, body, Math.floor(Date.now() / 1000)),
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
  const attempts = notice.attempts + 1;
  if (error === null) {
    await ctx.db
      .update(schema.writeOffNotices)
      .set({ state: "delivered", deliveredAt: now, attempts, lastError: null, leasedUntil: null })
      .where(eq(schema.writeOffNotices.id, notice.id));
    return true;
  }
  await ctx.db
    .update(schema.writeOffNotices)
    .set({
      attempts,
      lastError: error,
      leasedUntil: null,
      nextAttemptAt: new Date(now.getTime() + webhookBackoffSeconds(attempts - 1) * 1000),
    })
    .where(eq(schema.writeOffNotices.id, notice.id));
  const alert = attempts >= 6;
  (alert ? ctx.logger.error.bind(ctx.logger) : ctx.logger.warn.bind(ctx.logger))(
    {
      alert: alert ? "write_off_notice_undelivered" : undefined,
      notice: notice.id,
      kind: notice.kind,
      agency: notice.agencyCode,
      attempts,
      error,
    },
    "write-off notice not delivered",
  );
  return false;
}
