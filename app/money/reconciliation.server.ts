import { createHash } from "node:crypto";
import { and, asc, eq, gte, inArray, isNull, lt, ne, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { addDays } from "~/domain/dates";
import type { PaymentProvider } from "~/domain/payment-order";
import {
  RECONCILIATION_OUTCOMES,
  itemKey,
  reconcileDay,
  feeFor,
  type CompletedRefund,
  type FeeRule,
  type ItemSide,
  type OtherOrder,
  type PaidOrder,
  type ReconciliationOutcome,
  type SettlementFileOrigin,
  type SettlementLine,
} from "~/domain/reconciliation";
import { schema, type Database } from "~/base/db.server";
import { parseSettlementFile, type SettlementProblem } from "./settlement-files";

/**
 * Daily reconciliation (每日對帳, docs/decisions/020): a provider's
 * settlement file for a Taiwan day is kept as received (settlement_files,
 * settlement_lines), then every line is matched to the portal's orders and
 * refunds of that provider and day and every order and refund to a line
 * (app/domain/reconciliation.ts has the rules); what came out is
 * reconciliation_items, one row per line or per order or refund without one.
 *
 * A newer file for the same provider and day supersedes the one before (kept).
 * Reconciling a day again replaces its matched and open items; a resolved
 * item that comes out again keeps its note and its resolver, and one that no
 * longer comes out stays as it was resolved, for the record.
 *
 * Set-based: a handful of queries and batched statements per day, whatever
 * the number of lines (bench/reconciliation.bench.ts measures 10,000).
 */

export interface ReconciliationContext {
  db: Database;
  env: { providerFees: readonly FeeRule[] };
  logger: Logger;
}

type OutcomeCounts = Record<ReconciliationOutcome, number>;

export type ImportResult =
  | { kind: "imported"; fileId: string; lines: number; skipped: number; counts: OutcomeCounts; superseded: boolean }
  | { kind: "same_file"; fileId: string; lines: number; skipped: number; counts: OutcomeCounts }
  | { kind: "refused"; problem: SettlementProblem };

/** Rows per statement: well under PostgreSQL's 65,535 parameters, and few round trips. */
const BATCH = 1000;

function chunks<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

const dayStart = (businessDate: string) => new Date(`${businessDate}T00:00:00+08:00`);

/**
 * Keeps a provider's file for a day and reconciles the day against it. A
 * file that cannot be read whole is refused before anything is written; the
 * same file again changes no file and reconciles the day afresh.
 */
export async function importSettlementFile(
  ctx: ReconciliationContext,
  input: {
    provider: PaymentProvider;
    businessDate: string;
    origin: SettlementFileOrigin;
    fileName: string;
    content: string;
    uploadedBy: string | null;
  },
  now = new Date(),
): Promise<ImportResult> {
  const parsed = parseSettlementFile(input.provider, input.content, input.businessDate);
  if (!parsed.ok) {
    ctx.logger.info({ provider: input.provider, businessDate: input.businessDate, problem: parsed.problem }, "settlement file refused");
    return { kind: "refused", problem: parsed.problem };
  }
  const sha256 = createHash("sha256").update(input.content).digest("hex");
  const f = schema.settlementFiles;
  const result = await ctx.db.transaction(async (tx) => {
    // One import of a provider's day at a time, across instances: the second sees the first's file.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`settlement:${input.provider}:${input.businessDate}`}))`);
    const [current] = await tx
      .select({ id: f.id, sha256: f.sha256 })
      .from(f)
      .where(and(eq(f.provider, input.provider), eq(f.businessDate, input.businessDate), isNull(f.supersededAt)));
    if (current?.sha256 === sha256) {
      const lineIds = await tx
        .select({ id: schema.settlementLines.id, lineNumber: schema.settlementLines.lineNumber })
        .from(schema.settlementLines)
        .where(eq(schema.settlementLines.fileId, current.id));
      const counts = await reconcile(tx, ctx.env.providerFees, input.provider, input.businessDate, current.id, parsed.lines, lineIds);
      return { kind: "same_file" as const, fileId: current.id, counts };
    }
    if (current) await tx.update(f).set({ supersededAt: now }).where(eq(f.id, current.id));
    const [file] = await tx
      .insert(f)
      .values({
        provider: input.provider,
        businessDate: input.businessDate,
        origin: input.origin,
        fileName: input.fileName.slice(0, 255),
        sha256,
        content: input.content,
        lineCount: parsed.lines.length,
        uploadedBy: input.uploadedBy,
        importedAt: now,
      })
      .returning({ id: f.id });
    const lineIds: Array<{ id: number; lineNumber: number }> = [];
    for (const batch of chunks(parsed.lines)) {
      lineIds.push(
        ...(await tx
          .insert(schema.settlementLines)
          .values(
            batch.map((line) => ({
              fileId: file!.id,
              lineNumber: line.lineNumber,
              kind: line.kind,
              merchantOrderNumber: line.merchantOrderNumber,
              providerTransactionId: line.providerTransactionId,
              providerRefundId: line.providerRefundId,
              amount: line.amount,
              fee: line.fee,
              occurredAt: line.occurredAt,
              raw: line.raw,
            })),
          )
          .returning({ id: schema.settlementLines.id, lineNumber: schema.settlementLines.lineNumber })),
      );
    }
    const counts = await reconcile(tx, ctx.env.providerFees, input.provider, input.businessDate, file!.id, parsed.lines, lineIds);
    return { kind: "imported" as const, fileId: file!.id, counts, superseded: current !== undefined };
  });
  ctx.logger.info(
    {
      provider: input.provider,
      businessDate: input.businessDate,
      origin: input.origin,
      result: result.kind,
      lines: parsed.lines.length,
      counts: result.counts,
    },
    "settlement file reconciled",
  );
  return { ...result, lines: parsed.lines.length, skipped: parsed.skipped };
}

/** The day's items from the file's lines: the old unresolved ones replaced, resolved ones kept. */
async function reconcile(
  tx: Database,
  feeRules: readonly FeeRule[],
  provider: PaymentProvider,
  businessDate: string,
  fileId: string,
  lines: readonly SettlementLine[],
  lineIds: ReadonlyArray<{ id: number; lineNumber: number }>,
): Promise<OutcomeCounts> {
  const o = schema.paymentOrders;
  const from = dayStart(businessDate);
  const to = dayStart(addDays(businessDate, 1));
  const paidOrders: PaidOrder[] = await tx
    .select({
      id: o.id,
      reference: o.reference,
      providerTransactionId: o.providerTransactionId,
      totalAmount: o.totalAmount,
      paymentTool: o.paymentTool,
      paidAt: sql<Date>`${o.paidAt}`.mapWith(o.paidAt),
    })
    .from(o)
    .where(and(eq(o.provider, provider), gte(o.paidAt, from), lt(o.paidAt, to), inArray(o.state, ["paid", "refunded"])));
  const paidReferences = new Set(paidOrders.map((order) => order.reference));
  const named = [...new Set(lines.map((line) => line.merchantOrderNumber))].filter((reference) => !paidReferences.has(reference));
  const otherOrders: OtherOrder[] = [];
  for (const batch of chunks(named)) {
    otherOrders.push(
      ...(await tx
        .select({
          id: o.id,
          reference: o.reference,
          provider: o.provider,
          providerTransactionId: o.providerTransactionId,
          state: o.state,
          totalAmount: o.totalAmount,
          paidAt: o.paidAt,
        })
        .from(o)
        .where(inArray(o.reference, batch))),
    );
  }
  const r = schema.refunds;
  const refunds: CompletedRefund[] = await tx
    .select({
      id: r.id,
      number: r.number,
      orderId: r.orderId,
      orderReference: o.reference,
      orderTransactionId: o.providerTransactionId,
      amount: r.amount,
      providerRefundId: r.providerRefundId,
      refundedAt: sql<Date>`${r.refundedAt}`.mapWith(r.refundedAt),
    })
    .from(r)
    .innerJoin(o, eq(o.id, r.orderId))
    .where(and(eq(o.provider, provider), eq(r.state, "refunded"), gte(r.refundedAt, from), lt(r.refundedAt, to)));

  const rules = new Map(feeRules.filter((rule) => rule.provider === provider).map((rule) => [rule.tool, rule]));
  const { items, fees } = reconcileDay({
    lines,
    paidOrders,
    otherOrders,
    refunds,
    expectedFee: (order) => {
      const rule = rules.get(order.paymentTool);
      return rule ? feeFor(order.totalAmount, rule) : null;
    },
  });

  const ri = schema.reconciliationItems;
  const ofDay = and(eq(ri.provider, provider), eq(ri.businessDate, businessDate));
  const resolved = await tx
    .select({ id: ri.id, outcome: ri.outcome, orderId: ri.orderId, refundId: ri.refundId, found: ri.found })
    .from(ri)
    .where(and(ofDay, eq(ri.state, "resolved")));
  const resolvedByKey = new Map(resolved.map((item) => [itemKey({ ...item, found: item.found as ItemSide }), item.id]));
  await tx.delete(ri).where(and(ofDay, ne(ri.state, "resolved")));

  const lineIdOf = new Map(lineIds.map((line) => [line.lineNumber, line.id]));
  const fresh = [];
  for (const item of items) {
    const settlementLineId = item.lineNumber === null ? null : (lineIdOf.get(item.lineNumber) ?? null);
    const keptId = resolvedByKey.get(itemKey(item));
    if (keptId !== undefined) {
      // Resolved before, found again: it stays resolved, now pointing at the current file.
      await tx.update(ri).set({ fileId, settlementLineId, expected: item.expected, found: item.found }).where(eq(ri.id, keptId));
      continue;
    }
    fresh.push({
      provider,
      businessDate,
      fileId,
      outcome: item.outcome,
      state: item.outcome === "matched" ? ("matched" as const) : ("open" as const),
      orderId: item.orderId,
      refundId: item.refundId,
      settlementLineId,
      // A match needs no side by side: the line (and the order) say it all, and 10,000 of them a day are kept lean.
      expected: item.outcome === "matched" ? {} : item.expected,
      found: item.outcome === "matched" ? {} : item.found,
    });
  }
  for (const batch of chunks(fresh)) await tx.insert(ri).values(batch);

  for (const batch of chunks(fees)) {
    const values = sql.join(
      batch.map((fee) => sql`(${fee.orderId}::uuid, ${fee.fee}::integer)`),
      sql`, `,
    );
    await tx.execute(
      sql`update payment_orders as o set provider_fee = v.fee from (values ${values}) as v(id, fee)
          where o.id = v.id and o.provider_fee is distinct from v.fee`,
    );
  }

  const counts = Object.fromEntries(RECONCILIATION_OUTCOMES.map((outcome) => [outcome, 0])) as OutcomeCounts;
  for (const item of items) counts[item.outcome]++;
  return counts;
}

/** The current file of each provider for a day, if any. */
export async function currentSettlementFiles(db: Database, businessDate: string) {
  const f = schema.settlementFiles;
  return db
    .select({ id: f.id, provider: f.provider, origin: f.origin, fileName: f.fileName, lineCount: f.lineCount, importedAt: f.importedAt })
    .from(f)
    .where(and(eq(f.businessDate, businessDate), isNull(f.supersededAt)))
    .orderBy(asc(f.provider));
}
