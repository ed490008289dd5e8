import { keyUsable, type ApiKeyState } from "./agency-api";

/**
 * The states of an agency's credentials as the back office shows them: an
 * API key is active, in its overlap after a rotation (until a time), revoked
 * or expired; a webhook secret signs until it retires.
 */

export type ApiKeyStatus =
  { state: "active" } | { state: "overlap"; until: Date } | { state: "revoked"; at: Date } | { state: "expired"; at: Date };

export function apiKeyStatus(key: ApiKeyState, now: Date): ApiKeyStatus {
  if (key.revokedAt) return { state: "revoked", at: key.revokedAt };
  if (!keyUsable(key, now)) return { state: "expired", at: key.expiresAt! };
  return key.expiresAt ? { state: "overlap", until: key.expiresAt } : { state: "active" };
}

/** After a webhook secret is rotated, the old one still signs for this long by default. */
export const DEFAULT_SECRET_OVERLAP_DAYS = 3;
export const MAX_SECRET_OVERLAP_DAYS = 30;

/** Whether a webhook secret still signs at `now`. */
export const secretLive = (secret: { retiresAt: Date | null }, now: Date): boolean =>
  secret.retiresAt === null || now.getTime() < secret.retiresAt.getTime();

/** The end of an overlap of `days` days from `now`; 0 days: at once. */
export const overlapEnd = (now: Date, days: number): Date => new Date(now.getTime() + days * 86_400_000);

/** Random characters of a key id: base32's alphabet in lower case (a-z, 2-7). */
export const KEY_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
