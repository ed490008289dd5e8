import { and, eq, isNull, lt, or } from "drizzle-orm";
import {
  AGENCY_API_HEADERS,
  API_KEY_ID_PATTERN,
  NONCE_PATTERN,
  NONCE_RETENTION_SECONDS,
  SIGNATURE_TOLERANCE_SECONDS,
  keyUsable,
  type AuthRefusal,
} from "~/domain/agency-api";
import { openCredential } from "~/base/credentials.server";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { hitRateLimit, isRefused } from "~/base/rate-limit.server";
import { safeEqual, signAgencyCall } from "~/base/signatures.server";

/**
 * Who signed a call to the agency API, or why the call is refused. The key's
 * row is read at most every few seconds per instance (its secret opened once
 * then), so a revoked or expired key stops within KEY_CACHE_MS everywhere,
 * and its usability is checked against the clock on every call.
 */

export interface AgencyCaller {
  keyId: string;
  agencyCode: string;
}

export type AuthOutcome =
  | { ok: true; caller: AgencyCaller }
  | { ok: false; status: 401; code: AuthRefusal; detail: string }
  | { ok: false; status: 429; code: "rate_limited"; detail: string; retryAfterSeconds: number };

export interface SignedCall {
  method: string;
  pathWithQuery: string;
  headers: Headers;
  body: Uint8Array;
}

type AuthEnv = Pick<Env, "BINDING_ENCRYPTION_KEY" | "AGENCY_API_RATE_LIMIT">;

const KEY_CACHE_MS = 5_000;
const LAST_USED_EVERY_MS = 60_000;

interface KnownKey {
  agencyCode: string;
  secret: string;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  readAt: number;
}

// Per database (tests run several in one process); a missing key is cached too, so guessing ids costs no query each.
const keyCaches = new WeakMap<Database, Map<string, KnownKey | { missing: true; readAt: number }>>();

async function keyById(db: Database, env: AuthEnv, keyId: string, nowMs: number): Promise<KnownKey | null> {
  let cache = keyCaches.get(db);
  if (!cache) keyCaches.set(db, (cache = new Map()));
  const cached = cache.get(keyId);
  if (cached && nowMs - cached.readAt < KEY_CACHE_MS) return "missing" in cached ? null : cached;
  const [row] = await db.select().from(schema.agencyApiKeys).where(eq(schema.agencyApiKeys.id, keyId));
  if (cache.size > 10_000) cache.clear();
  if (!row) {
    cache.set(keyId, { missing: true, readAt: nowMs });
    return null;
  }
  const secret = cached && !("missing" in cached) ? cached.secret : openCredential(env, `api-key:${row.id}`, row.secretSealed);
  const known: KnownKey = {
    agencyCode: row.agencyCode,
    secret,
    revokedAt: row.revokedAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    readAt: nowMs,
  };
  cache.set(keyId, known);
  return known;
}

const refuse = (code: AuthRefusal, detail: string): AuthOutcome => ({ ok: false, status: 401, code, detail });

/** Checks a call's signature, nonce and the key's rate limit; records the nonce and, now and then, the key's last use. */
export async function authenticateCall(db: Database, env: AuthEnv, call: SignedCall, now = new Date()): Promise<AuthOutcome> {
  const keyId = call.headers.get(AGENCY_API_HEADERS.keyId);
  const timestamp = call.headers.get(AGENCY_API_HEADERS.timestamp);
  const nonce = call.headers.get(AGENCY_API_HEADERS.nonce);
  const signature = call.headers.get(AGENCY_API_HEADERS.signature);
  const missing = Object.entries({ keyId, timestamp, nonce, signature })
    .filter(([, value]) => !value)
    .map(([name]) => AGENCY_API_HEADERS[name as keyof typeof AGENCY_API_HEADERS]);
  if (missing.length > 0) return refuse("missing_headers", `Send the headers ${missing.join(", ")} (docs/agency-api.md, "Signing").`);

  if (!API_KEY_ID_PATTERN.test(keyId!)) return refuse("unknown_key", `${AGENCY_API_HEADERS.keyId} is not a key id of this portal.`);
  const key = await keyById(db, env, keyId!, now.getTime());
  if (!key) return refuse("unknown_key", `${AGENCY_API_HEADERS.keyId} is not a key id of this portal.`);
  if (!keyUsable(key, now)) {
    return refuse(
      "key_expired",
      key.revokedAt
        ? "This key was revoked: sign with your agency's current key."
        : "This key has expired (replaced by a rotation): sign with the new key.",
    );
  }

  if (!/^\d{1,12}$/.test(timestamp!)) return refuse("bad_timestamp", `${AGENCY_API_HEADERS.timestamp} must be Unix time in whole seconds.`);
  const skew = Number(timestamp) - Math.floor(now.getTime() / 1000);
  if (Math.abs(skew) > SIGNATURE_TOLERANCE_SECONDS) {
    return refuse(
      "stale_timestamp",
      `${AGENCY_API_HEADERS.timestamp} is ${Math.abs(skew)} s ${skew < 0 ? "behind" : "ahead of"} the portal's clock (at most ${SIGNATURE_TOLERANCE_SECONDS} s): sign with the current time and check your clock (NTP).`,
    );
  }
  if (!NONCE_PATTERN.test(nonce!))
    return refuse("bad_nonce", `${AGENCY_API_HEADERS.nonce} must be 16 to 64 characters of A–Z, a–z, 0–9, "-" or "_".`);

  const expected = signAgencyCall(key.secret, {
    timestamp: timestamp!,
    nonce: nonce!,
    method: call.method,
    pathWithQuery: call.pathWithQuery,
    body: call.body,
  });
  if (!safeEqual(signature!.toLowerCase(), expected)) {
    return refuse(
      "bad_signature",
      "The signature does not match: sign timestamp, nonce, method, the path with its query exactly as sent and the SHA-256 of the exact body bytes, joined by \\n, with HMAC-SHA256 under this key's secret (hex).",
    );
  }

  // Counted only for genuine calls: someone else's forgeries never use up an agency's allowance.
  const rule = { name: "agency-api:key", ...env.AGENCY_API_RATE_LIMIT };
  const limit = await hitRateLimit(db, rule, keyId!, now);
  if (isRefused(rule, limit)) {
    return {
      ok: false,
      status: 429,
      code: "rate_limited",
      detail: `At most ${env.AGENCY_API_RATE_LIMIT.limit} calls per ${env.AGENCY_API_RATE_LIMIT.windowSeconds} s with one key: try again in ${limit.retryAfterSeconds} s (push up to 1,000 bills per call).`,
      retryAfterSeconds: limit.retryAfterSeconds,
    };
  }

  const fresh = await db
    .insert(schema.agencyApiNonces)
    .values({ keyId: keyId!, nonce: nonce!, expiresAt: new Date(now.getTime() + NONCE_RETENTION_SECONDS * 1000) })
    .onConflictDoNothing()
    .returning({ nonce: schema.agencyApiNonces.nonce });
  if (fresh.length === 0) return refuse("replayed_nonce", `This ${AGENCY_API_HEADERS.nonce} was used already: every call needs a new one.`);

  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
    key.lastUsedAt = now;
    const aMinuteAgo = new Date(now.getTime() - LAST_USED_EVERY_MS);
    await db
      .update(schema.agencyApiKeys)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(schema.agencyApiKeys.id, keyId!),
          or(isNull(schema.agencyApiKeys.lastUsedAt), lt(schema.agencyApiKeys.lastUsedAt, aMinuteAgo)),
        ),
      );
  }
  return { ok: true, caller: { keyId: keyId!, agencyCode: key.agencyCode } };
}
