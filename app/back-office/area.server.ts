import { eq } from "drizzle-orm";
import type { StaffPermission } from "~/domain/staff";
import { schema, type Database } from "~/base/db.server";
import { mayUse, type StaffContext } from "./staff-request.server";

/** The back office's functions, each opened by one permission; the header lists those the staff member may use. */
const BACK_OFFICE_AREAS: ReadonlyArray<{ to: string; key: string; permission: StaffPermission | null }> = [
  { to: "/back-office", key: "home.title", permission: null },
  { to: "/back-office/payments", key: "payments.title", permission: "payments.view" },
  { to: "/back-office/duplicates", key: "duplicates.title", permission: "duplicates.view" },
  { to: "/back-office/refunds", key: "refunds.title", permission: "refunds.view" },
  { to: "/back-office/reconciliation", key: "reconciliation.title", permission: "reconciliation.view" },
  { to: "/back-office/statements", key: "statements.title", permission: "statements.view" },
  { to: "/back-office/statistics", key: "statistics.title", permission: "statistics.view" },
  { to: "/back-office/inbox", key: "inbox.title", permission: "inbox.view" },
  { to: "/back-office/audit", key: "audit.title", permission: "audit.view" },
  { to: "/back-office/mail", key: "mail.title", permission: "mail.view" },
  { to: "/back-office/staff", key: "admin.title", permission: "staff.manage" },
  { to: "/back-office/catalogue", key: "catalogue.title", permission: "integrations.view" },
  { to: "/back-office/proxies", key: "proxies.title", permission: "proxies.set_own" },
  { to: "/back-office/settings", key: "settings.title", permission: "settings.view" },
];

export function areasFor(staff: StaffContext): Array<{ to: string; key: string }> {
  return BACK_OFFICE_AREAS.filter((area) => area.permission === null || mayUse(staff, area.permission)).map(({ to, key }) => ({ to, key }));
}

export async function agencyName(db: Database, agencyCode: string | null, locale: string): Promise<string | null> {
  if (!agencyCode) return null;
  const [row] = await db.select().from(schema.agencies).where(eq(schema.agencies.code, agencyCode));
  return row ? (locale === "en" ? row.nameEn : row.nameZh) : agencyCode;
}
