/** Who did something recorded in the audit log (稽核軌跡). */
export const AUDIT_ACTOR_TYPES = ["member", "agency", "operator", "system", "staff"] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
