import type { AppLoadContext } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { agenciesFor, type EffectiveRole, type StaffPermission } from "~/domain/staff";
import { recordAudit } from "~/base/audit.server";
import { getDb, type Database } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { oncePerRequest } from "~/base/request-scope.server";
import { agencyNetworkAllows, refusedByAllowList } from "./allow-list.server";
import { currentStaffSession, hasPasskey, loadRoles, type StaffSession } from "./staff-sessions.server";

/** Who is working in the back office on this request, with the roles they may use now. */
export interface StaffContext {
  session: StaffSession;
  staffId: string;
  name: string;
  agencyCode: string | null;
  roles: EffectiveRole[];
  requestId: string;
}

export function getStaffSession(request: Request): Promise<StaffSession | null> {
  return oncePerRequest(`staff-session|${request.headers.get("cookie") ?? ""}`, () => currentStaffSession(getDb(), getEnv(), request));
}

const noStore = { "Cache-Control": "no-store" };

function backTo(request: Request): string {
  const url = new URL(request.url);
  return encodeURIComponent(`${url.pathname}${url.search}`);
}

/**
 * The signed-in staff member, or a redirect to sign in (or to register a
 * passkey, which every act of consequence needs) that comes back here. A
 * permission named: refused with 403 unless a role grants it for some agency.
 */
export async function requireStaff(
  request: Request,
  context: AppLoadContext,
  options: { permission?: StaffPermission; passkeyRegistration?: boolean } = {},
): Promise<StaffContext> {
  const session = await getStaffSession(request);
  if (!session) throw redirect(`/back-office/login?returnTo=${backTo(request)}`, { headers: noStore });
  if (!agencyNetworkAllows(getEnv(), session.staff.agencyCode, context.clientAddress)) {
    throw refusedByAllowList(context.logger, context.clientAddress, "agency_network", session.staff.agencyCode ?? undefined);
  }
  if (!options.passkeyRegistration && !(await hasPasskey(getDb(), session.staff.id))) {
    throw redirect(`/back-office/passkey?returnTo=${backTo(request)}`, { headers: noStore });
  }
  const roles = await oncePerRequest(`staff-roles|${session.staff.id}`, () => loadRoles(getDb(), session.staff.id));
  const staff: StaffContext = {
    session,
    staffId: session.staff.id,
    name: session.staff.displayName,
    agencyCode: session.staff.agencyCode,
    roles,
    requestId: context.requestId,
  };
  if (options.permission && !mayUse(staff, options.permission)) throw forbidden();
  return staff;
}

/** Whether any role grants the permission somewhere. */
export function mayUse(staff: StaffContext, permission: StaffPermission): boolean {
  const reach = agenciesFor(staff.roles, permission);
  return reach === "all" || reach.length > 0;
}

export const forbidden = () => new Response("Forbidden", { status: 403, headers: noStore });

/**
 * Appends what a staff member did to the audit chain. `actingFor`: the
 * principal whose role was used through a proxy, recorded as "B acting for A".
 * `db`: a transaction, when the act and its entry must stand or fall together.
 */
export async function auditStaffAct(
  staff: Pick<StaffContext, "staffId" | "requestId">,
  act: { action: string; targetType: string; targetId?: string | null; actingFor?: string | null; details?: Record<string, unknown> },
  db: Database = getDb(),
): Promise<void> {
  await recordAudit(db, {
    actorType: "staff",
    actorId: staff.staffId,
    action: act.action,
    targetType: act.targetType,
    targetId: act.targetId ?? null,
    requestId: staff.requestId,
    details: { ...(act.actingFor ? { actingFor: act.actingFor } : {}), ...act.details },
  });
}
