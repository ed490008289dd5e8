/**
 * The agency API's rules (機關介接 API), as plain values: how a request is
 * signed, how long a signature and its nonce stay valid, how long a rotated
 * key keeps working, the batch size, and the bill operations' refusals. The
 * HMAC itself is computed in `app/base/signatures.server.ts`; the service in
 * `app/agency-api/` applies these rules.
 */

export const AGENCY_API_BASE_PATH = "/api/agency/v1";

/** Request headers of a signed call. */
export const AGENCY_API_HEADERS = {
  keyId: "x-agency-key-id",
  timestamp: "x-agency-timestamp",
  nonce: "x-agency-nonce",
  signature: "x-agency-signature",
} as const;

/** A signature is accepted this long either side of the portal's clock. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A nonce is remembered a little longer than a signature lives, so a replay inside the window is always caught. */
export const NONCE_RETENTION_SECONDS = 2 * SIGNATURE_TOLERANCE_SECONDS;

/** Nonces: 16 to 64 characters of base64url (a UUID's hex form qualifies). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** Key ids: the agency's code, then 16 random base32 characters (`police.k7m2…`); public, logged. */
export const API_KEY_ID_PATTERN = /^[a-z][a-z0-9-]{1,31}\.[a-z2-7]{16}$/;

/** After a rotation, the old key works for this long by default (the agency deploys the new one meanwhile). */
export const DEFAULT_KEY_OVERLAP_DAYS = 7;
export const MAX_KEY_OVERLAP_DAYS = 30;

/** Bills per push call. */
export const MAX_BILLS_PER_PUSH = 1000;

/** Items of the payments feed per page. */
export const FEED_PAGE_MAX = 500;

/**
 * The text an agency signs: timestamp, nonce, method, path with its query
 * string exactly as sent, and the SHA-256 (hex) of the body's bytes (of the
 * empty string for a GET). Lines joined with "\n".
 */
export function canonicalRequest(parts: {
  timestamp: string;
  nonce: string;
  method: string;
  pathWithQuery: string;
  bodySha256: string;
}): string {
  return [parts.timestamp, parts.nonce, parts.method.toUpperCase(), parts.pathWithQuery, parts.bodySha256].join("\n");
}

export interface ApiKeyState {
  revokedAt: Date | null;
  /** Set when the key was rotated (or given an end): it works until then. */
  expiresAt: Date | null;
}

/** Whether a key may sign at `now`. */
export function keyUsable(key: ApiKeyState, now: Date): boolean {
  return key.revokedAt === null && (key.expiresAt === null || now.getTime() < key.expiresAt.getTime());
}

/** Why a signed call is refused (answered 401, except `rate_limited` 429); the body names it so an integrator can fix it. */
export const AUTH_REFUSALS = [
  "missing_headers",
  "unknown_key",
  "key_expired",
  "bad_timestamp",
  "stale_timestamp",
  "bad_nonce",
  "replayed_nonce",
  "bad_signature",
] as const;
export type AuthRefusal = (typeof AUTH_REFUSALS)[number];

/** Why one pushed bill (or an amendment, a cancellation) is refused; the other rows of a batch go on. */
export const BILL_ROW_REFUSALS = [
  "invalid",
  "unknown_bill_type",
  "bill_type_not_yours",
  "bad_write_off_number",
  "duplicate_in_batch",
  "conflict",
  "not_found",
  "already_paid",
  "cancelled",
  "in_payment",
  "source_bill",
] as const;
export type BillRowRefusal = (typeof BILL_ROW_REFUSALS)[number];
