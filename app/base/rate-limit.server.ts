import { createHash } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { schema, type Database } from "./db.server";
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

async function previousHits(db: Database, bucketName: string, previous: Date): Promise<number> {
  const [row] = await db
    .select({ hits: schema.rateLimitCounters.hits })
    .from(schema.rateLimitCounters)
    .where(and(eq(schema.rateLimitCounters.bucket, bucketName), eq(schema.rateLimitCounters.windowStart, previous)));
  return row?.hits ?? 0;
}

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
  const { start, previous, end, previousWeight } = windowOf(rule, now);
  const bucketName = bucket(rule, key);
  const rows = await db
    .select({ windowStart: schema.rateLimitCounters.windowStart, hits: schema.rateLimitCounters.hits })
    .from(schema.rateLimitCounters)
    .where(and(eq(schema.rateLimitCounters.bucket, bucketName), inArray(schema.rateLimitCounters.windowStart, [start, previous])));
  const hitsAt = (when: Date) => rows.find((row) => row.windowStart.getTime() === when.getTime())?.hits ?? 0;
  return stateOf(rule, hitsAt(start), hitsAt(previous), previousWeight, end, now, false);
}

/** Counts one hit (atomically, across instances) and says whether it was within the limit. */
export async function hitRateLimit(db: Database, rule: RateLimitRule, key: string, now = new Date()): Promise<RateLimitState> {
  const { start, previous, end, previousWeight } = windowOf(rule, now);
  const bucketName = bucket(rule, key);
  const [row] = await db
    .insert(schema.rateLimitCounters)
    // Kept until the window after it ends: it still counts, weighted, during that one.
    .values({ bucket: bucketName, windowStart: start, hits: 1, expiresAt: new Date(end.getTime() + rule.windowSeconds * 1000) })
    .onConflictDoUpdate({
      target: [schema.rateLimitCounters.bucket, schema.rateLimitCounters.windowStart],
      set: { hits: sql`${schema.rateLimitCounters.hits} + 1` },
    })
    .returning({ hits: schema.rateLimitCounters.hits });
  return stateOf(rule, row!.hits, await previousHits(db, bucketName, previous), previousWeight, end, now, true);
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
