import { sql } from "drizzle-orm";
import { taipeiDate } from "~/domain/dates";
import type { LookupWay } from "~/domain/statistics";
import { schema, type Database } from "~/base/db.server";

/**
 * Look-ups counted where their outcome is decided, for the monthly
 * statistics: one row per Taiwan day, way, bill type and outcome. Counts
 * only: nothing about who looked or for which bill.
 *
 * Counted in memory and added to the rows every few seconds, one upsert for
 * all of them (docs/decisions/031): every look-up of every instance raising
 * the same row would queue them all on that row's lock, one commit at a time.
 * Nothing a resident does waits for it or can fail because of it. A process
 * that dies loses its last few seconds of counts; one that stops writes them.
 */

interface PendingTally {
  day: string;
  way: LookupWay;
  billTypeCode: string;
  outcome: string;
  count: number;
}

const pendingByDatabase = new WeakMap<Database, Map<string, PendingTally>>();

export function tallyLookup(
  db: Database,
  tally: { way: LookupWay; billTypeCode: string | null | undefined; outcome: string },
  now: Date,
): void {
  const row = { day: taipeiDate(now), way: tally.way, billTypeCode: tally.billTypeCode ?? "", outcome: tally.outcome };
  const key = [row.day, row.way, row.billTypeCode, row.outcome].join("\n");
  let pending = pendingByDatabase.get(db);
  if (!pending) pendingByDatabase.set(db, (pending = new Map()));
  add(pending, key, { ...row, count: 1 });
}

function add(pending: Map<string, PendingTally>, key: string, tally: PendingTally): void {
  const counted = pending.get(key);
  if (counted) counted.count += tally.count;
  else pending.set(key, tally);
}

/**
 * Adds this process's counts to the database's rows, in one statement. Counts
 * made meanwhile wait for the next flush; counts that could not be written
 * are kept for it, and the error is thrown for the caller to log.
 */
export async function flushLookupTallies(db: Database): Promise<number> {
  const pending = pendingByDatabase.get(db);
  if (!pending || pending.size === 0) return 0;
  pendingByDatabase.set(db, new Map());
  const rows = [...pending.values()];
  const { lookupTallies } = schema;
  try {
    await db
      .insert(lookupTallies)
      .values(rows)
      .onConflictDoUpdate({
        target: [lookupTallies.day, lookupTallies.way, lookupTallies.billTypeCode, lookupTallies.outcome],
        set: { count: sql`${lookupTallies.count} + excluded.count` },
      });
  } catch (error) {
    const meanwhile = pendingByDatabase.get(db)!;
    for (const [key, row] of pending) add(meanwhile, key, row);
    throw error;
  }
  return rows.length;
}
