import { createHash } from "node:crypto";
import { and, inArray, sql } from "drizzle-orm";
import { schema, selectRows, type Database } from "./db.server";
import { rateLimitRefusals } from "./metrics.server";

/**
 * Rate limits kept in the database, so every instance of the portal counts the
 * same attempts. A sliding-window estimate over fixed-window counters: the
 * current window's hits plus the previous window's, weighted by how much of it
 * the sliding window still covers. Plain fixed windows reset at each boundary,
 * letting twice the limit through around it. (rate-limiter-flexible's
 * PostgreSQL store needs node-postgres; we use postgres.js and PGlite:
 * docs/decisions/007.)
 */

export interface RateLimitRule {
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitState {
  /** False once the sliding window's hits reach the limit. */
  allowed: boolean;
  /** Hits in the sliding window (the previous window's weighted, rounded up). */
  hits: number;
  /** Seconds until the current window ends. */
  retryAfterSeconds: number;
}

function bucket(rule: RateLimitRule, key: string): string {
  // Hashed: client addresses and write-off numbers are not kept in clear.
  return `${rule.name}:${createHash("sha256").update(key).digest("base64url").slice(0, 22)}`;
}

function windowOf(rule: RateLimitRule, now: Date) {
  const length = rule.windowSeconds * 1000;
  const start = Math.floor(now.getTime() / length) * length;
  return {
    start: new Date(start),
    previous: new Date(start - length),
    end: new Date(start + length),
    /** Share of the previous window the sliding window still covers. */
    previousWeight: 1 - (now.getTime() - start) / length,
  };
}

const retryAfter = (end: Date, now: Date) => Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000));

function stateOf(
  rule: RateLimitRule,
  current: number,
  previous: number,
  weight: number,
  end: Date,
  now: Date,
  counted: boolean,
): RateLimitState {
  // Rounded up: at a window boundary the previous window still counts in full.
  const hits = current + Math.ceil(previous * weight - 1e-9);
  return { allowed: counted ? hits <= rule.limit : hits < rule.limit, hits, retryAfterSeconds: retryAfter(end, now) };
}

/** The current state without counting anything. */
export async function peekRateLimit(db: Database, rule: RateLimitRule, key: string, now = new Date()): Promise<RateLimitState> {
  const [state] = await peekRateLimits(db, [{ rule, key }], now);
  return state!;
}

/** The states of several limits, in their order, read in one query. */
export async function peekRateLimits(
  db: Database,
  limits: ReadonlyArray<{ rule: RateLimitRule; key: string }>,
  now = new Date(),
): Promise<RateLimitState[]> {
  const checks = limits.map(({ rule, key }) => ({ rule, bucketName: bucket(rule, key), ...windowOf(rule, now) }));
  const counters = schema.rateLimitCounters;
  const rows = await db
    .select({ bucket: counters.bucket, windowStart: counters.windowStart, hits: counters.hits })
    .from(counters)
    .where(
      and(
        inArray(counters.bucket, [...new Set(checks.map((check) => check.bucketName))]),
        inArray(
          counters.windowStart,
          checks.flatMap((check) => [check.start, check.previous]),
        ),
      ),
    );
  return checks.map(({ rule, bucketName, start, previous, end, previousWeight }) => {
    const hitsAt = (when: Date) => rows.find((row) => row.bucket === bucketName && row.windowStart.getTime() === when.getTime())?.hits ?? 0;
    return stateOf(rule, hitsAt(start), hitsAt(previous), previousWeight, end, now, false);
  });
}

/**
 * Counts one hit (atomically, across instances) and says whether it was within
 * the limit. One statement: the upsert of the current window and the read of
 * the previous one, a round trip and a commit per hit (look-ups make three).
 */
export async function hitRateLimit(db: Database, rule: RateLimitRule, key: string, now = new Date()): Promise<RateLimitState> {
  const { start, previous, end, previousWeight } = windowOf(rule, now);
  const bucketName = bucket(rule, key);
  const counters = schema.rateLimitCounters;
  // Kept until the window after it ends: it still counts, weighted, during that one.
  const expiresAt = new Date(end.getTime() + rule.windowSeconds * 1000);
  const [row] = await selectRows<{ current: number | string; previous: number | string | null }>(
    db,
    sql`with hit as (
      insert into ${counters} (bucket, window_start, hits, expires_at)
      values (${bucketName}, ${start.toISOString()}, 1, ${expiresAt.toISOString()})
      on conflict (bucket, window_start) do update set hits = ${counters.hits} + 1
      returning hits
    )
    select hit.hits as current,
      (select hits from ${counters} where bucket = ${bucketName} and window_start = ${previous.toISOString()}) as previous
    from hit`,
  );
  return stateOf(rule, Number(row!.current), Number(row!.previous ?? 0), previousWeight, end, now, true);
}

/**
 * Whether an attempt is refused under `rule`, counting the refusal for the
 * metrics. Called where an attempt is admitted or not: a failure recorded
 * that reaches a limit refuses nothing yet (the next attempt is refused).
 */
export function isRefused(rule: RateLimitRule, state: RateLimitState): boolean {
  if (state.allowed) return false;
  rateLimitRefusals.inc({ rule: rule.name });
  return true;
}

/** How a form says it was refused for too many attempts: the whole minutes to wait, for its message, and Retry-After. */
export function tooManyAttempts(retryAfterSeconds: number) {
  return {
    error: { code: "rate_limited" as const, minutes: Math.ceil(retryAfterSeconds / 60) },
    status: 429,
    headers: { "Retry-After": String(retryAfterSeconds) },
  };
}
