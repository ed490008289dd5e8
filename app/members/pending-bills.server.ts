import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { BillCategory } from "~/domain/catalogue";
import { BILL_SOURCES, type BindingSourceId, type BindingKind } from "~/domain/member";
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
 * A member's pending bills: those the portal holds itself for their bound
 * numbers (and, for identity-verified members, fines and fees issued to their
 * national ID), at once; and those the outside sources (water, power,
 * parking) report, each source's part as it answers, so the dashboard can
 * stream them in. Sources are asked in parallel, each with its own timeout; a
 * slow or failing source is named and the others still show. A source's
 * answer is cached briefly per member and says when it was given; asking
 * afresh (a refresh) bypasses the cache, and a fresh question that fails
 * drops the cached answer, so the source is named unavailable at once. The
 * portal's own records are always read fresh, so a bill paid a moment ago is
 * gone at once. A bill a source reports paid through another channel, or
 * cancelled, stops being payable.
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

/** What became of the question to one source. */
interface SourceStatus {
  source: BindingSourceId;
  /** "answered": asked now; "cached": an earlier answer, from `answeredAt`; "unavailable": no answer now. */
  state: "answered" | "cached" | "unavailable";
  /** When the answer shown was given (for "unavailable", the last one this portal had, if any). ISO 8601. */
  answeredAt: string | null;
}

/** One source's part of the dashboard: its bills per binding of its kind. */
export interface SourcePart extends SourceStatus {
  groups: Array<{ bindingId: string; bills: BillView[] }>;
}

export interface MemberDashboard {
  /** The bindings and the identity group, with the portal's own bills. */
  groups: PendingBillsGroup[];
  /** Each source asked, with its part when it has answered (or failed); never rejects. */
  sources: Partial<Record<BindingSourceId, Promise<SourcePart>>>;
}

export interface MemberPendingBills {
  groups: PendingBillsGroup[];
  total: number;
  count: number;
  overdueCount: number;
  /** Sources that did not answer in time or at all: their bills may be missing. */
  unavailable: BindingSourceId[];
  sources: SourceStatus[];
}

interface DatedAnswer {
  answer: SourceAnswer;
  answeredAt: Date;
}

interface CacheContext {
  /** Asks the source and records what it said: once per answer, not on every cached load. */
  load: () => Promise<DatedAnswer>;
}

let answers: LRUCache<string, DatedAnswer, CacheContext> | undefined;
let answersTtl = -1;
/** When each member's source last answered, kept past the cache: an unavailable source's bills say how old they are. */
const lastAnswers = new LRUCache<string, Date>({ max: 10_000, ttl: 24 * 3600_000 });

function answerCache(seconds: number): LRUCache<string, DatedAnswer, CacheContext> | null {
  if (seconds === 0) return null;
  if (!answers || answersTtl !== seconds) {
    answersTtl = seconds;
    answers = new LRUCache<string, DatedAnswer, CacheContext>({
      max: 10_000,
      ttl: seconds * 1000,
      // Concurrent loads of one dashboard share one request to the source.
      fetchMethod: (_key, _stale, { context }) => context.load(),
    });
  }
  return answers;
}

/** The numbers are part of the key (hashed: keys can end up in heap dumps). */
const answerKey = (memberId: string, config: BillSourceConfig, subjects: readonly string[]) =>
  `${memberId}|${config.source}|${createHash("sha256").update(subjects.join("\n")).digest("hex")}`;

async function askSource(
  ctx: PendingBillsContext,
  memberId: string,
  config: BillSourceConfig,
  subjects: string[],
  fresh: boolean,
): Promise<{ answeredAt: Date; cached: boolean }> {
  const key = answerKey(memberId, config, subjects);
  const startedAt = Date.now();
  let asked = false;
  const load = async (): Promise<DatedAnswer> => {
    asked = true;
    const answer = await fetchSourceBills(config, subjects, ctx.env.BILL_SOURCE_TIMEOUT_MS);
    const answeredAt = new Date();
    const recorded = await recordSourceBills(ctx, config.source, subjects, answer);
    await openRefundCasesForBillsPaidTwice(ctx.db, recorded.paidTwice);
    lastAnswers.set(key, answeredAt);
    return { answer, answeredAt };
  };
  const cache = answerCache(ctx.env.MEMBER_BILLS_CACHE_SECONDS);
  const dated = cache ? await cache.fetch(key, { context: { load }, forceRefresh: fresh }) : await load();
  if (!dated) throw new BillSourceUnavailable(config.source, "bad_answer", "no answer");
  // An answer shared with a concurrent load that was given after this one began is as fresh as its own.
  return { answeredAt: dated.answeredAt, cached: !asked && dated.answeredAt.getTime() < startedAt };
}

/** Asks one source about the member's numbers of its kind; says what became of it, never throws for the source's fault. */
async function sourceStatus(
  ctx: PendingBillsContext,
  memberId: string,
  config: BillSourceConfig,
  subjects: string[],
  fresh: boolean,
): Promise<SourceStatus> {
  const started = performance.now();
  try {
    const { answeredAt, cached } = await askSource(ctx, memberId, config, subjects, fresh);
    ctx.logger.debug({ source: config.source, ms: Math.round(performance.now() - started), cached }, "bill source answered");
    return { source: config.source, state: cached ? "cached" : "answered", answeredAt: answeredAt.toISOString() };
  } catch (error) {
    const reason = error instanceof BillSourceUnavailable ? error.reason : "error";
    ctx.logger.warn(
      { source: config.source, reason, err: error instanceof BillSourceUnavailable ? undefined : error },
      "bill source unavailable",
    );
    const last = lastAnswers.get(answerKey(memberId, config, subjects));
    return { source: config.source, state: "unavailable", answeredAt: last?.toISOString() ?? null };
  }
}

/** The portal's bills a member may see: for their bound numbers, and issued to them when verified. */
function memberBillQuery(member: Member, bindings: readonly OpenedBinding[]): Parameters<typeof unpaidBillsFor>[1] {
  const kinds = [...new Set(bindings.map((binding) => binding.kind))];
  return {
    subjects: kinds.map((kind) => ({ kind, values: bindings.filter((b) => b.kind === kind).map((b) => b.value) })),
    payer:
      member.identityVerified && member.nationalIdHash
        ? { nationalIdHash: member.nationalIdHash, categories: IDENTITY_CATEGORIES }
        : undefined,
  };
}

type UnpaidBill = Awaited<ReturnType<typeof unpaidBillsFor>>[number];

const strip = ({ subject: _subject, category: _category, source: _source, ...view }: UnpaidBill): BillView => view;
const sum = (bills: readonly BillView[]) => bills.reduce((total, bill) => total + bill.amount, 0);

/**
 * The dashboard: the portal's own bills now, each source's part as it
 * answers. `fresh` asks every source afresh (the member asked to check again,
 * or reloaded the page).
 */
export async function memberDashboard(
  ctx: PendingBillsContext,
  member: Member,
  options: { fresh?: boolean; now?: Date } = {},
): Promise<MemberDashboard> {
  const now = options.now ?? new Date();
  const bindings = await openBindings(ctx.db, ctx.env, member.id);
  const sources: MemberDashboard["sources"] = {};
  for (const config of ctx.env.billSources) {
    const kind: BindingKind = BILL_SOURCES[config.source].bindingKind;
    const mine = bindings.filter((binding) => binding.kind === kind);
    if (mine.length === 0) continue;
    const subjects = mine.map((binding) => binding.value);
    sources[config.source] = sourceStatus(ctx, member.id, config, subjects, options.fresh ?? false).then(
      async (status): Promise<SourcePart> => {
        // What the source said is recorded: read back its bills (when it is down, those it gave before).
        const query = { subjects: [{ kind, values: mine.map((binding) => binding.value) }] };
        const bills = (await unpaidBillsFor(ctx.db, query, now)).filter((bill) => bill.source === config.source);
        return {
          ...status,
          groups: mine.map((binding) => ({
            bindingId: binding.id,
            bills: bills.filter((bill) => bill.subject === binding.value).map(strip),
          })),
        };
      },
    );
  }
  // A rejected part (the database failing) must not go unhandled while the page waits for the portal's own bills.
  for (const part of Object.values(sources)) part.catch(() => undefined);

  const bills = (await unpaidBillsFor(ctx.db, memberBillQuery(member, bindings), now)).filter((bill) => bill.source === null);
  const shown = new Set<string>();
  const groups: PendingBillsGroup[] = bindings.map(({ value, ...binding }) => {
    const mine = bills.filter((bill) => bill.subjectKind === binding.kind && bill.subject === value && !shown.has(bill.id));
    for (const bill of mine) shown.add(bill.id);
    return { binding, bills: mine.map(strip), total: sum(mine) };
  });
  if (member.identityVerified) {
    // What no binding claimed matched the national ID (the query allows nothing else).
    const byId = bills.filter((bill) => !shown.has(bill.id) && IDENTITY_CATEGORIES.includes(bill.category));
    groups.push({ binding: null, bills: byId.map(strip), total: sum(byId) });
  }
  return { groups, sources };
}

/** The figures of the whole dashboard once every source has answered. */
export function dashboardSummary(
  groups: readonly PendingBillsGroup[],
  parts: readonly SourcePart[],
): Pick<MemberPendingBills, "total" | "count" | "overdueCount" | "unavailable"> {
  const all = [...groups.flatMap((group) => group.bills), ...parts.flatMap((part) => part.groups.flatMap((group) => group.bills))];
  return {
    total: sum(all),
    count: all.length,
    overdueCount: all.filter((bill) => bill.status === "overdue").length,
    unavailable: parts.filter((part) => part.state === "unavailable").map((part) => part.source),
  };
}

/** The whole dashboard at once, each binding's bills from the portal and its source together, soonest due first. */
export async function memberPendingBills(
  ctx: PendingBillsContext,
  member: Member,
  options: { fresh?: boolean; now?: Date } = {},
): Promise<MemberPendingBills> {
  const dashboard = await memberDashboard(ctx, member, options);
  const parts = await Promise.all(Object.values(dashboard.sources));
  const fromSources = new Map(parts.flatMap((part) => part.groups.map((group) => [group.bindingId, group.bills] as const)));
  const groups = dashboard.groups.map((group) => {
    const bills = [...group.bills, ...(group.binding ? (fromSources.get(group.binding.id) ?? []) : [])].sort(
      (a, b) => a.dueDate.localeCompare(b.dueDate) || a.writeOffNumber.localeCompare(b.writeOffNumber),
    );
    return { ...group, bills, total: sum(bills) };
  });
  return {
    groups,
    ...dashboardSummary(dashboard.groups, parts),
    sources: parts.map(({ groups: _groups, ...status }) => status),
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
