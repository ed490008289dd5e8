import { createHash, randomBytes } from "node:crypto";

/**
 * What members' and staff's server-side sessions share: a random token in a
 * signed cookie, of which only the SHA-256 is stored (a copy of the table
 * opens no session), and an idle deadline that activity moves but never past
 * the absolute limit.
 */

export const hashSessionToken = (token: string) => createHash("sha256").update(token).digest("hex");

export function newSessionToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashSessionToken(token) };
}

/** The cookie's value, when it is one of ours (a tampered or foreign cookie parses to null). */
export const sessionTokenOf = (value: unknown): string | null => (typeof value === "string" && value.length >= 20 ? value : null);

export const nextIdleDeadline = (idleMinutes: number, absoluteExpiresAt: Date, now: Date) =>
  new Date(Math.min(now.getTime() + idleMinutes * 60_000, absoluteExpiresAt.getTime()));

/** Seconds until a session ends for inactivity, for the warning in the page. */
export const idleSecondsLeft = (session: { idleExpiresAt: Date }, now = Date.now()) =>
  Math.max(0, Math.floor((session.idleExpiresAt.getTime() - now) / 1000));
