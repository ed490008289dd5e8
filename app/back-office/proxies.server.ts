import { and, asc, desc, eq, inArray, isNull, ne, or } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import { taipeiDateTimeIso } from "~/domain/dates";
import { AGENCY_ROLES, checkProxyPeriod, isAgencyRole, type AgencyRole, type ProxyRefusal, type RoleAssignment } from "~/domain/staff";
import { schema, type Database } from "~/base/db.server";
import { auditStaffChange, isUuid, type StaffActor } from "./staff-admin.server";

/**
 * Proxy periods (代理期間): a staff member lets a colleague of the same
 * agency stand in for one of their agency roles for a set time, as the
 * treasury's systems let every work point name its own proxy. The rules are
 * `checkProxyPeriod`'s; loadRoles gives the role only while the period runs
 * and the principal still holds the role.
 */

type ProxyState = "upcoming" | "active" | "ended" | "revoked";

export interface ProxyListing {
  id: string;
  principalId: string;
  principalName: string;
  proxyId: string;
  proxyName: string;
  role: AgencyRole;
  agencyCode: string;
  startsAt: string;
  endsAt: string;
  state: ProxyState;
}

function proxyState(period: { startsAt: Date; endsAt: Date; revokedAt: Date | null }, now: Date): ProxyState {
  if (period.revokedAt) return "revoked";
  if (period.endsAt.getTime() <= now.getTime()) return "ended";
  return period.startsAt.getTime() > now.getTime() ? "upcoming" : "active";
}

/** The periods `staffId` gave (as principal) and received (as proxy), newest first. */
export async function proxiesOf(
  db: Database,
  staffId: string,
  now = new Date(),
): Promise<{ given: ProxyListing[]; received: ProxyListing[] }> {
  const p = schema.staffProxies;
  const principal = alias(schema.staff, "principal");
  const proxy = alias(schema.staff, "proxy");
  const rows = await db
    .select({ period: p, principalName: principal.displayName, proxyName: proxy.displayName })
    .from(p)
    .innerJoin(principal, eq(p.principalId, principal.id))
    .innerJoin(proxy, eq(p.proxyId, proxy.id))
    .where(or(eq(p.principalId, staffId), eq(p.proxyId, staffId)))
    .orderBy(desc(p.startsAt));
  const listings = rows.map(({ period, principalName, proxyName }) => ({
    id: period.id,
    principalId: period.principalId,
    principalName,
    proxyId: period.proxyId,
    proxyName,
    role: period.role,
    agencyCode: period.agencyCode,
    startsAt: period.startsAt.toISOString(),
    endsAt: period.endsAt.toISOString(),
    state: proxyState(period, now),
  }));
  return { given: listings.filter((l) => l.principalId === staffId), received: listings.filter((l) => l.proxyId === staffId) };
}

async function agencyGrants(db: Database, staffId: string): Promise<RoleAssignment[]> {
  const r = schema.staffRoles;
  const rows = await db
    .select({ staffId: r.staffId, role: r.role, agencyCode: r.agencyCode })
    .from(r)
    .where(and(eq(r.staffId, staffId), isNull(r.revokedAt)));
  return rows.filter((row) => isAgencyRole(row.role));
}

/** What the proxy form offers for `principalId`: their agency roles, and the active colleagues of those agencies. */
export async function proxyChoices(
  db: Database,
  principalId: string,
): Promise<{
  roles: Array<{ role: AgencyRole; agencyCode: string }>;
  colleagues: Array<{ id: string; name: string; agencyCode: string }>;
}> {
  const roles = (await agencyGrants(db, principalId)).map((g) => ({ role: g.role as AgencyRole, agencyCode: g.agencyCode! }));
  const agencies = [...new Set(roles.map((r) => r.agencyCode))];
  const colleagues = agencies.length
    ? await db
        .select({ id: schema.staff.id, name: schema.staff.displayName, agencyCode: schema.staff.agencyCode })
        .from(schema.staff)
        .where(and(inArray(schema.staff.agencyCode, agencies), eq(schema.staff.active, true), ne(schema.staff.id, principalId)))
        .orderBy(asc(schema.staff.displayName))
    : [];
  return { roles, colleagues: colleagues.map((c) => ({ ...c, agencyCode: c.agencyCode! })) };
}

const PROXY_FIELDS = ["proxyId", "grant", "startsAt", "endsAt"] as const;
export type ProxyField = (typeof PROXY_FIELDS)[number];
/** Keys under `proxies.errors`: the form's own problems, then checkProxyPeriod's refusals. */
type ProxyProblem = "proxyRequired" | "grantRequired" | "dateTimeInvalid" | "proxy_unknown" | ProxyRefusal;

export interface ProxyRequest {
  proxyId: string;
  role: AgencyRole;
  agencyCode: string;
  startsAt: Date;
  endsAt: Date;
}

/** A `datetime-local` value read as Taiwan time (the browser sends no zone). */
function taipeiDateTimeLocal(value: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const at = new Date(`${value}:00+08:00`);
  if (Number.isNaN(at.getTime())) return null;
  // 31 February rolls over into March rather than failing: refuse what does not read back the same.
  return taipeiDateTimeIso(at).slice(0, 16) === value ? at : null;
}

const dateTimeLocal = z.string().transform((v, ctx) => {
  const at = taipeiDateTimeLocal(v.trim());
  if (!at) {
    ctx.addIssue({ code: "custom", message: "dateTimeInvalid" });
    return z.NEVER;
  }
  return at;
});

const proxySchema = z.object({
  proxyId: z.string().refine(isUuid, "proxyRequired"),
  // "<role>:<agency>", one of the principal's agency roles.
  grant: z
    .string()
    .regex(/^[a-z_]+:[a-z][a-z0-9-]{1,31}$/, "grantRequired")
    .transform((v) => {
      const [role, agencyCode] = v.split(":") as [string, string];
      return { role, agencyCode };
    })
    .refine((v) => (AGENCY_ROLES as readonly string[]).includes(v.role), "grantRequired"),
  startsAt: dateTimeLocal,
  endsAt: dateTimeLocal,
});

export type ProxyFormParse =
  | { ok: true; input: ProxyRequest; values: Record<ProxyField, string> }
  | { ok: false; errors: Partial<Record<ProxyField, ProxyProblem>>; values: Record<ProxyField, string> };

export function parseProxyForm(form: FormData): ProxyFormParse {
  const values = Object.fromEntries(
    PROXY_FIELDS.map((field) => {
      const value = form.get(field);
      return [field, typeof value === "string" ? value.slice(0, 100) : ""];
    }),
  ) as Record<ProxyField, string>;
  const result = proxySchema.safeParse(values);
  if (!result.success) {
    const errors: Partial<Record<ProxyField, ProxyProblem>> = {};
    for (const issue of result.error.issues) errors[issue.path[0] as ProxyField] ??= issue.message as ProxyProblem;
    return { ok: false, errors, values };
  }
  const { proxyId, grant, startsAt, endsAt } = result.data;
  return { ok: true, input: { proxyId, role: grant.role as AgencyRole, agencyCode: grant.agencyCode, startsAt, endsAt }, values };
}

/** Which field a refusal is about, for the error summary's link. */
const PROXY_REFUSAL_FIELD: Record<ProxyRefusal | "proxy_unknown", ProxyField> = {
  self: "proxyId",
  proxy_unknown: "proxyId",
  proxy_elsewhere: "proxyId",
  not_holder: "grant",
  ends_before_start: "endsAt",
  in_the_past: "endsAt",
  too_long: "endsAt",
};

/**
 * Stores `principalId`'s proxy period after checkProxyPeriod, audited as
 * `staff.proxy_set` (by the principal, or the city administrator for them).
 */
export async function setProxy(
  db: Database,
  actor: StaffActor,
  principalId: string,
  request: ProxyRequest,
  now = new Date(),
): Promise<{ ok: true; id: string } | { ok: false; refusal: ProxyRefusal | "proxy_unknown" }> {
  return db.transaction(async (tx) => {
    const [proxy] = await tx
      .select({ agencyCode: schema.staff.agencyCode })
      .from(schema.staff)
      .where(and(eq(schema.staff.id, request.proxyId), eq(schema.staff.active, true)));
    if (!proxy) return { ok: false as const, refusal: "proxy_unknown" as const };
    const refusal = checkProxyPeriod(
      { principalId, ...request },
      { principalAssignments: await agencyGrants(tx, principalId), proxyAgencyCode: proxy.agencyCode, now },
    );
    if (refusal) return { ok: false as const, refusal };
    const [stored] = await tx
      .insert(schema.staffProxies)
      .values({ principalId, ...request, createdBy: actor.staffId, createdAt: now })
      .returning({ id: schema.staffProxies.id });
    await auditStaffChange(tx, actor, {
      action: "staff.proxy_set",
      targetType: "staff_proxy",
      targetId: stored!.id,
      details: {
        before: null,
        after: {
          principalId,
          proxyId: request.proxyId,
          role: request.role,
          agencyCode: request.agencyCode,
          startsAt: request.startsAt.toISOString(),
          endsAt: request.endsAt.toISOString(),
        },
      },
    });
    return { ok: true as const, id: stored!.id };
  });
}

/**
 * Ends a period now. `principalId` given: only a period that principal gave
 * (a staff member revoking their own); null: any (the city administrator).
 */
export async function revokeProxy(
  db: Database,
  actor: StaffActor,
  periodId: string,
  principalId: string | null,
  now = new Date(),
): Promise<{ ok: true } | { ok: false; refusal: "not_found" }> {
  if (!isUuid(periodId)) return { ok: false, refusal: "not_found" };
  const p = schema.staffProxies;
  return db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(p)
      .set({ revokedAt: now })
      .where(and(eq(p.id, periodId), isNull(p.revokedAt), principalId ? eq(p.principalId, principalId) : undefined))
      .returning();
    if (!revoked) return { ok: false as const, refusal: "not_found" as const };
    await auditStaffChange(tx, actor, {
      action: "staff.proxy_revoked",
      targetType: "staff_proxy",
      targetId: periodId,
      details: {
        principalId: revoked.principalId,
        proxyId: revoked.proxyId,
        role: revoked.role,
        agencyCode: revoked.agencyCode,
        before: { revokedAt: null, endsAt: revoked.endsAt.toISOString() },
        after: { revokedAt: now.toISOString() },
      },
    });
    return { ok: true as const };
  });
}

/** A refused proxy form: its problems and what was typed. */
export interface ProxyFormAnswer {
  errors: Partial<Record<ProxyField, ProxyProblem>>;
  values: Partial<Record<ProxyField, string>>;
}

/**
 * The proxy intents of a posted form ("set-proxy", "revoke-proxy") for
 * `principalId`'s periods; `anyPeriod`: the city administrator may end any.
 * Null when the form is about something else.
 */
export async function answerProxyIntent(
  db: Database,
  actor: StaffActor,
  principalId: string,
  form: FormData,
  options: { anyPeriod: boolean },
): Promise<null | { proxy: ProxyFormAnswer | null; done: string | null }> {
  const intent = form.get("intent");
  if (intent === "revoke-proxy") {
    const revoked = await revokeProxy(db, actor, String(form.get("periodId") ?? ""), options.anyPeriod ? null : principalId);
    return { proxy: null, done: revoked.ok ? "proxyRevoked" : "proxyNotFound" };
  }
  if (intent !== "set-proxy") return null;
  const parsed = parseProxyForm(form);
  if (!parsed.ok) return { proxy: { errors: parsed.errors, values: parsed.values }, done: null };
  const stored = await setProxy(db, actor, principalId, parsed.input);
  if (!stored.ok)
    return { proxy: { errors: { [PROXY_REFUSAL_FIELD[stored.refusal]]: stored.refusal }, values: parsed.values }, done: null };
  return { proxy: null, done: "proxySet" };
}
