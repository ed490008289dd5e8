/**
 * Back-office staff (機關人員): their roles, the agency each role is scoped
 * to, proxies (代理人) for set periods, and the rule of approval chains. Plain
 * rules over plain data: the service loads assignments and proxies, these
 * functions decide.
 */

/** Work points of the seeds (承辦, 覆核, 會計主管, 機關首長, 放行), plus the auditor and the city's administrator. */
export const STAFF_ROLES = ["handler", "reviewer", "accounting_head", "agency_head", "releaser", "auditor", "city_admin"] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Roles held within one agency; the others span the city. */
export const AGENCY_ROLES = ["handler", "reviewer", "accounting_head", "agency_head", "releaser"] as const satisfies readonly StaffRole[];
export type AgencyRole = (typeof AGENCY_ROLES)[number];

export const isAgencyRole = (role: StaffRole): role is AgencyRole => (AGENCY_ROLES as readonly string[]).includes(role);

/** What a staff member can be allowed to do in the back office. */
export const STAFF_PERMISSIONS = [
  "payments.view",
  "personal_data.reveal",
  "inbox.view",
  "inbox.work",
  "duplicates.view",
  "audit.view",
  "staff.manage",
  "settings.view",
  "proxies.set_own",
  "refunds.view",
  "refunds.request",
  "reconciliation.view",
  "reconciliation.work",
  "statements.view",
  "catalogue.manage",
  "integrations.view",
  "integrations.manage",
  "statistics.view",
  "mail.view",
] as const;
export type StaffPermission = (typeof STAFF_PERMISSIONS)[number];

/**
 * Which role may do what. The auditor reads everything and changes nothing;
 * the city administrator runs the catalogue, agencies' integrations (webhook
 * receivers, API keys), staff and settings but reads no
 * payments (least privilege: money work is the agencies'). The city
 * administrator is also the portal's own team for contact messages about no
 * agency's bill, and may reveal those senders' contact details to answer them
 * (the inbox narrows its reach to those messages: `CITY_ROLE_INBOX_REACH`).
 */
/** What every agency role sees of its agency's money: payments, duplicates, refunds, statements, statistics; and naming its own proxy. */
const AGENCY_MONEY_VIEW: readonly StaffPermission[] = [
  "payments.view",
  "duplicates.view",
  "proxies.set_own",
  "refunds.view",
  "statements.view",
  "statistics.view",
];

export const ROLE_PERMISSIONS: Record<StaffRole, readonly StaffPermission[]> = {
  handler: [...AGENCY_MONEY_VIEW, "personal_data.reveal", "inbox.view", "inbox.work", "refunds.request"],
  reviewer: [...AGENCY_MONEY_VIEW, "personal_data.reveal", "inbox.view", "inbox.work"],
  accounting_head: [...AGENCY_MONEY_VIEW, "personal_data.reveal", "inbox.view", "reconciliation.view", "reconciliation.work"],
  agency_head: [...AGENCY_MONEY_VIEW, "personal_data.reveal", "inbox.view"],
  releaser: [...AGENCY_MONEY_VIEW],
  auditor: [
    "payments.view",
    "personal_data.reveal",
    "inbox.view",
    "duplicates.view",
    "audit.view",
    "refunds.view",
    "reconciliation.view",
    "statements.view",
    "integrations.view",
    "statistics.view",
    "mail.view",
  ],
  // Statistics are counts and sums, never a payment or a person: the city administrator sees them city-wide.
  city_admin: [
    "personal_data.reveal",
    "inbox.view",
    "inbox.work",
    "audit.view",
    "staff.manage",
    "settings.view",
    "catalogue.manage",
    "integrations.view",
    "integrations.manage",
    "statistics.view",
    // Whether the portal's mails go out is the portal's own running: city-wide, never an agency's.
    "mail.view",
  ],
};

/** A role held by a staff member: agency roles name their agency, city roles none. */
export interface RoleAssignment {
  staffId: string;
  role: StaffRole;
  agencyCode: string | null;
}

/** "B acts as A's `role` from `startsAt` until `endsAt`" (end exclusive). */
export interface ProxyPeriod {
  principalId: string;
  proxyId: string;
  role: AgencyRole;
  agencyCode: string;
  startsAt: Date;
  endsAt: Date;
  revokedAt: Date | null;
}

/** A role a staff member may use now: their own, or a principal's through a proxy. */
export interface EffectiveRole {
  role: StaffRole;
  agencyCode: string | null;
  /** Set when held as someone's proxy: the acts record "B acting for A". */
  actingFor: string | null;
}

const proxyActive = (proxy: ProxyPeriod, now: Date) =>
  proxy.revokedAt === null && proxy.startsAt.getTime() <= now.getTime() && now.getTime() < proxy.endsAt.getTime();

/**
 * The roles `staffId` may use at `now`. A proxy period gives its role only
 * while it runs, and only if the principal still holds that role: a revoked
 * role cannot live on through a proxy.
 */
export function effectiveRoles(
  staffId: string,
  assignments: readonly RoleAssignment[],
  proxies: readonly ProxyPeriod[],
  now: Date,
): EffectiveRole[] {
  const own = assignments.filter((a) => a.staffId === staffId).map((a) => ({ role: a.role, agencyCode: a.agencyCode, actingFor: null }));
  const delegated = proxies
    .filter((p) => p.proxyId === staffId && p.principalId !== staffId && proxyActive(p, now))
    .filter((p) => assignments.some((a) => a.staffId === p.principalId && a.role === p.role && a.agencyCode === p.agencyCode))
    .map((p) => ({ role: p.role, agencyCode: p.agencyCode, actingFor: p.principalId }));
  return [...own, ...delegated];
}

/** Whether any of the roles allows `permission` for an item of `agencyCode` (null: not an agency's item). */
export function allows(roles: readonly EffectiveRole[], permission: StaffPermission, agencyCode: string | null): boolean {
  return roles.some((r) => ROLE_PERMISSIONS[r.role].includes(permission) && (r.agencyCode === null || r.agencyCode === agencyCode));
}

/**
 * The agencies whose items `permission` reaches: "all" for a city-wide role,
 * else the list (possibly empty).
 */
export function agenciesFor(roles: readonly EffectiveRole[], permission: StaffPermission): "all" | string[] {
  const granting = roles.filter((r) => ROLE_PERMISSIONS[r.role].includes(permission));
  if (granting.some((r) => r.agencyCode === null)) return "all";
  return [...new Set(granting.map((r) => r.agencyCode!))];
}

/**
 * The principal whose role a staff member uses for `permission` on an item of
 * `agencyCode`: null when one of their own roles grants it.
 */
export function actingForIn(roles: readonly EffectiveRole[], permission: StaffPermission, agencyCode: string | null): string | null {
  const granting = roles.filter(
    (r) => ROLE_PERMISSIONS[r.role].includes(permission) && (r.agencyCode === null || r.agencyCode === agencyCode),
  );
  if (granting.some((r) => r.actingFor === null)) return null;
  return granting[0]?.actingFor ?? null;
}

/** The role (and on whose behalf) `staffId` would use for `role` in `agencyCode`: their own first. */
function roleFor(roles: readonly EffectiveRole[], role: StaffRole, agencyCode: string | null): EffectiveRole | null {
  const matching = roles.filter((r) => r.role === role && (r.agencyCode === null || r.agencyCode === agencyCode));
  return matching.find((r) => r.actingFor === null) ?? matching[0] ?? null;
}

/** One step already taken in an approval chain (request, review, …, release). */
export interface ChainStep {
  step: string;
  staffId: string;
  actingFor: string | null;
}

export type ChainRefusal = "role_not_held" | "already_in_chain" | "step_out_of_order";

/**
 * Whether `actor` may take `step` of a chain whose steps are `order`. The
 * step's role must be held (own or by proxy), steps go in order, and nobody
 * holds two steps of one chain: neither the person acting nor the person
 * they act for may appear in an earlier step, so a proxy cannot approve their
 * own request, nor a principal's proxy the principal's.
 */
export function mayTakeStep(
  chain: { order: readonly { step: string; role: StaffRole }[]; agencyCode: string; taken: readonly ChainStep[] },
  step: string,
  actor: { staffId: string; roles: readonly EffectiveRole[] },
): { ok: true; acting: EffectiveRole } | { ok: false; reason: ChainRefusal } {
  const index = chain.order.findIndex((s) => s.step === step);
  if (index === -1 || index !== chain.taken.length) return { ok: false, reason: "step_out_of_order" };
  const acting = roleFor(actor.roles, chain.order[index]!.role, chain.agencyCode);
  if (!acting) return { ok: false, reason: "role_not_held" };
  const people = new Set(chain.taken.flatMap((s) => [s.staffId, s.actingFor].filter((id): id is string => id !== null)));
  if (people.has(actor.staffId) || (acting.actingFor !== null && people.has(acting.actingFor)))
    return { ok: false, reason: "already_in_chain" };
  return { ok: true, acting };
}

/** A proxy period as asked for: checked before it is stored. */
export type ProxyRefusal = "self" | "not_holder" | "proxy_elsewhere" | "ends_before_start" | "too_long" | "in_the_past";

/** Longest proxy period: a leave, not a standing second signature. */
const MAX_PROXY_DAYS = 90;

export function checkProxyPeriod(
  request: { principalId: string; proxyId: string; role: StaffRole; agencyCode: string | null; startsAt: Date; endsAt: Date },
  facts: { principalAssignments: readonly RoleAssignment[]; proxyAgencyCode: string | null; now: Date },
): ProxyRefusal | null {
  if (request.principalId === request.proxyId) return "self";
  if (
    !isAgencyRole(request.role) ||
    !facts.principalAssignments.some((a) => a.role === request.role && a.agencyCode === request.agencyCode)
  )
    return "not_holder";
  if (facts.proxyAgencyCode !== request.agencyCode) return "proxy_elsewhere";
  if (request.endsAt.getTime() <= request.startsAt.getTime()) return "ends_before_start";
  if (request.endsAt.getTime() <= facts.now.getTime()) return "in_the_past";
  if (request.endsAt.getTime() - request.startsAt.getTime() > MAX_PROXY_DAYS * 86_400_000) return "too_long";
  return null;
}

/** Why personal data is revealed (asked every time, kept with the signed act). */
export const REVEAL_REASONS = ["resident_enquiry", "payment_investigation", "refund", "audit", "other"] as const;
export type RevealReason = (typeof REVEAL_REASONS)[number];
