import { and, eq, inArray } from "drizzle-orm";
import type { Logger } from "pino";
import { z } from "zod";
import { PAYMENT_CHANNELS } from "~/domain/catalogue";
import { BILL_SOURCES, type BillSourceId } from "~/domain/member";
import { validateWriteOffNumber } from "~/domain/write-off-number";
import { schema, type Database } from "~/base/db.server";
import { findBillType } from "./catalogue.server";
import { changeBills } from "./lifecycle.server";
import type { Env } from "~/base/env.server";
import { SignedPostFailed, signedJsonPost } from "~/base/signatures.server";
import { observeBillSourceCall } from "~/base/metrics.server";

/**
 * The HTTP adapter of the outside bill sources (the water company, the power
 * company, the parking system): one signed request per source with the
 * member's numbers of its kind, answered with their pending bills.
 *
 *   POST <url>/pending-bills   {"subjects": ["04-12345678-5"]}
 *   X-Portal-Key-Id / X-Portal-Timestamp / X-Portal-Signature (see signatures.server.ts)
 *   200 {"bills":   [{billType, writeOffNumber, subject, payerName, amount, issuedOn, dueDate, period}],
 *        "settled": [{billType, writeOffNumber, subject, outcome: "paid" | "cancelled", settledAt, channel?}]}
 *
 * `settled` (optional) names bills of those numbers the source no longer
 * collects: paid through another channel (its counter, a bank, a store,
 * automatic debit) or cancelled. Without it a bill paid at the water
 * company's counter would still be offered here, and paid twice.
 */

export type BillSourceConfig = Env["billSources"][number];

/** Where a source is asked, and with which key. */
type SourceEndpoint = { source: BillSourceId; url: string; keyId: string; secret: string };

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const sourceBill = z
  .object({
    billType: z.string().min(1).max(40),
    writeOffNumber: z.string().min(1).max(40),
    subject: z.string().min(1).max(40),
    payerName: z.string().min(1).max(60),
    amount: z.number().int().positive().max(999_999_999),
    issuedOn: isoDate,
    dueDate: isoDate,
    period: z.string().regex(/^[0-9A-Z]{4}$/),
  })
  .refine((bill) => bill.dueDate >= bill.issuedOn, "due before issued");
export type SourceBill = z.infer<typeof sourceBill>;

const settledBill = z.object({
  billType: z.string().min(1).max(40),
  writeOffNumber: z.string().min(1).max(40),
  subject: z.string().min(1).max(40),
  settledAt: z.iso.datetime({ offset: true }),
});
const sourceSettlement = z.discriminatedUnion("outcome", [
  // "portal" is this portal's own channel: a source cannot claim a payment made here.
  settledBill.extend({ outcome: z.literal("paid"), channel: z.enum(PAYMENT_CHANNELS).exclude(["portal"]) }),
  settledBill.extend({ outcome: z.literal("cancelled") }),
]);
export type SourceSettlement = z.infer<typeof sourceSettlement>;

// A malformed entry is dropped, not the whole answer: one bad bill should not hide the others.
const sourceAnswer = z.object({ bills: z.array(z.unknown()).max(500), settled: z.array(z.unknown()).max(500).optional() });

export class BillSourceUnavailable extends Error {
  constructor(
    readonly source: BillSourceId,
    readonly reason: "timeout" | "http_error" | "bad_answer" | "network",
    detail: string,
  ) {
    super(`${source}: ${reason} (${detail})`);
  }
}

export interface SourceAnswer {
  bills: SourceBill[];
  settled: SourceSettlement[];
  /** Entries that did not have the agreed shape (logged, never shown). */
  rejected: number;
}

const failureReason = (error: unknown) => (error instanceof BillSourceUnavailable ? error.reason : undefined);

/** One call to a source, timed and its failures counted for the metrics. */
export function fetchSourceBills(
  config: SourceEndpoint,
  subjects: readonly string[],
  timeoutMs: number,
  now = Date.now(),
): Promise<SourceAnswer> {
  return observeBillSourceCall(config.source, failureReason, () => askSource(config, subjects, timeoutMs, now));
}

async function askSource(config: SourceEndpoint, subjects: readonly string[], timeoutMs: number, now: number): Promise<SourceAnswer> {
  let response: Response;
  try {
    response = await signedJsonPost(config, "pending-bills", { subjects }, timeoutMs, now);
  } catch (error) {
    if (!(error instanceof SignedPostFailed)) throw error;
    throw new BillSourceUnavailable(config.source, error.reason, error.message);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new BillSourceUnavailable(config.source, "http_error", `HTTP ${response.status}`);
  }
  let parsed: z.infer<typeof sourceAnswer>;
  try {
    parsed = sourceAnswer.parse(await response.json());
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new BillSourceUnavailable(config.source, timedOut ? "timeout" : "bad_answer", String(error).slice(0, 200));
  }
  const bills: SourceBill[] = [];
  let rejected = 0;
  for (const entry of parsed.bills) {
    const bill = sourceBill.safeParse(entry);
    if (bill.success) bills.push(bill.data);
    else rejected += 1;
  }
  const settled: SourceSettlement[] = [];
  for (const entry of parsed.settled ?? []) {
    const settlement = sourceSettlement.safeParse(entry);
    if (settlement.success) settled.push(settlement.data);
    else rejected += 1;
  }
  return { bills, settled, rejected };
}

/** What the portal needs to ask the sources and record their answers. */
export interface SourcesContext {
  db: Database;
  env: Pick<Env, "billSources" | "BILL_SOURCE_TIMEOUT_MS" | "ecounter">;
  logger: Logger;
}

/** How to ask a source about its bills: the binding sources' entries, and the e-counter's own settings. */
function sourceConfig(env: SourcesContext["env"], source: BillSourceId): { config: SourceEndpoint; timeoutMs: number } | null {
  if (source === "ecounter") {
    const ecounter = env.ecounter;
    return ecounter ? { config: ecounter, timeoutMs: ecounter.timeoutMs } : null;
  }
  const config = env.billSources.find((candidate) => candidate.source === source);
  return config ? { config, timeoutMs: env.BILL_SOURCE_TIMEOUT_MS } : null;
}

/** A bill paid here that its source reports paid through another channel too: a refund to make. */
export interface BillPaidTwice {
  billId: string;
  source: BillSourceId;
  channel: string;
  settledAt: string;
}

export interface SourceRecording {
  /** The source's pending bills, as `billType|writeOffNumber`. */
  pending: Set<string>;
  paidTwice: BillPaidTwice[];
}

/**
 * Keeps what a source may say (its own bill types, the numbers it was asked
 * about, valid write-off numbers) and records new bills in the portal, so
 * they can be paid like any other. A bill the portal already knows keeps the
 * portal's record: the portal knows first when it has been paid here.
 */
export async function recordSourceBills(
  ctx: Pick<SourcesContext, "db" | "logger">,
  source: BillSourceId,
  asked: readonly string[],
  answer: SourceAnswer,
): Promise<SourceRecording> {
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
  const paidTwice: BillPaidTwice[] = [];
  for (const settlement of settlements) {
    const twice = await applySettlement(ctx, source, settlement);
    if (twice) paidTwice.push(twice);
  }
  return { pending: new Set(rows.map((row) => billKey(row.billTypeCode, row.writeOffNumber))), paidTwice };
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
export async function checkBillsAtSources(
  ctx: SourcesContext,
  bills: readonly SourcedBill[],
): Promise<{ verdicts: Map<string, SourceVerdict>; paidTwice: BillPaidTwice[] }> {
  const verdicts = new Map<string, SourceVerdict>();
  const paidTwice: BillPaidTwice[] = [];
  const bySource = new Map<BillSourceId, SourcedBill[]>();
  for (const bill of bills) bySource.set(bill.source, [...(bySource.get(bill.source) ?? []), bill]);
  await Promise.all(
    [...bySource].map(async ([source, sourced]) => {
      const endpoint = sourceConfig(ctx.env, source);
      const subjects = [...new Set(sourced.map((bill) => bill.subject))];
      let pending: Set<string>;
      try {
        if (!endpoint) throw new BillSourceUnavailable(source, "network", "source not configured");
        const answer = await fetchSourceBills(endpoint.config, subjects, endpoint.timeoutMs);
        const recorded = await recordSourceBills(ctx, source, subjects, answer);
        pending = recorded.pending;
        paidTwice.push(...recorded.paidTwice);
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
        .where(
          inArray(
            schema.bills.id,
            sourced.map((bill) => bill.id),
          ),
        );
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
  return { verdicts, paidTwice };
}

/**
 * A bill the source says it no longer collects stops being payable here. Only
 * an unpaid bill changes: the portal's own record of a payment made here wins,
 * and a source claiming another payment for it is a double payment, returned
 * for the caller to open a refund case (every time: opening one is idempotent).
 */
async function applySettlement(
  ctx: Pick<SourcesContext, "db" | "logger">,
  source: BillSourceId,
  settlement: SourceSettlement,
): Promise<BillPaidTwice | null> {
  const paid = settlement.outcome === "paid";
  const match = and(
    eq(schema.bills.billTypeCode, settlement.billType),
    eq(schema.bills.writeOffNumber, settlement.writeOffNumber),
    eq(schema.bills.subject, settlement.subject),
  );
  return ctx.db.transaction(async (tx): Promise<BillPaidTwice | null> => {
    const [bill] = await tx
      .select({ id: schema.bills.id, paidChannel: schema.bills.paidChannel })
      .from(schema.bills)
      .where(match)
      .for("update");
    if (!bill) return null;
    const cause = { actorType: "agency" as const, actorId: source, details: { settledAt: settlement.settledAt } };
    const settledAt = new Date(settlement.settledAt);
    const changed = paid
      ? await changeBills(tx, [bill.id], { event: "paid_elsewhere", channel: settlement.channel, paidAt: settledAt }, cause)
      : await changeBills(tx, [bill.id], { event: "cancelled_at_source" }, cause);
    if (changed.length > 0 || !paid || bill.paidChannel !== "portal") return null;
    const known = bill;
    const twice = { billId: known.id, source, channel: settlement.channel, settledAt: settlement.settledAt };
    // Recorded once, however often the source repeats it: the clerk refunds one of the two.
    const [reported] = await tx
      .select({ id: schema.auditLog.id })
      .from(schema.auditLog)
      .where(
        and(eq(schema.auditLog.targetType, "bill"), eq(schema.auditLog.targetId, known.id), eq(schema.auditLog.action, "bill.paid_twice")),
      );
    if (reported) return twice;
    await tx.insert(schema.auditLog).values({
      actorType: "agency",
      actorId: source,
      action: "bill.paid_twice",
      targetType: "bill",
      targetId: known.id,
      details: { settledAt: settlement.settledAt, channel: settlement.channel },
    });
    ctx.logger.error(
      { alert: "bill_paid_twice", source, bill: known.id, channel: settlement.channel },
      "bill paid through the portal and, by its source, through another channel",
    );
    return twice;
  });
}
