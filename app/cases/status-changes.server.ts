import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { nextStepAfterChange } from "~/domain/cases";
import { formatDateTime } from "~/domain/format";
import { schema, selectRows, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import { localized, type Locale } from "~/i18n";
import type { MailContent } from "~/mail/compose.server";
import type { MailChecks } from "~/mail/hooks.server";
import { queueEmail } from "~/mail/outbox.server";
import { EcounterUnavailable, fetchCaseChanges, type CaseChange } from "./ecounter.server";

/**
 * Status e-mails (申辦案件進度通知): the e-counter's feed of status changes,
 * read every CASE_CHANGES_POLL_SECONDS, each change mailed to the member
 * whose applicant digest it names, if they chose this kind of mail.
 *
 * Once per change across instances: a reader claims the feed for a lease
 * (its row in case_change_feeds), asks the e-counter outside any
 * transaction (an HTTP call with its own timeout must not hold a database
 * connection or lock), then queues the page's mails and moves the cursor in
 * one transaction, the move a compare-and-set on the cursor it read from. A
 * reader whose lease ran out while another moved the cursor loses the
 * compare-and-set and rolls back; the dedupe key of each mail (case number
 * and the change's cursor) makes a repeat harmless anyway.
 */

export interface StatusChangesContext {
  db: Database;
  env: Pick<Env, "ecounter" | "PUBLIC_URL" | "PII_HMAC_KEY">;
  logger: Logger;
}

export type StatusChangesRun =
  /** Nothing to read: no e-counter configured, or another instance holds the feed. */
  | { state: "not_configured" | "busy" }
  /** The first read: the feed is followed from now on, old changes are never mailed. */
  | { state: "started" }
  | { state: "read"; changes: number; queued: number }
  /** The e-counter did not answer: the cursor stays, the next run asks again. */
  | { state: "unavailable"; changes: number; queued: number };

const FEED = "ecounter";
/** Changes asked for at once, and pages read in one run (the rest wait for the next run). */
const PAGE_SIZE = 100;
const MAX_PAGES = 5;
/**
 * How long a claim keeps other readers off: longer than a run's pages at the
 * longest timeout the configuration allows (5 × 60 s). A claim that outlives
 * it only costs work: the compare-and-set keeps the mails single.
 */
const LEASE_MS = 10 * 60_000;

/** Claims the feed for this run; its cursor, or null when another reader holds it or it was never read. */
async function claimFeed(db: Database, now: Date): Promise<{ cursor: string } | null> {
  const [claimed] = await selectRows<{ cursor: string }>(
    db,
    sql`update case_change_feeds set read_at = ${now.toISOString()}
        where feed = ${FEED} and read_at <= ${new Date(now.getTime() - LEASE_MS).toISOString()}
        returning cursor`,
  );
  return claimed ?? null;
}

/**
 * Hands the feed back for the next run (here or on another instance): its
 * claim dated a lease earlier, so read_at + lease is when it was last read.
 * Only if this run's claim is still the one on record.
 */
async function releaseFeed(db: Database, claimedAt: Date): Promise<void> {
  await db
    .update(schema.caseChangeFeeds)
    .set({ readAt: new Date(claimedAt.getTime() - LEASE_MS) })
    .where(and(eq(schema.caseChangeFeeds.feed, FEED), eq(schema.caseChangeFeeds.readAt, claimedAt)));
}

interface Recipient {
  id: string;
  email: string;
  locale: Locale;
}

/** The member each digest names (the one who logged in last, should a person have two accounts), with an address. */
async function recipientsOf(db: Database, digests: readonly string[]): Promise<Map<string, Recipient>> {
  if (digests.length === 0) return new Map();
  const rows = await db
    .select({
      id: schema.members.id,
      email: schema.members.email,
      locale: schema.members.locale,
      digest: schema.members.caseApplicantDigest,
    })
    .from(schema.members)
    .where(and(inArray(schema.members.caseApplicantDigest, [...new Set(digests)]), isNotNull(schema.members.email)))
    .orderBy(sql`${schema.members.lastLoginAt} desc nulls last`);
  const found = new Map<string, Recipient>();
  for (const row of rows) {
    if (row.digest && row.email && !found.has(row.digest)) found.set(row.digest, { id: row.id, email: row.email, locale: row.locale });
  }
  return found;
}

/** The mail of one change: the service, the new status, when, what to do next; no name, no national ID, no note. */
async function statusMail(change: CaseChange, locale: Locale): Promise<MailContent> {
  const t = await getFixedT(locale);
  const service = localized({ nameZh: change.service.nameZh, nameEn: change.service.nameEn }, locale);
  const status = t(`cases.status.${change.status}`);
  const at = formatDateTime(change.at, locale);
  const words = { service, status, caseNumber: change.caseNumber, at };
  return {
    subject: t("mail.caseStatus.subject", words),
    heading: t("mail.caseStatus.heading", words),
    paragraphs: [t("mail.caseStatus.text", words), t(`mail.caseStatus.next.${nextStepAfterChange(change.status)}`)],
    details: [
      [t("mail.caseStatus.caseNumber"), change.caseNumber],
      [t("mail.caseStatus.service"), service],
      [t("mail.caseStatus.status"), status],
      [t("mail.caseStatus.at"), at],
    ],
    action: { label: t("mail.caseStatus.action"), path: "/account/applications" },
  };
}

/**
 * One page read: its mails queued and the cursor moved from `after` to
 * `cursor`, in one transaction; false (nothing queued) when another reader
 * moved the cursor first.
 */
async function recordPage(
  ctx: StatusChangesContext,
  page: { after: string; cursor: string; changes: CaseChange[] },
  now: Date,
): Promise<{ moved: boolean; queued: number }> {
  const recipients = await recipientsOf(
    ctx.db,
    page.changes.map((change) => change.applicant),
  );
  const mails = await Promise.all(
    page.changes.flatMap((change) => {
      const member = recipients.get(change.applicant);
      return member ? [statusMail(change, member.locale).then((content) => ({ change, member, content }))] : [];
    }),
  );
  return ctx.db.transaction(async (tx) => {
    // First, so a concurrent reader waits on the row and then finds the cursor moved.
    const moved = await tx
      .update(schema.caseChangeFeeds)
      .set({ cursor: page.cursor })
      .where(and(eq(schema.caseChangeFeeds.feed, FEED), eq(schema.caseChangeFeeds.cursor, page.after)))
      .returning({ feed: schema.caseChangeFeeds.feed });
    if (moved.length === 0) return { moved: false, queued: 0 };
    let queued = 0;
    for (const { change, member, content } of mails) {
      const outcome = await queueEmail(
        tx,
        ctx.env,
        {
          kind: "case_status",
          dedupeKey: `case_status:${change.caseNumber}:${change.cursor}`,
          to: member.email,
          locale: member.locale,
          content,
          about: { memberId: member.id },
        },
        now,
      );
      if (outcome === "queued") queued += 1;
    }
    return { moved: true, queued };
  });
}

/** The job step: reads the feed from where the portal left it, up to MAX_PAGES pages, and queues the mails. */
export async function readCaseChanges(ctx: StatusChangesContext, now = new Date()): Promise<StatusChangesRun> {
  const config = ctx.env.ecounter;
  if (!config) return { state: "not_configured" };
  const claimed = await claimFeed(ctx.db, now);
  if (!claimed) {
    const [known] = await ctx.db
      .select({ feed: schema.caseChangeFeeds.feed })
      .from(schema.caseChangeFeeds)
      .where(eq(schema.caseChangeFeeds.feed, FEED));
    if (known) return { state: "busy" };
    return startFeed(ctx, now);
  }

  let after = claimed.cursor;
  let changes = 0;
  let queued = 0;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await fetchCaseChanges(config, after, PAGE_SIZE);
      if (answer.rejected > 0) ctx.logger.warn({ rejected: answer.rejected }, "e-counter: status changes outside the agreement ignored");
      if (answer.cursor === after) break;
      const recorded = await recordPage(ctx, { after, cursor: answer.cursor, changes: answer.changes }, now);
      if (!recorded.moved) {
        ctx.logger.info("e-counter status changes: another instance read them first");
        return { state: "busy" };
      }
      changes += answer.changes.length;
      queued += recorded.queued;
      after = answer.cursor;
      if (answer.changes.length + answer.rejected < PAGE_SIZE) break;
    }
  } catch (error) {
    if (!(error instanceof EcounterUnavailable)) throw error;
    ctx.logger.warn({ reason: error.reason, changes, queued }, "e-counter unavailable: status changes read again next time");
    return { state: "unavailable", changes, queued };
  } finally {
    await releaseFeed(ctx.db, now);
  }
  if (changes > 0) ctx.logger.info({ changes, queued }, "e-counter status changes read");
  return { state: "read", changes, queued };
}

/** The first read: the cursor of now, so residents are told of changes from here on only. */
async function startFeed(ctx: StatusChangesContext, now: Date): Promise<StatusChangesRun> {
  try {
    const { cursor } = await fetchCaseChanges(ctx.env.ecounter!, null);
    // Two instances starting at once: the first row stays, the other's cursor is dropped.
    await ctx.db
      .insert(schema.caseChangeFeeds)
      .values({ feed: FEED, cursor, readAt: new Date(now.getTime() - LEASE_MS) })
      .onConflictDoNothing({ target: schema.caseChangeFeeds.feed });
    ctx.logger.info("e-counter status changes: followed from now on");
    return { state: "started" };
  } catch (error) {
    if (!(error instanceof EcounterUnavailable)) throw error;
    ctx.logger.warn({ reason: error.reason }, "e-counter unavailable: status changes not followed yet");
    return { state: "unavailable", changes: 0, queued: 0 };
  }
}

/**
 * Just before a status mail goes: the member still has the address it was
 * queued for (the mail job itself checks the kinds they chose and opt-outs).
 * A status the case has left since is still news: the next mail follows it.
 */
export const caseStatusChecks: MailChecks = {
  async case_status(db, mail) {
    if (!mail.memberId) return { send: false, reason: "no member" };
    const [member] = await db.select({ email: schema.members.email }).from(schema.members).where(eq(schema.members.id, mail.memberId));
    return member?.email === mail.toAddress ? { send: true } : { send: false, reason: "member's address changed" };
  },
};
