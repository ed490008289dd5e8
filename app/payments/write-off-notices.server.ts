import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { WEBHOOK_PROBE_SECONDS, webhookBackoffSeconds } from "~/domain/payment-order";
import { claimIds, schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { findReceiver, logDelivery, postToReceiver, type AgencyReceiver, type ReceiverAnswer } from "~/agencies/webhook-receivers.server";

/**
 * Delivering write-off notices (銷帳通知) to agencies: rows of the outbox
 * written with the paid transition (and, reversing them, with the refunded
 * one), sent as signed webhooks until an agency answers 2xx, with back-off
 * (webhookBackoffSeconds), a probe of a silent receiver every minute, and a
 * log of every attempt. At least once: agencies recognise repeats by `noticeId`.
 * A day's `statement.ready` notice (about no order or bill) goes the same way.
 * Where each agency's notices go, and the secrets that sign them, are kept in
 * the database and managed in the back office (app/agencies/).
 */

export interface DeliveryContext {
  db: Database;
  env: Pick<Env, "BINDING_ENCRYPTION_KEY">;
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
      if (await deliver(ctx, notice, await findReceiver(ctx.db, ctx.env, notice.agencyCode), now)) {
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

type Notice = typeof schema.writeOffNotices.$inferSelect;

/** The body an agency receives for a notice: the same bytes however often it is sent. */
const noticeBody = (notice: Notice) => JSON.stringify({ noticeId: notice.id, ...(notice.payload as object) });

/** Sends a notice to the agency's receiver, or says why it cannot go (none, or switched off in the back office). */
async function sendNotice(receiver: AgencyReceiver | null, notice: Notice): Promise<ReceiverAnswer> {
  if (!receiver) return { statusCode: null, error: `no webhook receiver for agency ${notice.agencyCode}`, durationMs: 0 };
  if (!receiver.enabled) return { statusCode: null, error: `webhook receiver of agency ${notice.agencyCode} is disabled`, durationMs: 0 };
  return postToReceiver(receiver, noticeBody(notice), { "X-Portal-Notice-Id": notice.id });
}

/** One attempt, logged; true when the agency took it. */
async function deliver(ctx: DeliveryContext, notice: Notice, receiver: AgencyReceiver | null, now: Date): Promise<boolean> {
  const { error, ...answer } = await sendNotice(receiver, notice);
  await logDelivery(ctx.db, {
    agencyCode: notice.agencyCode,
    noticeId: notice.id,
    kind: "notice",
    requestedBy: null,
    url: receiver?.url ?? "",
    attemptedAt: now,
    error,
    ...answer,
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

/**
 * Sends one notice again now, at a staff member's request (the agency lost
 * it, or its receiver is back and nobody wants to wait for the back-off):
 * logged as a redelivery. A pending notice the agency takes this way is
 * delivered; a delivered one stays delivered whatever the answer.
 */
export async function redeliverNotice(
  ctx: DeliveryContext,
  request: { agencyCode: string; noticeId: string; requestedBy: string },
): Promise<{ ok: true; answer: ReceiverAnswer; delivered: boolean } | { ok: false; refusal: "not_found" }> {
  const [notice] = await ctx.db
    .select()
    .from(schema.writeOffNotices)
    .where(and(eq(schema.writeOffNotices.id, request.noticeId), eq(schema.writeOffNotices.agencyCode, request.agencyCode)));
  if (!notice) return { ok: false, refusal: "not_found" };
  const receiver = await findReceiver(ctx.db, ctx.env, notice.agencyCode);
  const now = new Date();
  const answer = await sendNotice(receiver, notice);
  await logDelivery(ctx.db, {
    agencyCode: notice.agencyCode,
    noticeId: notice.id,
    kind: "redelivery",
    requestedBy: request.requestedBy,
    url: receiver?.url ?? "",
    attemptedAt: now,
    ...answer,
  });
  let delivered = notice.state === "delivered";
  if (answer.error === null && !delivered) {
    const taken = await ctx.db
      .update(schema.writeOffNotices)
      .set({ state: "delivered", deliveredAt: now, attempts: notice.attempts + 1, lastError: null, leasedUntil: null })
      .where(and(eq(schema.writeOffNotices.id, notice.id), eq(schema.writeOffNotices.state, "pending")))
      .returning({ id: schema.writeOffNotices.id });
    delivered = taken.length > 0;
  }
  return { ok: true, answer, delivered };
}
