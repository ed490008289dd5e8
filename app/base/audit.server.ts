import { createHash } from "node:crypto";
import { and, desc, eq, getTableColumns, gte, ilike, isNotNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { AuditActorType } from "~/domain/audit";
import { schema, selectRows, type Database } from "./db.server";

/**
 * The audit log (稽核軌跡): append-only and hash-chained by the database
 * itself (migrations 0007 and 0013, docs/decisions/019 and 032). The application only appends;
 * updates, deletes and truncation are refused by triggers. Verification
 * recomputes every hash here, in Node, from the entries' canonical text, so a
 * row changed behind the application's back (triggers disabled by a
 * superuser) breaks the chain at that row.
 */

export interface AuditEntryInput {
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Database, entry: AuditEntryInput, now = new Date()): Promise<void> {
  await db.insert(schema.auditLog).values({
    occurredAt: now,
    actorType: entry.actorType,
    actorId: entry.actorId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    requestId: entry.requestId ?? null,
    details: entry.details ?? {},
  });
}

const GENESIS_HASH = "0".repeat(64);

export type ChainVerification =
  | { ok: true; checked: number; headSeq: number; headHash: string }
  | { ok: false; checked: number; brokenAtSeq: number; problem: "gap" | "previous_hash" | "hash"; headSeq: number; headHash: string };

const BATCH = 2000;

/** Walks the whole chain in order; stops at the first entry that does not hold. */
export async function verifyAuditChain(db: Database): Promise<ChainVerification> {
  let previousHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  let broken: { brokenAtSeq: number; problem: "gap" | "previous_hash" | "hash" } | null = null;
  for (;;) {
    const rows = await selectRows<{ seq: string | number; prev_hash: string; hash: string; text: string }>(
      db,
      sql`select a.seq, a.prev_hash, a.hash, audit_entry_text(a) as text from audit_log a where a.seq >= ${expectedSeq} order by a.seq limit ${BATCH}`,
    );
    for (const row of rows) {
      const seq = Number(row.seq);
      if (!broken) {
        if (seq !== expectedSeq) broken = { brokenAtSeq: expectedSeq, problem: "gap" };
        else if (row.prev_hash !== previousHash) broken = { brokenAtSeq: seq, problem: "previous_hash" };
        else if (
          createHash("sha256")
            .update(previousHash + row.text, "utf8")
            .digest("hex") !== row.hash
        )
          broken = { brokenAtSeq: seq, problem: "hash" };
        else checked += 1;
      }
      previousHash = row.hash;
      expectedSeq = seq + 1;
    }
    if (rows.length < BATCH) break;
  }
  const head = { headSeq: expectedSeq - 1, headHash: previousHash };
  return broken ? { ok: false, checked, ...broken, ...head } : { ok: true, checked, ...head };
}

export interface AuditFilters {
  /** Text found in the action, the target's id or the actor's id. */
  text?: string;
  actorType?: AuditActorType;
  action?: string;
  from?: Date;
  /** Exclusive. */
  until?: Date;
}

function filterCondition(filters: AuditFilters): SQL | undefined {
  const a = schema.auditLog;
  const conditions: SQL[] = [];
  if (filters.text) {
    const like = `%${filters.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(or(ilike(a.action, like), ilike(a.targetId, like), ilike(a.actorId, like), ilike(a.targetType, like))!);
  }
  if (filters.actorType) conditions.push(eq(a.actorType, filters.actorType));
  if (filters.action) conditions.push(eq(a.action, filters.action));
  if (filters.from) conditions.push(gte(a.occurredAt, filters.from));
  if (filters.until) conditions.push(lt(a.occurredAt, filters.until));
  return conditions.length ? and(...conditions) : undefined;
}

/** A chained entry: every reader below reads only those (`seq` is null only inside the writing transaction). */
export type AuditEntry = Omit<typeof schema.auditLog.$inferSelect, "seq"> & { seq: number };
const chained = () => isNotNull(schema.auditLog.seq);

/** Newest first; `beforeSeq` pages on. */
export async function searchAudit(db: Database, filters: AuditFilters, page: { limit: number; beforeSeq?: number }): Promise<AuditEntry[]> {
  const a = schema.auditLog;
  const where = and(chained(), filterCondition(filters), page.beforeSeq ? lt(a.seq, page.beforeSeq) : undefined);
  return (await db.select().from(a).where(where).orderBy(desc(a.seq)).limit(page.limit)) as AuditEntry[];
}

/** The last entry's seq and hash, without walking the chain (genesis when empty). */
export async function auditHead(db: Database): Promise<{ headSeq: number; headHash: string }> {
  const a = schema.auditLog;
  const [row] = await db.select({ seq: a.seq, hash: a.hash }).from(a).where(chained()).orderBy(desc(a.seq)).limit(1);
  return row?.seq ? { headSeq: row.seq, headHash: row.hash } : { headSeq: 0, headHash: GENESIS_HASH };
}

/**
 * An entry with the canonical text its hash was computed from
 * (`audit_entry_text`): sha256(prevHash + entryText) = hash, checkable
 * anywhere without the database.
 */
export type AuditEntryWithText = AuditEntry & { entryText: string };

/** Every matching entry, oldest first, in batches (for the CSV export). */
export async function* auditEntriesInOrder(db: Database, filters: AuditFilters): AsyncGenerator<AuditEntryWithText> {
  const a = schema.auditLog;
  let afterSeq = 0;
  for (;;) {
    const rows = (await db
      .select({ ...getTableColumns(a), entryText: sql<string>`audit_entry_text(audit_log)` })
      .from(a)
      .where(and(filterCondition(filters), sql`${a.seq} > ${afterSeq}`))
      .orderBy(a.seq)
      .limit(BATCH)) as AuditEntryWithText[];
    yield* rows;
    if (rows.length < BATCH) return;
    afterSeq = rows[rows.length - 1]!.seq;
  }
}
