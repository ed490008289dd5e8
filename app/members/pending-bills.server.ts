import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { BillCategory } from "~/domain/catalogue";
import { BILL_SOURCES, type BillSourceId, type BindingKind } from "~/domain/member";
import { unpaidBillsFor, type BillView } from "~/bills/bills.server";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import {
  BillSourceUnavailable,
  fetchSourceBills,
  recordSourceBills,
  type BillSourceConfig,
  type SourceAnswer,
} from "~/bills/sources.server";
import { openRefundCasesForBillsPaidTwice } from "~/payments/refund-cases.server";
import { openBindings, type BindingView, type OpenedBinding } from "./bindings.server";
import type { Member } from "./sessions.server";

/**
 * A member's pending bills: those already in the portal for their bound
 * numbers, those the outside sources (water, power, parking) report for them,
 * and, for identity-verified members, fines and fees issued to their national
 * ID. Sources are asked in parallel, each with its own timeout; a slow or
 * failing source is named on the page and the others still show. Source
 * answers are cached briefly per member; the portal's own data is always
 * read fresh, so a bill paid a moment ago is gone at once. A bill a source
 * reports paid through another channel, or cancelled, stops being payable.
 */

type PendingEnv = Pick<
  Env,
  "billSources" | "BILL_SOURCE_TIMEOUT_MS" | "MEMBER_BILLS_CACHE_SECONDS" | "BINDING_ENCRYPTION_KEY" | "PII_HMAC_KEY"
>;

export interface PendingBillsContext {
  db: Database;
  env: PendingEnv;
  logger: Logger;
}

/** Categories a verified member sees by national ID: the city's fines and fees (not others' utilities). */
const IDENTITY_CATEGORIES: readonly BillCategory[] = ["fine", "government_fee"];

interface PendingBillsGroup {
  /** The binding the bills are for; null for bills issued to the member's national ID. */
  binding: BindingView | null;
  bills: BillView[];
  total: number;
}

export interface MemberPendingBills {
  groups: PendingBillsGroup[];
  total: number;
  count: number;
  overdueCount: number;
  /** Sources that did not answer in time or at all: their bills may be missing. */
  unavailable: BillSourceId[];
}

interface CacheContext {
  /** Asks the source and records what it said: once per answer, not on every cached load. */
  load: () => Promise<SourceAnswer>;
}

let answers: LRUCache<string, SourceAnswer, CacheContext> | undefined;
let answersTtl = -1;

function answerCache(seconds: number): LRUCache<string, SourceAnswer, CacheContext> | null {
  if (seconds === 0) return null;
  if (!answers || answersTtl !== seconds) {
    answersTtl = seconds;
    answers = new LRUCache<string, SourceAnswer, CacheContext>({
      max: 10_000,
      ttl: seconds * 1000,
      // Concurrent loads of one dashboard share one request to the source.
      fetchMethod: (_key, _stale, { context }) => context.load(),
    });
  }
  return answers;
}

async function askSource(ctx: PendingBillsContext, memberId: string, config: BillSourceConfig, subjects: string[]): Promise<SourceAnswer> {
  const load = async () => {
    const answer = await fetchSourceBills(config, subjects, ctx.env.BILL_SOURCE_TIMEOUT_MS);
    const recorded = await recordSourceBills(ctx, config.source, subjects, answer);
    await openRefundCasesForBillsPaidTwice(ctx.db, recorded.paidTwice);
    return answer;
  };
  const cache = answerCache(ctx.env.MEMBER_BILLS_CACHE_SECONDS);
  if (!cache) return load();
  // The numbers are part of the key (hashed: keys can end up in heap dumps).
  const key = `${memberId}|${config.source}|${createHash("sha256").update(subjects.join("\n")).digest("hex")}`;
  const answer = await cache.fetch(key, { context: { load } });
  if (!answer) throw new BillSourceUnavailable(config.source, "bad_answer", "no answer");
  return answer;
}

async function refreshFromSources(ctx: PendingBillsContext, memberId: string, bindings: OpenedBinding[]): Promise<BillSourceId[]> {
  const asks = ctx.env.billSources.flatMap((config) => {
    const kind: BindingKind = BILL_SOURCES[config.source].bindingKind;
    const subjects = bindings.filter((binding) => binding.kind === kind).map((binding) => binding.value);
    return subjects.length > 0 ? [{ config, subjects }] : [];
  });
  const results = await Promise.allSettled(
    asks.map(async ({ config, subjects }) => {
      const started = performance.now();
      const answer = await askSource(ctx, memberId, config, subjects);
      ctx.logger.debug(
        { source: config.source, ms: Math.round(performance.now() - started), bills: answer.bills.length },
        "bill source answered",
      );
    }),
  );
  const unavailable: BillSourceId[] = [];
  results.forEach((result, i) => {
    if (result.status === "fulfilled") return;
    const source = asks[i]!.config.source;
    unavailable.push(source);
    const reason = result.reason instanceof BillSourceUnavailable ? result.reason.reason : "error";
    ctx.logger.warn(
      { source, reason, err: result.reason instanceof BillSourceUnavailable ? undefined : result.reason },
      "bill source unavailable",
    );
  });
  return unavailable;
}

/** The portal's bills a member may see: for their bound numbers, and issued to them when verified. */
function memberBillQuery(member: Member, bindings: OpenedBinding[]): Parameters<typeof unpaidBillsFor>[1] {
  const kinds = [...new Set(bindings.map((binding) => binding.kind))];
  return {
    subjects: kinds.map((kind) => ({ kind, values: bindings.filter((b) => b.kind === kind).map((b) => b.value) })),
    payer:
      member.identityVerified && member.nationalIdHash
        ? { nationalIdHash: member.nationalIdHash, categories: IDENTITY_CATEGORIES }
        : undefined,
  };
}

export async function memberPendingBills(ctx: PendingBillsContext, member: Member, now = new Date()): Promise<MemberPendingBills> {
  const bindings = await openBindings(ctx.db, ctx.env, member.id);
  const unavailable = await refreshFromSources(ctx, member.id, bindings);
  const bills = await unpaidBillsFor(ctx.db, memberBillQuery(member, bindings), now);

  const shown = new Set<string>();
  const strip = ({ subject: _subject, category: _category, ...view }: (typeof bills)[number]): BillView => view;
  const groups: PendingBillsGroup[] = bindings.map(({ value, ...binding }) => {
    const mine = bills.filter((bill) => bill.subjectKind === binding.kind && bill.subject === value && !shown.has(bill.id));
    for (const bill of mine) shown.add(bill.id);
    return { binding, bills: mine.map(strip), total: mine.reduce((sum, bill) => sum + bill.amount, 0) };
  });
  if (member.identityVerified) {
    // What no binding claimed matched the national ID (the query allows nothing else).
    const byId = bills.filter((bill) => !shown.has(bill.id) && IDENTITY_CATEGORIES.includes(bill.category));
    groups.push({ binding: null, bills: byId.map(strip), total: byId.reduce((sum, bill) => sum + bill.amount, 0) });
  }
  const all = groups.flatMap((group) => group.bills);
  return {
    groups,
    total: all.reduce((sum, bill) => sum + bill.amount, 0),
    count: all.length,
    overdueCount: all.filter((bill) => bill.status === "overdue").length,
    unavailable,
  };
}

/**
 * Whether these bills are among the member's pending bills (for paying them
 * from the dashboard): each bill's subject is one of the member's bindings of
 * its kind, or, for a verified member, it was issued to them.
 */
export async function billsVisibleToMember(
  ctx: Pick<PendingBillsContext, "db" | "env">,
  member: Member,
  billIds: readonly string[],
  now = new Date(),
): Promise<Set<string>> {
  if (billIds.length === 0) return new Set();
  const bindings = await openBindings(ctx.db, ctx.env, member.id);
  const bills = await unpaidBillsFor(ctx.db, memberBillQuery(member, bindings), now);
  const wanted = new Set(billIds);
  return new Set(bills.filter((bill) => wanted.has(bill.id)).map((bill) => bill.id));
}
