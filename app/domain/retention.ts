/**
 * How long the portal keeps what is only needed for a while (保存期限), past the
 * moment it stops counting. Payments, receipts, refunds, the audit trail, the
 * e-mail outbox and its log, notices to agencies and signed acts are records and
 * are never swept.
 */
const RETENTION_GRACE_DAYS = {
  /** Answered captcha challenges: a challenge past its expiry cannot be answered again anyway. */
  captchaUses: 0,
  /** Rate-limit windows: `expires_at` already lies a window past the end (the sliding weight reads it). */
  rateLimitCounters: 0,
  /** Nonces of agencies' signed calls: past the signature window a replay is refused by its timestamp. */
  agencyApiNonces: 0,
  /** Passkey challenges handed to staff, used or not: a day to explain a failed signature. */
  staffChallenges: 1,
  /** Members' sessions after they ended (logged out, idle, or at their limit): for support questions. */
  memberSessions: 30,
  /** Staff sessions after they ended: longer, they answer "who was signed in from where" in an audit. */
  staffSessions: 90,
} as const;

export type RetainedKind = keyof typeof RETENTION_GRACE_DAYS;

/** The moment before which a row of each kind that stopped counting may go. */
export function retentionCutoffs(now: Date): Record<RetainedKind, Date> {
  const day = 86_400_000;
  return Object.fromEntries(
    Object.entries(RETENTION_GRACE_DAYS).map(([kind, days]) => [kind, new Date(now.getTime() - days * day)]),
  ) as Record<RetainedKind, Date>;
}
