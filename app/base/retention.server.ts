import { sql, type SQL } from "drizzle-orm";
import { retentionCutoffs, type RetainedKind } from "~/domain/retention";
import { selectRows, type Database } from "./db.server";

/** Rows per statement: short transactions, so no sweep holds locks the portal's requests wait on. */
const RETENTION_BATCH = 5000;

/**
 * Which rows of each kind stopped counting before `cutoff`. A session ended at
 * the earliest of its logout, idle deadline and absolute limit; one still valid
 * has all three in the future, so it never matches.
 */
const SWEEPS: Record<RetainedKind, { table: string; ended: (cutoff: SQL) => SQL }> = {
  captchaUses: { table: "captcha_uses", ended: expiredBefore },
  rateLimitCounters: { table: "rate_limit_counters", ended: expiredBefore },
  agencyApiNonces: { table: "agency_api_nonces", ended: expiredBefore },
  staffChallenges: { table: "staff_challenges", ended: expiredBefore },
  memberSessions: { table: "member_sessions", ended: sessionEndedBefore },
  staffSessions: { table: "staff_sessions", ended: sessionEndedBefore },
};

function expiredBefore(cutoff: SQL): SQL {
  return sql`expires_at < ${cutoff}`;
}

function sessionEndedBefore(cutoff: SQL): SQL {
  return sql`(revoked_at < ${cutoff} or idle_expires_at < ${cutoff} or absolute_expires_at < ${cutoff})`;
}

type RetentionCounts = Record<RetainedKind, number>;

/**
 * Deletes, batch by batch, every row past its retention period. Safe on several
 * instances at once: rows another sweep is deleting are skipped, and deleting
 * what is already gone deletes nothing.
 */
export async function sweepRetention(db: Database, now = new Date(), batch = RETENTION_BATCH): Promise<RetentionCounts> {
  const cutoffs = retentionCutoffs(now);
  const counts = {} as RetentionCounts;
  for (const [kind, { table, ended }] of Object.entries(SWEEPS) as [RetainedKind, (typeof SWEEPS)[RetainedKind]][]) {
    counts[kind] = 0;
    for (;;) {
      const [row] = await selectRows<{ deleted: number }>(
        db,
        sql`with gone as (
              delete from ${sql.identifier(table)} where ctid = any(array(
                select ctid from ${sql.identifier(table)} where ${ended(sql`${cutoffs[kind].toISOString()}::timestamptz`)} limit ${batch} for update skip locked
              )) returning 1
            ) select count(*)::int as deleted from gone`,
      );
      const deleted = Number(row?.deleted ?? 0);
      counts[kind] += deleted;
      if (deleted < batch) break;
    }
  }
  return counts;
}
