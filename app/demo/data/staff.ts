import { isAgencyRole, type StaffRole } from "~/domain/staff";

/**
 * The demo staff of the city's staff directory: every agency role at the
 * police and at the water company, a second police handler (a proxy needs
 * someone to stand in), and the city-wide auditor and administrator. The
 * staff identity provider signs them in and the seed gives them their roles,
 * both from this one list, so a demo account always has its role.
 */

export const DEMO_STAFF_PASSWORD = "staff-demo-1234";

export interface DemoStaffMember {
  /** The employee number: the staff identity provider's `sub`, the portal's `staff.subject`. */
  sub: string;
  username: string;
  password: string;
  name: string;
  /** Null for city staff. */
  agencyCode: string | null;
  role: StaffRole;
}

function member(username: string, name: string, role: StaffRole, agencyCode: string | null = null): DemoStaffMember {
  if (isAgencyRole(role) !== (agencyCode !== null)) throw new Error(`demo staff ${username}: agency roles need an agency, city roles none`);
  return { sub: `st-${username}`, username, password: DEMO_STAFF_PASSWORD, name, agencyCode, role };
}

export const DEMO_STAFF: readonly DemoStaffMember[] = [
  member("police-handler", "陳建宏", "handler", "police"),
  member("police-handler-2", "吳冠廷", "handler", "police"),
  member("police-handler-3", "王志豪", "handler", "police"),
  member("police-reviewer", "林淑芬", "reviewer", "police"),
  member("police-reviewer-2", "江美玲", "reviewer", "police"),
  member("police-accounting", "黃俊傑", "accounting_head", "police"),
  member("police-head", "張文彬", "agency_head", "police"),
  member("police-releaser", "李雅婷", "releaser", "police"),
  member("water-handler", "劉怡君", "handler", "water"),
  member("water-handler-2", "邱俊宏", "handler", "water"),
  member("water-reviewer", "蔡明哲", "reviewer", "water"),
  member("water-accounting", "楊惠雯", "accounting_head", "water"),
  member("water-head", "許志明", "agency_head", "water"),
  member("water-releaser", "鄭佩珊", "releaser", "water"),
  member("auditor", "謝宗翰", "auditor"),
  member("city-admin", "周雅惠", "city_admin"),
];
