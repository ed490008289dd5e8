import { createHash } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { BillCategory } from "~/domain/catalogue";
import { BILL_SOURCES, type BillSourceId, type BindingKind } from "~/domain/member";
import { validateWriteOffNumber } from "~/domain/write-off-number";
import { unpaidBillsFor, type BillView } from "~/bills/bills.server";
import { findBillType } from "~/bills/catalogue.server";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { BillSourceUnavailable, fetchSourceBills, type BillSourceConfig, type SourceAnswer, type SourceSettlement } from "~/bills/sources.server";
import { changeBills } from "~/bills/lifecycle.server";
import { openRefundCaseForPortalPayment } from "~/payments/refund-cases.server";
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

type PendingEnv = Pick<Env, "billSources" | "BILL_SOURCE_TIMEOUT_MS" | "MEMBER_BILLS_CACHE_SECONDS" | "BINDING_ENCRYPTION_KEY" | "PII_HMAC_KEY">;

export interface PendingBillsContext {
  db: Database;
  env: PendingEnv;
  logger: Logger;
}

/** Categories a verified member sees by national ID: the city's fines and fees (not others' utilities). */
export const IDENTITY_CATEGORIES: readonly BillCategory[] = ["fine", "government_fee"];

export interface PendingBillsGroup {
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
    await recordSourceBills(ctx, config.source, subjects, answer);
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

/**
 * Keeps what a source may say (its own bill types, the numbers it was asked
 * about, valid write-off numbers) and records new bills in the portal, so
 * they can be paid like any other. A bill the portal already knows keeps the
 * portal's record: the portal knows first when it has been paid here.
 */
async function recordSourceBills(
  ctx: PendingBillsContext,
  source: BillSourceId,
  asked: readonly string[],
  answer: SourceAnswer,
): Promise<{ pending: Set<string> }> {
  const allowedTypes: readonly string[] = BILL_SOURCES[source].billTypes;
  const askedSet = new Set(asked);
  const rows: Array<typeof schema.bills.$inferInsert> = [];
  let rejected = answer.rejected;
  // The write-off rules of the source's bill types, looked up once for all its entries.
  const rules = new Map(
    await Promise.all(allowedTypes.map(async (code) => [code, (await findBillType(ctx.db, code))?.billType.writeOffRule] as const)),
  );
  // The write-off number in its stored form, when the entry is one the source may speak of.
  const accepted = (entry: { billType: string; writeOffNumber: string; subject: string }): string | null => {
    const rule = rules.get(entry.billType);
    if (!rule || !askedSet.has(entry.subject)) return null;
    const number = validateWriteOffNumber(entry.writeOffNumber, rule);
    return number.ok ? number.value : null;
  };
  for (const bill of answer.bills) {
    const number = accepted(bill);
    if (!number) {
      rejected += 1;
      continue;
    }
    rows.push({
      source,
      billTypeCode: bill.billType,
      writeOffNumber: number,
      payerName: bill.payerName,
      subject: bill.subject,
      amount: bill.amount,
      issuedOn: bill.issuedOn,
      dueDate: bill.dueDate,
      period: bill.period,
    });
  }
  const settlements: SourceSettlement[] = [];
  for (const settlement of answer.settled) {
    const number = accepted(settlement);
    if (number) settlements.push({ ...settlement, writeOffNumber: number });
    else rejected += 1;
  }
  if (rejected > 0) ctx.logger.warn({ source, rejected }, "bill source: entries outside the agreement ignored");
  if (rows.length > 0) await ctx.db.insert(schema.bills).values(rows).onConflictDoNothing();
  for (const settlement of settlements) await applySettlement(ctx, source, settlement);
  return { pending: new Set(rows.map((row) => billKey(row.billTypeCode, row.writeOffNumber))) };
}

const billKey = (billType: string, writeOffNumber: string) => `${billType}|${writeOffNumber}`;

/** What a bill's source says of it just before its money is taken here. */
export type SourceVerdict =
  | { kind: "payable" }
  | { kind: "paid_elsewhere"; channel: string; paidAt: Date }
  | { kind: "cancelled" }
  /** The source no longer lists it as owed, and names no settlement: do not take money for it. */
  | { kind: "not_listed" }
  | { kind: "unavailable" };

export interface SourcedBill {
  id: string;
  billTypeCode: string;
  writeOffNumber: string;
  subject: string;
  source: BillSourceId;
}

/**
 * Asks the sources of these bills, fresh (no cache) and each with its own
 * timeout, whether each bill is still owed: the dashboard's answer may be a
 * minute old, and a bill paid at the water company's counter meanwhile must
 * not be taken again. What the source says is recorded as on the dashboard.
 */
export async function checkBillsAtSources(ctx: PendingBillsContext, bills: readonly SourcedBill[]): Promise<Map<string, SourceVerdict>> {
  const verdicts = new Map<string, SourceVerdict>();
  const bySource = new Map<BillSourceId, SourcedBill[]>();
  for (const bill of bills) bySource.set(bill.source, [...(bySource.get(bill.source) ?? []), bill]);
  await Promise.all(
    [...bySource].map(async ([source, sourced]) => {
      const config = ctx.env.billSources.find((candidate) => candidate.source === source);
      const subjects = [...new Set(sourced.map((bill) => bill.subject))];
      let pending: Set<string>;
      try {
        if (!config) throw new BillSourceUnavailable(source, "network", "source not configured");
        const answer = await fetchSourceBills(config, subjects, ctx.env.BILL_SOURCE_TIMEOUT_MS);
        pending = (await recordSourceBills(ctx, source, subjects, answer)).pending;
      } catch (error) {
        if (!(error instanceof BillSourceUnavailable)) throw error;
        ctx.logger.warn({ source, reason: error.reason }, "bill source unavailable before payment: not taking money for its bills");
        for (const bill of sourced) verdicts.set(bill.id, { kind: "unavailable" });
        return;
      }
      // Settlements are on the bills now: read them back.
      const rows = await ctx.db
        .select({ id: schema.bills.id, status: schema.bills.status, paidAt: schema.bills.paidAt, paidChannel: schema.bills.paidChannel })
        .from(schema.bills)
        .where(inArray(schema.bills.id, sourced.map((bill) => bill.id)));
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const bill of sourced) {
        const row = byId.get(bill.id);
        verdicts.set(
          bill.id,
          row?.status === "cancelled"
            ? { kind: "cancelled" }
            : row?.paidAt && row.paidChannel && row.status !== "unpaid"
              ? { kind: "paid_elsewhere", channel: row.paidChannel, paidAt: row.paidAt }
              : pending.has(billKey(bill.billTypeCode, bill.writeOffNumber))
                ? { kind: "payable" }
                : { kind: "not_listed" },
        );
      }
    }),
  );
  return verdicts;
}

/**
 * A bill the source says it no longer collects stops being payable here. Only
 * an unpaid bill changes: the portal's own record of a payment made here wins,
 * and a source claiming another payment for it is a double payment to refund.
 */
async function applySettlement(ctx: PendingBillsContext, source: BillSourceId, settlement: SourceSettlement): Promise<void> {
  const paid = settlement.outcome === "paid";
  const match = and(
    eq(schema.bills.billTypeCode, settlement.billType),
    eq(schema.bills.writeOffNumber, settlement.writeOffNumber),
    eq(schema.bills.subject, settlement.subject),
  );
  await ctx.db.transaction(async (tx) => {
    const [bill] = await tx.select({ id: schema.bills.id, paidChannel: schema.bills.paidChannel }).from(schema.bills).where(match).for("update");
    if (!bill) return;
    const cause = { actorType: "agency" as const, actorId: source, details: { settledAt: settlement.settledAt } };
    const settledAt = new Date(settlement.settledAt);
    const changed = paid
      ? await changeBills(tx, [bill.id], { event: "paid_elsewhere", channel: settlement.channel, paidAt: settledAt }, cause)
      : await changeBills(tx, [bill.id], { event: "cancelled_at_source" }, cause);
    if (changed.length > 0 || !paid || bill.paidChannel !== "portal") return;
    const known = bill;
    // Recorded once, however often the source repeats it: the clerk refunds one of the two.
    const [reported] = await tx
      .select({ id: schema.auditLog.id })
      .from(schema.auditLog)
      .where(and(eq(schema.auditLog.targetType, "bill"), eq(schema.auditLog.targetId, known.id), eq(schema.auditLog.action, "bill.paid_twice")));
    if (reported) return;
    await tx.insert(schema.auditLog).values({
      actorType: "agency",
      actorId: source,
      action: "bill.paid_twice",
      targetType: "bill",
      targetId: known.id,
      details: { settledAt: settlement.settledAt, channel: settlement.channel },
    });
    await openRefundCaseForPortalPayment(tx, known.id, "source_reports_other_payment", { source, channel: settlement.channel, settledAt: settlement.settledAt });
    ctx.logger.error(
      { alert: "bill_paid_twice", source, bill: known.id, channel: settlement.channel },
      "bill paid through the portal and, by its source, through another channel",
    );
  });
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
      ctx.logger.debug({ source: config.source, ms: Math.round(performance.now() - started), bills: answer.bills.length }, "bill source answered");
    }),
  );
  const unavailable: BillSourceId[] = [];
  results.forEach((result, i) => {
    if (result.status === "fulfilled") return;
    const source = asks[i]!.config.source;
    unavailable.push(source);
    const reason = result.reason instanceof BillSourceUnavailable ? result.reason.reason : "error";
    ctx.logger.warn({ source, reason, err: result.reason instanceof BillSourceUnavailable ? undefined : result.reason }, "bill source unavailable");
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
export async function billsVisibleToMember(ctx: Pick<PendingBillsContext, "db" | "env">, member: Member, billIds: readonly string[], now = new Date()): Promise<Set<string>> {
  if (billIds.length === 0) return new Set();
  const bindings = await openBindings(ctx.db, ctx.env, member.id);
  const bills = await unpaidBillsFor(ctx.db, memberBillQuery(member, bindings), now);
  const wanted = new Set(billIds);
  return new Set(bills.filter((bill) => wanted.has(bill.id)).map((bill) => bill.id));
}
