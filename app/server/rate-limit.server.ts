import { createHash } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import { schema, type Database } from "./db.server";

/**
 * Fixed-window rate limits kept in the database, so every instance of the
 * portal counts the same attempts. (rate-limiter-flexible's PostgreSQL store
 * needs node-postgres; we use postgres.js and PGlite: docs/decisions/007.)
 */

export interface RateLimitRule {
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitState {
  /** False once the window's hits exceed the limit. */
  allowed: boolean;
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
  return { start: new Date(start), end: new Date(start + length) };
}

const retryAfter = (end: Date, now: Date) => Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000));

/** The current state without counting anything. */
export async function peekRateLimit(db: Database, rule: RateLimitRule, key: string, now = new Date()): Promise<RateLimitState> {
  const { start, end } = windowOf(rule, now);
  const [row] = await db
    .select({ hits: schema.rateLimitCounters.hits })
    .from(schema.rateLimitCounters)
    .where(and(eq(schema.rateLimitCounters.bucket, bucket(rule, key)), eq(schema.rateLimitCounters.windowStart, start)));
  const hits = row?.hits ?? 0;
  return { allowed: hits < rule.limit, hits, retryAfterSeconds: retryAfter(end, now) };
}

/** Counts one hit (atomically, across instances) and says whether it was within the limit. */
export async function hitRateLimit(db: Database, rule: RateLimitRule, key: string, now = new Date()): Promise<RateLimitState> {
  const { start, end } = windowOf(rule, now);
  const [row] = await db
    .insert(schema.rateLimitCounters)
    .values({ bucket: bucket(rule, key), windowStart: start, hits: 1, expiresAt: end })
    .onConflictDoUpdate({
      target: [schema.rateLimitCounters.bucket, schema.rateLimitCounters.windowStart],
      set: { hits: sql`${schema.rateLimitCounters.hits} + 1` },
    })
    .returning({ hits: schema.rateLimitCounters.hits });
  if (Math.random() < 0.01) await sweepRateLimits(db, now);
  const hits = row!.hits;
  return { allowed: hits <= rule.limit, hits, retryAfterSeconds: retryAfter(end, now) };
}

/** Drops finished windows; called now and then by hitRateLimit. */
export async function sweepRateLimits(db: Database, now = new Date()): Promise<void> {
  await db.delete(schema.rateLimitCounters).where(lt(schema.rateLimitCounters.expiresAt, now));
}
