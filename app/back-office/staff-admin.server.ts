import { and, asc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { STAFF_ROLES, isAgencyRole, type StaffRole } from "~/domain/staff";
import { recordAudit } from "~/base/audit.server";
import { schema, type Database } from "~/base/db.server";

/**
 * The city administrator's work on staff accounts: provisioning (the staff
 * identity provider's subject, so a sign-in finds them), role grants and
 * revocations, deactivation. Each change is appended to the audit trail in
 * the same transaction, with what was before and what is after.
 */

/** Who makes the change, as recorded in the audit trail. */
export interface StaffActor {
  staffId: string;
  requestId: string | null;
}

/** "handler@police", "auditor": a role as written in audit details. */
const roleLabel = (grant: { role: StaffRole; agencyCode: string | null }) =>
  grant.agencyCode ? `${grant.role}@${grant.agencyCode}` : grant.role;

export async function auditStaffChange(
  db: Database,
  actor: StaffActor,
  change: { action: string; targetType?: string; targetId: string; details: Record<string, unknown> },
): Promise<void> {
  await recordAudit(db, {
    actorType: "staff",
    actorId: actor.staffId,
    action: change.action,
    targetType: change.targetType ?? "staff",
    targetId: change.targetId,
    requestId: actor.requestId,
    details: change.details,
  });
}

export async function agencyChoices(db: Database): Promise<Array<{ code: string; nameZh: string; nameEn: string }>> {
  return db
    .select({ code: schema.agencies.code, nameZh: schema.agencies.nameZh, nameEn: schema.agencies.nameEn })
    .from(schema.agencies)
    .orderBy(asc(schema.agencies.sortOrder), asc(schema.agencies.code));
}

interface LiveGrant {
  id: string;
  role: StaffRole;
  agencyCode: string | null;
  grantedAt: string;
}

async function liveGrants(db: Database, staffId?: string): Promise<Array<LiveGrant & { staffId: string }>> {
  const r = schema.staffRoles;
  const rows = await db
    .select({ id: r.id, staffId: r.staffId, role: r.role, agencyCode: r.agencyCode, grantedAt: r.grantedAt })
    .from(r)
    .where(and(isNull(r.revokedAt), staffId ? eq(r.staffId, staffId) : undefined))
    .orderBy(asc(r.grantedAt));
  return rows.map((row) => ({ ...row, grantedAt: row.grantedAt.toISOString() }));
}

export interface StaffListing {
  id: string;
  subject: string;
  displayName: string;
  agencyCode: string | null;
  active: boolean;
  lastSignInAt: string | null;
  roles: LiveGrant[];
}

export async function listStaff(db: Database): Promise<StaffListing[]> {
  const people = await db.select().from(schema.staff).orderBy(asc(schema.staff.agencyCode), asc(schema.staff.subject));
  const grants = await liveGrants(db);
  return people.map((person) => listing(person, grants));
}

function listing(person: typeof schema.staff.$inferSelect, grants: ReadonlyArray<LiveGrant & { staffId: string }>): StaffListing {
  return {
    id: person.id,
    subject: person.subject,
    displayName: person.displayName,
    agencyCode: person.agencyCode,
    active: person.active,
    lastSignInAt: person.lastSignInAt?.toISOString() ?? null,
    roles: grants.filter((grant) => grant.staffId === person.id).map(({ staffId: _, ...grant }) => grant),
  };
}

export async function staffMember(db: Database, staffId: string): Promise<StaffListing | null> {
  if (!isUuid(staffId)) return null;
  const [person] = await db.select().from(schema.staff).where(eq(schema.staff.id, staffId));
  return person ? listing(person, await liveGrants(db, staffId)) : null;
}

export const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

// ——— Forms ———

/** Keys under `admin.errors`. */
export type StaffFormProblem =
  | "subjectRequired"
  | "subjectInvalid"
  | "subjectTaken"
  | "nameRequired"
  | "nameTooLong"
  | "agencyUnknown"
  | "roleRequired"
  | "agencyRequired"
  | "agencyNotForCityRole"
  | "agencyNotTheirs"
  | "alreadyHeld";

type FormParse<Field extends string, Input> =
  | { ok: true; input: Input; values: Record<Field, string> }
  | { ok: false; errors: Partial<Record<Field, StaffFormProblem>>; values: Record<Field, string> };

function formValues<Field extends string>(form: FormData, fields: readonly Field[]): Record<Field, string> {
  return Object.fromEntries(
    fields.map((field) => {
      const value = form.get(field);
      return [field, typeof value === "string" ? value.slice(0, 500) : ""];
    }),
  ) as Record<Field, string>;
}

function firstProblems<Field extends string>(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>) {
  const errors: Partial<Record<Field, StaffFormProblem>> = {};
  for (const issue of issues) {
    const field = issue.path[0] as Field;
    errors[field] ??= issue.message as StaffFormProblem;
  }
  return errors;
}

const NEW_STAFF_FIELDS = ["subject", "displayName", "agencyCode"] as const;
export type NewStaffField = (typeof NEW_STAFF_FIELDS)[number];
export interface NewStaff {
  subject: string;
  displayName: string;
  agencyCode: string | null;
}

/** `agencyCode` empty: city staff. */
export function parseNewStaff(form: FormData, agencyCodes: readonly string[]): FormParse<NewStaffField, NewStaff> {
  const values = formValues(form, NEW_STAFF_FIELDS);
  const result = z
    .object({
      subject: z
        .string()
        .trim()
        .min(1, "subjectRequired")
        .regex(/^[A-Za-z0-9._@-]{1,64}$/, "subjectInvalid"),
      displayName: z
        .string()
        .trim()
        .min(1, "nameRequired")
        .refine((v) => [...v].length <= 60, "nameTooLong"),
      agencyCode: z
        .string()
        .refine((v) => v === "" || agencyCodes.includes(v), "agencyUnknown")
        .transform((v) => (v === "" ? null : v)),
    })
    .safeParse(values);
  return result.success ? { ok: true, input: result.data, values } : { ok: false, errors: firstProblems(result.error.issues), values };
}

const ROLE_GRANT_FIELDS = ["role", "agencyCode"] as const;
export type RoleGrantField = (typeof ROLE_GRANT_FIELDS)[number];

/**
 * Agency roles name their agency, city roles none: the database refuses
 * anything else (staff_roles_scope), the form says so first.
 */
export function parseRoleGrant(
  form: FormData,
  agencyCodes: readonly string[],
): FormParse<RoleGrantField, { role: StaffRole; agencyCode: string | null }> {
  const values = formValues(form, ROLE_GRANT_FIELDS);
  const result = z
    .object({
      role: z.enum(STAFF_ROLES, { error: "roleRequired" }),
      agencyCode: z.string().refine((v) => v === "" || agencyCodes.includes(v), "agencyUnknown"),
    })
    .superRefine((v, ctx) => {
      if (isAgencyRole(v.role) && v.agencyCode === "") ctx.addIssue({ code: "custom", path: ["agencyCode"], message: "agencyRequired" });
      if (!isAgencyRole(v.role) && v.agencyCode !== "")
        ctx.addIssue({ code: "custom", path: ["agencyCode"], message: "agencyNotForCityRole" });
    })
    .safeParse(values);
  if (!result.success) return { ok: false, errors: firstProblems(result.error.issues), values };
  return { ok: true, input: { role: result.data.role, agencyCode: result.data.agencyCode || null }, values };
}

// ——— Changes ———

const uniqueViolation = (error: unknown) => {
  const e = error as { code?: string; cause?: { code?: string } };
  return (e.cause?.code ?? e.code) === "23505";
};

export async function createStaff(
  db: Database,
  actor: StaffActor,
  input: NewStaff,
  now = new Date(),
): Promise<{ ok: true; id: string } | { ok: false; problem: "subjectTaken" }> {
  try {
    return await db.transaction(async (tx) => {
      const [created] = await tx
        .insert(schema.staff)
        .values({ subject: input.subject, displayName: input.displayName, agencyCode: input.agencyCode, createdAt: now })
        .returning({ id: schema.staff.id });
      await auditStaffChange(tx, actor, {
        action: "staff.created",
        targetId: created!.id,
        details: { before: null, after: { ...input, active: true, roles: [] } },
      });
      return { ok: true as const, id: created!.id };
    });
  } catch (error) {
    if (uniqueViolation(error)) return { ok: false, problem: "subjectTaken" };
    throw error;
  }
}

export type RoleChangeRefusal = "not_found" | "already_held" | "own_city_admin" | "other_agency";

export async function grantRole(
  db: Database,
  actor: StaffActor,
  staffId: string,
  grant: { role: StaffRole; agencyCode: string | null },
  now = new Date(),
): Promise<{ ok: true } | { ok: false; refusal: RoleChangeRefusal }> {
  if (!isUuid(staffId)) return { ok: false, refusal: "not_found" };
  try {
    return await db.transaction(async (tx) => {
      const [person] = await tx
        .select({ id: schema.staff.id, agencyCode: schema.staff.agencyCode })
        .from(schema.staff)
        .where(eq(schema.staff.id, staffId));
      if (!person) return { ok: false as const, refusal: "not_found" as const };
      // An agency's role goes to that agency's own staff: a police clerk never works the water company's money.
      if (isAgencyRole(grant.role) && grant.agencyCode !== person.agencyCode)
        return { ok: false as const, refusal: "other_agency" as const };
      const before = (await liveGrants(tx, staffId)).map(roleLabel);
      if (before.includes(roleLabel(grant))) return { ok: false as const, refusal: "already_held" as const };
      await tx
        .insert(schema.staffRoles)
        .values({ staffId, role: grant.role, agencyCode: grant.agencyCode, grantedBy: actor.staffId, grantedAt: now });
      await auditStaffChange(tx, actor, {
        action: "staff.role_granted",
        targetId: staffId,
        details: {
          role: grant.role,
          agencyCode: grant.agencyCode,
          before: { roles: before },
          after: { roles: [...before, roleLabel(grant)] },
        },
      });
      return { ok: true as const };
    });
  } catch (error) {
    // Granted by someone else at the same moment.
    if (uniqueViolation(error)) return { ok: false, refusal: "already_held" };
    throw error;
  }
}

/** The administrator keeps their own city_admin role: revoking it could leave the city with nobody to manage staff. */
export async function revokeRole(
  db: Database,
  actor: StaffActor,
  staffId: string,
  grantId: string,
  now = new Date(),
): Promise<{ ok: true } | { ok: false; refusal: RoleChangeRefusal }> {
  if (!isUuid(staffId) || !isUuid(grantId)) return { ok: false, refusal: "not_found" };
  return db.transaction(async (tx) => {
    const grants = await liveGrants(tx, staffId);
    const grant = grants.find((g) => g.id === grantId);
    if (!grant) return { ok: false as const, refusal: "not_found" as const };
    if (grant.role === "city_admin" && staffId === actor.staffId) return { ok: false as const, refusal: "own_city_admin" as const };
    const revoked = await tx
      .update(schema.staffRoles)
      .set({ revokedAt: now, revokedBy: actor.staffId })
      .where(and(eq(schema.staffRoles.id, grantId), isNull(schema.staffRoles.revokedAt)))
      .returning({ id: schema.staffRoles.id });
    if (revoked.length === 0) return { ok: false as const, refusal: "not_found" as const };
    const before = grants.map(roleLabel);
    await auditStaffChange(tx, actor, {
      action: "staff.role_revoked",
      targetId: staffId,
      details: {
        role: grant.role,
        agencyCode: grant.agencyCode,
        before: { roles: before },
        after: { roles: grants.filter((g) => g.id !== grantId).map(roleLabel) },
      },
    });
    return { ok: true as const };
  });
}

/**
 * Deactivated staff cannot sign in, and their sessions stop at the next
 * request (currentStaffSession checks `active`); their roles stay on record
 * and reach nobody through a proxy meanwhile (loadRoles).
 */
export async function setStaffActive(
  db: Database,
  actor: StaffActor,
  staffId: string,
  active: boolean,
): Promise<{ ok: true } | { ok: false; refusal: "not_found" | "own_account" | "unchanged" }> {
  if (!isUuid(staffId)) return { ok: false, refusal: "not_found" };
  if (staffId === actor.staffId && !active) return { ok: false, refusal: "own_account" };
  return db.transaction(async (tx) => {
    const [person] = await tx.select({ active: schema.staff.active }).from(schema.staff).where(eq(schema.staff.id, staffId));
    if (!person) return { ok: false as const, refusal: "not_found" as const };
    if (person.active === active) return { ok: false as const, refusal: "unchanged" as const };
    await tx.update(schema.staff).set({ active }).where(eq(schema.staff.id, staffId));
    await auditStaffChange(tx, actor, {
      action: active ? "staff.reactivated" : "staff.deactivated",
      targetId: staffId,
      details: { before: { active: person.active }, after: { active } },
    });
    return { ok: true as const };
  });
}
