import { and, asc, count, desc, eq, gte, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { addDays } from "~/domain/dates";
import {
  dayStatements,
  sameFigures,
  statementDocument,
  statementSha256,
  type SettledLine,
  type StatementBucket,
  type StatementDocument,
  type StatementFigures,
  type StatementLine,
  type StatementReconciliation,
} from "~/domain/statement";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";

/**
 * Agency statements (機關日報表), docs/decisions/021: built from the
 * records and the day's settlement files once the day is reconciled, stored
 * as sent (a correction is the next version, never a change), and announced
 * to the agency by a signed `statement.ready` notice queued in the same
 * transaction, through the write-off notices' outbox.
 */

export interface StatementContext {
  db: Database;
  env: Pick<Env, "backOfficeUrl">;
  logger: Logger;
}

const { agencyStatements: statements } = schema;

/** The Taiwan day as an interval of moments: [00:00, next 00:00) at UTC+8. */
function dayWindow(businessDate: string): { from: Date; to: Date } {
  return { from: new Date(`${businessDate}T00:00:00+08:00`), to: new Date(`${addDays(businessDate, 1)}T00:00:00+08:00`) };
}

/** The day's current settlement files (a superseded file no longer counts). */
const currentFilesOf = (businessDate: string) =>
  and(eq(schema.settlementFiles.businessDate, businessDate), isNull(schema.settlementFiles.supersededAt));

/**
 * The lines of the day's settlement files, each with the bills it is for: a
 * payment line with its order's bills (matched by merchant order number at
 * the file's provider), weighted by what the order charged for each; a
 * refund line with the bill of its refund (by the provider's refund id, else
 * the order's first refund of that amount no other line took), or, if no
 * refund is found, its order's bills as a payment line.
 */
async function settledLines(db: Database, businessDate: string): Promise<SettledLine[]> {
  const rows = await db
    .select({
      id: schema.settlementLines.id,
      kind: schema.settlementLines.kind,
      amount: schema.settlementLines.amount,
      fee: schema.settlementLines.fee,
      providerRefundId: schema.settlementLines.providerRefundId,
      provider: schema.settlementFiles.provider,
      orderId: schema.paymentOrders.id,
      tool: schema.paymentOrders.paymentTool,
      billId: schema.paymentOrderItems.billId,
      itemAmount: schema.paymentOrderItems.amount,
      billType: schema.bills.billTypeCode,
      agency: schema.billTypes.agencyCode,
    })
    .from(schema.settlementLines)
    .innerJoin(schema.settlementFiles, and(eq(schema.settlementLines.fileId, schema.settlementFiles.id), currentFilesOf(businessDate)))
    .leftJoin(
      schema.paymentOrders,
      and(
        eq(schema.paymentOrders.reference, schema.settlementLines.merchantOrderNumber),
        eq(schema.paymentOrders.provider, schema.settlementFiles.provider),
      ),
    )
    .leftJoin(schema.paymentOrderItems, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .leftJoin(schema.bills, eq(schema.bills.id, schema.paymentOrderItems.billId))
    .leftJoin(schema.billTypes, eq(schema.billTypes.code, schema.bills.billTypeCode))
    .orderBy(asc(schema.settlementLines.id), asc(schema.paymentOrderItems.billId));

  const refundedOrders = [...new Set(rows.filter((row) => row.kind === "refund" && row.orderId).map((row) => row.orderId!))];
  const refunds = refundedOrders.length
    ? await db
        .select({
          id: schema.refunds.id,
          orderId: schema.refunds.orderId,
          billId: schema.refunds.billId,
          amount: schema.refunds.amount,
          providerRefundId: schema.refunds.providerRefundId,
          state: schema.refunds.state,
        })
        .from(schema.refunds)
        .where(inArray(schema.refunds.orderId, refundedOrders))
        .orderBy(sql`${schema.refunds.state} <> 'refunded'`, sql`${schema.refunds.refundedAt} nulls last`, asc(schema.refunds.createdAt))
    : [];
  const taken = new Set<string>();
  const refundOf = (orderId: string, line: { providerRefundId: string | null; amount: number }) => {
    const candidates = refunds.filter((refund) => refund.orderId === orderId && !taken.has(refund.id));
    const found =
      (line.providerRefundId ? candidates.find((refund) => refund.providerRefundId === line.providerRefundId) : undefined) ??
      candidates.find((refund) => refund.amount === line.amount);
    if (found) taken.add(found.id);
    return found;
  };

  const lines: SettledLine[] = [];
  let current: { id: number; line: SettledLine; orderId: string | null; providerRefundId: string | null } | undefined;
  const bills: Array<StatementBucket & { weight: number; billId: string }> = [];
  const finish = () => {
    if (!current) return;
    const refund =
      current.line.kind === "refund" && current.orderId
        ? refundOf(current.orderId, { providerRefundId: current.providerRefundId, amount: current.line.amount })
        : undefined;
    const own = refund ? bills.filter((bill) => bill.billId === refund.billId) : [];
    const chosen = own.length ? own.map((bill) => ({ ...bill, weight: 1 })) : bills;
    current.line.bills = chosen.map(({ agency, billType, tool, weight }) => ({ agency, billType, tool, weight }));
    lines.push(current.line);
    bills.length = 0;
  };
  for (const row of rows) {
    if (current?.id !== row.id) {
      finish();
      current = {
        id: row.id,
        orderId: row.orderId,
        providerRefundId: row.providerRefundId,
        line: { kind: row.kind, provider: row.provider, amount: row.amount, fee: row.fee, bills: [] },
      };
    }
    if (row.billId && row.agency && row.billType && row.tool && row.itemAmount !== null)
      bills.push({ agency: row.agency, billType: row.billType, tool: row.tool, weight: row.itemAmount, billId: row.billId });
  }
  finish();
  return lines;
}

/**
 * The statements of a Taiwan day, computed (not stored): for each agency
 * with anything that day, collected (what the orders paid that day charged
 * for its bills, refunded since or not), refunded (its refunds completed
 * that day), the providers' fees on the day's settlement lines split over
 * the bills, and net, by bill type and payment tool, with the comparison
 * against the files.
 */
export async function buildAgencyStatements(
  db: Database,
  businessDate: string,
  alsoFor: readonly string[] = [],
): Promise<StatementFigures[]> {
  const { from, to } = dayWindow(businessDate);
  // Summed by the database: a bucket's count and amount, not a row a bill.
  const counted = {
    count: sql<number>`count(*)`.mapWith(Number),
    amount: sql<number>`sum(${schema.paymentOrderItems.amount})`.mapWith(Number),
  };
  const paid = await db
    .select({
      agency: schema.billTypes.agencyCode,
      billType: schema.bills.billTypeCode,
      tool: schema.paymentOrders.paymentTool,
      provider: schema.paymentOrders.provider,
      ...counted,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrderItems.orderId, schema.paymentOrders.id))
    .innerJoin(schema.bills, eq(schema.paymentOrderItems.billId, schema.bills.id))
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .where(
      and(
        inArray(schema.paymentOrders.state, ["paid", "refunded"]),
        gte(schema.paymentOrders.paidAt, from),
        lt(schema.paymentOrders.paidAt, to),
      ),
    )
    .groupBy(schema.billTypes.agencyCode, schema.bills.billTypeCode, schema.paymentOrders.paymentTool, schema.paymentOrders.provider);
  const refunds = await db
    .select({
      agency: schema.refunds.agencyCode,
      billType: schema.bills.billTypeCode,
      tool: schema.paymentOrders.paymentTool,
      provider: schema.paymentOrders.provider,
      count: sql<number>`count(*)`.mapWith(Number),
      amount: sql<number>`sum(${schema.refunds.amount})`.mapWith(Number),
    })
    .from(schema.refunds)
    .innerJoin(schema.paymentOrders, eq(schema.refunds.orderId, schema.paymentOrders.id))
    .innerJoin(schema.bills, eq(schema.refunds.billId, schema.bills.id))
    .where(and(eq(schema.refunds.state, "refunded"), gte(schema.refunds.refundedAt, from), lt(schema.refunds.refundedAt, to)))
    .groupBy(schema.refunds.agencyCode, schema.bills.billTypeCode, schema.paymentOrders.paymentTool, schema.paymentOrders.provider);
  const files = await db
    .select({ provider: schema.settlementFiles.provider })
    .from(schema.settlementFiles)
    .where(currentFilesOf(businessDate));
  return dayStatements({
    businessDate,
    paid,
    refunds,
    settled: await settledLines(db, businessDate),
    filesFrom: files.map((file) => file.provider),
    alsoFor,
  });
}

type StatementRow = typeof schema.agencyStatements.$inferSelect;

/** A stored statement as the document that was sent and hashed. */
export function documentOf(row: StatementRow): StatementDocument {
  return statementDocument(
    {
      agency: row.agencyCode,
      businessDate: row.businessDate,
      collected: row.collected,
      refunded: row.refunded,
      fees: row.fees,
      net: row.net,
      lines: row.lines as StatementLine[],
      reconciliation: row.reconciliation as StatementReconciliation,
    },
    row.version,
  );
}

/** Where staff download a statement in the back office (the agencies' own API is a later issue). */
function statementDownloads(backOfficeUrl: string, agency: string, businessDate: string, version: number) {
  const base = `${backOfficeUrl}/back-office/statements/${agency}/${businessDate}`;
  return { json: `${base}.json?version=${version}`, csv: `${base}.csv?version=${version}`, pdf: `${base}.pdf?version=${version}` };
}

// Arbitrary constant: the statements of one day are built by one instance at a time.
const STATEMENTS_LOCK_KEY = 727_150_021;

/**
 * What the reconciliation job calls once a day is reconciled for every
 * provider (and what may be called again at any time: idempotent). Builds the
 * day's statements; stores each that is new or differs from the one in
 * force, as the next version, and queues its `statement.ready` notice in the
 * same transaction. A statement that says what the one in force says changes
 * nothing and is not announced again. An agency whose statement in force has
 * no money that day any more gets a corrected, empty one. Safe on several
 * instances: the day is built under a transaction lock, so a later build
 * never loses to an earlier one.
 */
export async function statementsAfterReconciliation(
  ctx: StatementContext,
  businessDate: string,
  now = new Date(),
): Promise<{ announced: StatementRow[]; unchanged: number }> {
  const result = await ctx.db.transaction(async (tx) => {
    const day = Number(businessDate.replaceAll("-", ""));
    await tx.execute(sql`select pg_advisory_xact_lock(${STATEMENTS_LOCK_KEY}, ${day})`);
    const inForce = await tx
      .select()
      .from(statements)
      .where(and(eq(statements.businessDate, businessDate), isNull(statements.supersededAt)));
    const all = await buildAgencyStatements(
      tx,
      businessDate,
      inForce.map((row) => row.agencyCode),
    );
    const announced: StatementRow[] = [];
    for (const figures of all) {
      const previous = inForce.find((row) => row.agencyCode === figures.agency);
      if (previous && sameFigures(documentOf(previous), figures)) continue;
      if (previous) await tx.update(statements).set({ supersededAt: now }).where(eq(statements.id, previous.id));
      const document = statementDocument(figures, (previous?.version ?? 0) + 1);
      const sha256 = statementSha256(document);
      const [row] = await tx
        .insert(statements)
        .values({
          agencyCode: document.agency,
          businessDate,
          version: document.version,
          collected: document.collected,
          refunded: document.refunded,
          fees: document.fees,
          net: document.net,
          lines: document.lines,
          reconciliation: document.reconciliation,
          sha256,
          createdAt: now,
        })
        .returning();
      await tx.insert(schema.writeOffNotices).values({
        agencyCode: document.agency,
        kind: "statement.ready",
        statementId: row!.id,
        nextAttemptAt: now,
        createdAt: now,
        payload: {
          type: "statement.ready",
          agency: document.agency,
          businessDate,
          version: document.version,
          replaces: previous ? { version: previous.version, sha256: previous.sha256 } : null,
          currency: document.currency,
          totals: { collected: document.collected, refunded: document.refunded, fees: document.fees, net: document.net },
          tiesOut: document.reconciliation.tiesOut,
          sha256,
          ...statementDownloads(ctx.env.backOfficeUrl, document.agency, businessDate, document.version),
        },
      });
      announced.push(row!);
    }
    return { announced, unchanged: all.length - announced.length };
  });
  const corrected = result.announced.filter((row) => row.version > 1);
  const differing = result.announced.filter((row) => !(row.reconciliation as StatementReconciliation).tiesOut);
  ctx.logger.info(
    { businessDate, announced: result.announced.length, unchanged: result.unchanged, differing: differing.length },
    "agency statements",
  );
  if (corrected.length > 0)
    ctx.logger.warn(
      {
        alert: "agency_statement_corrected",
        businessDate,
        agencies: corrected.map((row) => `${row.agencyCode} v${row.version}`),
      },
      "announced statements corrected: the agencies are sent the new versions",
    );
  return result;
}

// ---------------------------------------------------------------------------
// The back office's list and downloads

const STATEMENTS_PAGE_SIZE = 30;

export interface StatementFilters {
  agency: string | null;
  page: number;
}

export interface StatementListRow {
  id: string;
  agencyCode: string;
  agencyNameZh: string;
  agencyNameEn: string;
  businessDate: string;
  version: number;
  collected: number;
  refunded: number;
  fees: number;
  net: number;
  tiesOut: boolean;
  /** Versions it replaced, still downloadable. */
  earlierVersions: number[];
}

/** The statements in force of the agencies in reach, newest day first, agencies in their order. */
export async function listStatements(
  db: Database,
  reach: "all" | readonly string[],
  filters: StatementFilters,
): Promise<{ rows: StatementListRow[]; total: number; page: number; pageCount: number }> {
  const agencies = reach === "all" ? null : filters.agency ? reach.filter((code) => code === filters.agency) : [...reach];
  if (agencies?.length === 0) return { rows: [], total: 0, page: 1, pageCount: 1 };
  const where = and(
    isNull(statements.supersededAt),
    agencies ? inArray(statements.agencyCode, agencies) : undefined,
    reach === "all" && filters.agency ? eq(statements.agencyCode, filters.agency) : undefined,
  );
  const [{ n: total } = { n: 0 }] = await db.select({ n: count() }).from(statements).where(where);
  const found = await db
    .select({ statement: statements, nameZh: schema.agencies.nameZh, nameEn: schema.agencies.nameEn })
    .from(statements)
    .innerJoin(schema.agencies, eq(statements.agencyCode, schema.agencies.code))
    .where(where)
    .orderBy(desc(statements.businessDate), asc(schema.agencies.sortOrder), asc(statements.agencyCode))
    .limit(STATEMENTS_PAGE_SIZE)
    .offset((filters.page - 1) * STATEMENTS_PAGE_SIZE);
  const earlier = found.some((row) => row.statement.version > 1)
    ? await db
        .select({ agencyCode: statements.agencyCode, businessDate: statements.businessDate, version: statements.version })
        .from(statements)
        .where(
          and(
            isNotNull(statements.supersededAt),
            inArray(
              statements.businessDate,
              found.map((row) => row.statement.businessDate),
            ),
          ),
        )
        .orderBy(asc(statements.version))
    : [];
  return {
    rows: found.map(({ statement, nameZh, nameEn }) => ({
      id: statement.id,
      agencyCode: statement.agencyCode,
      agencyNameZh: nameZh,
      agencyNameEn: nameEn,
      businessDate: statement.businessDate,
      version: statement.version,
      collected: statement.collected,
      refunded: statement.refunded,
      fees: statement.fees,
      net: statement.net,
      tiesOut: (statement.reconciliation as StatementReconciliation).tiesOut,
      earlierVersions: earlier
        .filter((row) => row.agencyCode === statement.agencyCode && row.businessDate === statement.businessDate)
        .map((row) => row.version),
    })),
    total,
    page: filters.page,
    pageCount: Math.max(1, Math.ceil(total / STATEMENTS_PAGE_SIZE)),
  };
}

/** Names of what a statement mentions, for its CSV and PDF. */
interface StatementNames {
  agency: { nameZh: string; nameEn: string };
  billTypes: Record<string, { nameZh: string; nameEn: string }>;
}

export interface StoredStatement {
  id: string;
  document: StatementDocument;
  sha256: string;
  createdAt: Date;
  supersededAt: Date | null;
  names: StatementNames;
}

/** A statement of an agency and day: the one in force, or the version asked for. */
export async function findStatement(
  db: Database,
  agency: string,
  businessDate: string,
  version: number | null,
): Promise<StoredStatement | null> {
  const [row] = await db
    .select({ statement: statements, nameZh: schema.agencies.nameZh, nameEn: schema.agencies.nameEn })
    .from(statements)
    .innerJoin(schema.agencies, eq(statements.agencyCode, schema.agencies.code))
    .where(
      and(
        eq(statements.agencyCode, agency),
        eq(statements.businessDate, businessDate),
        version === null ? isNull(statements.supersededAt) : eq(statements.version, version),
      ),
    );
  if (!row) return null;
  const document = documentOf(row.statement);
  const codes = [...new Set(document.lines.map((line) => line.billType))];
  const types = codes.length
    ? await db
        .select({ code: schema.billTypes.code, nameZh: schema.billTypes.nameZh, nameEn: schema.billTypes.nameEn })
        .from(schema.billTypes)
        .where(inArray(schema.billTypes.code, codes))
    : [];
  return {
    id: row.statement.id,
    document,
    sha256: row.statement.sha256,
    createdAt: row.statement.createdAt,
    supersededAt: row.statement.supersededAt,
    names: {
      agency: { nameZh: row.nameZh, nameEn: row.nameEn },
      billTypes: Object.fromEntries(types.map((type) => [type.code, { nameZh: type.nameZh, nameEn: type.nameEn }])),
    },
  };
}

/** The agencies a staff member may see statements of, in their order: the list's filter. */
export async function agenciesInReach(db: Database, reach: "all" | readonly string[]) {
  if (reach !== "all" && reach.length === 0) return [];
  return db
    .select({ code: schema.agencies.code, nameZh: schema.agencies.nameZh, nameEn: schema.agencies.nameEn })
    .from(schema.agencies)
    .where(reach === "all" ? undefined : inArray(schema.agencies.code, [...reach]))
    .orderBy(asc(schema.agencies.sortOrder), asc(schema.agencies.code));
}
