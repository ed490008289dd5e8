import { ROLE_PERMISSIONS, type EffectiveRole, type StaffPermission, type StaffRole } from "./staff";

/** Topics of the contact form (聯絡我們). */
export const FEEDBACK_TOPICS = ["bill_question", "payment_problem", "website", "accessibility", "suggestion", "other"] as const;
export type FeedbackTopic = (typeof FEEDBACK_TOPICS)[number];

/** Fields of the contact form, in the order they appear (and errors are listed). */
export const FEEDBACK_FIELDS = ["topic", "agency", "name", "email", "phone", "message"] as const;
export type FeedbackField = (typeof FEEDBACK_FIELDS)[number];

/** Where a message stands in the back office's inbox. */
export const FEEDBACK_STATUSES = ["new", "in_progress", "answered", "closed"] as const;
export type FeedbackStatus = (typeof FEEDBACK_STATUSES)[number];

export const isFeedbackStatus = (value: unknown): value is FeedbackStatus => (FEEDBACK_STATUSES as readonly unknown[]).includes(value);
export const isFeedbackTopic = (value: unknown): value is FeedbackTopic => (FEEDBACK_TOPICS as readonly unknown[]).includes(value);

/**
 * How a message's status may change, and by which act. "answered" is reached
 * only by recording the reply (what was said, and how), never by a bare
 * status change, so every answered message says what its answer was; a
 * further reply to an answered message keeps it answered. A closed message is
 * reopened (back to in progress) before anything more is answered.
 */
const FEEDBACK_STATUS_MOVES: Record<FeedbackStatus, Partial<Record<FeedbackStatus, "status_change" | "reply">>> = {
  new: { in_progress: "status_change", answered: "reply", closed: "status_change" },
  in_progress: { answered: "reply", closed: "status_change" },
  answered: { answered: "reply", in_progress: "status_change", closed: "status_change" },
  closed: { in_progress: "status_change" },
};

/** The statuses a status change (not a reply) may move a message to from `from`. */
export const statusChangesFrom = (from: FeedbackStatus): FeedbackStatus[] =>
  FEEDBACK_STATUSES.filter((to) => FEEDBACK_STATUS_MOVES[from][to] === "status_change");

export const mayChangeStatus = (from: FeedbackStatus, to: FeedbackStatus) => FEEDBACK_STATUS_MOVES[from][to] === "status_change";

export const mayRecordReply = (from: FeedbackStatus) => FEEDBACK_STATUS_MOVES[from].answered === "reply";

/** How staff answered a message: by e-mail sent from the inbox itself, or another way and recorded there. */
export type FeedbackReplyChannel = "email" | "phone" | "letter" | "other";

/** The channels of a reply given outside the portal and recorded by hand (an e-mail reply records itself). */
export const RECORDED_REPLY_CHANNELS = ["phone", "letter", "other"] as const satisfies readonly FeedbackReplyChannel[];

/**
 * Which messages a city-wide role reaches in the inbox. Agency roles reach
 * the messages routed to their own agency. The city administrator is the
 * portal's own team and reaches only the messages routed to no agency
 * (questions about the website): least privilege, agencies' residents'
 * messages are the agencies' business. The auditor reads every message (and,
 * holding no `inbox.work`, changes none). A city-wide role not listed reaches
 * nothing.
 */
const CITY_ROLE_INBOX_REACH: Partial<Record<StaffRole, "unrouted" | "everything">> = {
  city_admin: "unrouted",
  auditor: "everything",
};

function reaches(role: EffectiveRole, agencyCode: string | null): boolean {
  if (role.agencyCode !== null) return role.agencyCode === agencyCode;
  const reach = CITY_ROLE_INBOX_REACH[role.role];
  return reach === "everything" || (reach === "unrouted" && agencyCode === null);
}

/**
 * The role (own first, else held as a proxy) through which `permission`
 * reaches a message routed to `agencyCode` (null: the portal's own), or null.
 */
export function inboxRoleFor(
  roles: readonly EffectiveRole[],
  permission: StaffPermission,
  agencyCode: string | null,
): EffectiveRole | null {
  const matching = roles.filter((r) => ROLE_PERMISSIONS[r.role].includes(permission) && reaches(r, agencyCode));
  return matching.find((r) => r.actingFor === null) ?? matching[0] ?? null;
}

/** Which messages `permission` reaches: those of these agencies ("all": every agency's), and whether the unrouted ones too. */
export function inboxReach(
  roles: readonly EffectiveRole[],
  permission: StaffPermission,
): { agencies: "all" | string[]; unrouted: boolean } {
  const granting = roles.filter((r) => ROLE_PERMISSIONS[r.role].includes(permission));
  const everything = granting.some((r) => r.agencyCode === null && CITY_ROLE_INBOX_REACH[r.role] === "everything");
  return {
    agencies: everything ? "all" : [...new Set(granting.flatMap((r) => (r.agencyCode === null ? [] : [r.agencyCode])))],
    unrouted: granting.some((r) => reaches(r, null)),
  };
}
