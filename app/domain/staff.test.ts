import { describe, expect, it } from "vitest";
import {
  AGENCY_ROLES,
  ROLE_PERMISSIONS,
  STAFF_PERMISSIONS,
  agenciesFor,
  allows,
  checkProxyPeriod,
  effectiveRoles,
  mayTakeStep,
  type ProxyPeriod,
  type RoleAssignment,
} from "./staff";

const day = 86_400_000;
const now = new Date("2026-12-01T03:00:00Z");
const assignments: RoleAssignment[] = [
  { staffId: "ana", role: "handler", agencyCode: "police" },
  { staffId: "bo", role: "reviewer", agencyCode: "police" },
  { staffId: "chen", role: "handler", agencyCode: "police" },
  { staffId: "dai", role: "accounting_head", agencyCode: "police" },
  { staffId: "wu", role: "handler", agencyCode: "water" },
  { staffId: "audit", role: "auditor", agencyCode: null },
  { staffId: "admin", role: "city_admin", agencyCode: null },
];
const proxy = (over: Partial<ProxyPeriod> = {}): ProxyPeriod => ({
  principalId: "bo",
  proxyId: "chen",
  role: "reviewer",
  agencyCode: "police",
  startsAt: new Date(now.getTime() - day),
  endsAt: new Date(now.getTime() + day),
  revokedAt: null,
  ...over,
});

describe("staff roles and scope", () => {
  it("grants every permission to some role, and keeps the auditor's and the agencies' hands off administration", () => {
    for (const permission of STAFF_PERMISSIONS)
      expect(
        Object.values(ROLE_PERMISSIONS).some((granted) => granted.includes(permission)),
        permission,
      ).toBe(true);
    for (const role of [...AGENCY_ROLES, "auditor" as const]) {
      expect(ROLE_PERMISSIONS[role], role).not.toContain("staff.manage");
      expect(ROLE_PERMISSIONS[role], role).not.toContain("settings.view");
      expect(ROLE_PERMISSIONS[role], role).not.toContain("catalogue.manage");
      expect(ROLE_PERMISSIONS[role], role).not.toContain("integrations.manage");
    }
    // Agencies' staff do not see other agencies' receivers and keys; the auditor reads them.
    for (const role of AGENCY_ROLES) expect(ROLE_PERMISSIONS[role], role).not.toContain("integrations.view");
    expect(ROLE_PERMISSIONS.auditor).toContain("integrations.view");
    expect(ROLE_PERMISSIONS.auditor.filter((p) => p === "inbox.work" || p === "proxies.set_own")).toEqual([]);
    // The portal's mails are city-wide: the auditor and the city administrator see the delivery log, no agency does.
    for (const role of AGENCY_ROLES) expect(ROLE_PERMISSIONS[role], role).not.toContain("mail.view");
    expect(ROLE_PERMISSIONS.auditor).toContain("mail.view");
    expect(ROLE_PERMISSIONS.city_admin).toContain("mail.view");
  });

  it("scopes agency roles to their agency", () => {
    const roles = effectiveRoles("ana", assignments, [], now);
    expect(allows(roles, "payments.view", "police")).toBe(true);
    expect(allows(roles, "payments.view", "water")).toBe(false);
    expect(agenciesFor(roles, "payments.view")).toEqual(["police"]);
  });

  it("lets the auditor read every agency but change nothing, and keeps the city administrator out of payments", () => {
    const auditor = effectiveRoles("audit", assignments, [], now);
    expect(agenciesFor(auditor, "payments.view")).toBe("all");
    expect(allows(auditor, "inbox.work", "police")).toBe(false);
    expect(allows(auditor, "staff.manage", null)).toBe(false);
    const admin = effectiveRoles("admin", assignments, [], now);
    expect(agenciesFor(admin, "payments.view")).toEqual([]);
    expect(allows(admin, "staff.manage", null)).toBe(true);
  });

  it("gives a proxy the principal's role only while the period runs", () => {
    expect(effectiveRoles("chen", assignments, [proxy()], now)).toContainEqual({ role: "reviewer", agencyCode: "police", actingFor: "bo" });
    const expired = proxy({ endsAt: new Date(now.getTime() - 1) });
    expect(effectiveRoles("chen", assignments, [expired], now).map((r) => r.role)).toEqual(["handler"]);
    const future = proxy({ startsAt: new Date(now.getTime() + 1) });
    expect(effectiveRoles("chen", assignments, [future], now).map((r) => r.role)).toEqual(["handler"]);
    const revoked = proxy({ revokedAt: now });
    expect(effectiveRoles("chen", assignments, [revoked], now).map((r) => r.role)).toEqual(["handler"]);
  });

  it("ends a proxy's role when the principal no longer holds it", () => {
    const withoutBo = assignments.filter((a) => a.staffId !== "bo");
    expect(effectiveRoles("chen", withoutBo, [proxy()], now).map((r) => r.role)).toEqual(["handler"]);
  });
});

describe("approval chains", () => {
  const order = [
    { step: "request", role: "handler" as const },
    { step: "review", role: "reviewer" as const },
    { step: "accounting", role: "accounting_head" as const },
  ];
  const roles = (id: string, proxies: ProxyPeriod[] = []) => ({ staffId: id, roles: effectiveRoles(id, assignments, proxies, now) });

  it("takes steps in order, each by the role that holds it", () => {
    expect(mayTakeStep({ order, agencyCode: "police", taken: [] }, "request", roles("ana"))).toMatchObject({ ok: true });
    expect(mayTakeStep({ order, agencyCode: "police", taken: [] }, "review", roles("bo"))).toEqual({
      ok: false,
      reason: "step_out_of_order",
    });
    const taken = [{ step: "request", staffId: "ana", actingFor: null }];
    expect(mayTakeStep({ order, agencyCode: "police", taken }, "review", roles("dai"))).toEqual({ ok: false, reason: "role_not_held" });
    expect(mayTakeStep({ order, agencyCode: "water", taken }, "review", roles("bo"))).toEqual({ ok: false, reason: "role_not_held" });
    expect(mayTakeStep({ order, agencyCode: "police", taken }, "review", roles("bo"))).toMatchObject({ ok: true });
  });

  it("refuses a proxy approving their own request", () => {
    const taken = [{ step: "request", staffId: "chen", actingFor: null }];
    expect(mayTakeStep({ order, agencyCode: "police", taken }, "review", roles("chen", [proxy()]))).toEqual({
      ok: false,
      reason: "already_in_chain",
    });
  });

  it("refuses a second step by the person a proxy acts for", () => {
    // bo requested through some role; chen, bo's proxy, may not then review for bo.
    const taken = [{ step: "request", staffId: "bo", actingFor: null }];
    expect(mayTakeStep({ order, agencyCode: "police", taken }, "review", roles("chen", [proxy()]))).toEqual({
      ok: false,
      reason: "already_in_chain",
    });
  });

  it("records on whose behalf a proxy acts", () => {
    const taken = [{ step: "request", staffId: "ana", actingFor: null }];
    const result = mayTakeStep({ order, agencyCode: "police", taken }, "review", roles("chen", [proxy()]));
    expect(result).toEqual({ ok: true, acting: { role: "reviewer", agencyCode: "police", actingFor: "bo" } });
  });
});

describe("proxy periods as asked for", () => {
  const facts = { principalAssignments: assignments.filter((a) => a.staffId === "bo"), proxyAgencyCode: "police", now };
  const request = {
    principalId: "bo",
    proxyId: "chen",
    role: "reviewer" as const,
    agencyCode: "police",
    startsAt: now,
    endsAt: new Date(now.getTime() + 7 * day),
  };

  it("accepts a period within the agency", () => expect(checkProxyPeriod(request, facts)).toBeNull());
  it("refuses oneself, a role not held, another agency's proxy, and bad periods", () => {
    expect(checkProxyPeriod({ ...request, proxyId: "bo" }, facts)).toBe("self");
    expect(checkProxyPeriod({ ...request, role: "releaser" }, facts)).toBe("not_holder");
    expect(checkProxyPeriod(request, { ...facts, proxyAgencyCode: "water" })).toBe("proxy_elsewhere");
    expect(checkProxyPeriod({ ...request, endsAt: now }, facts)).toBe("ends_before_start");
    expect(checkProxyPeriod({ ...request, endsAt: new Date(now.getTime() + 91 * day) }, facts)).toBe("too_long");
    expect(
      checkProxyPeriod({ ...request, startsAt: new Date(now.getTime() - 9 * day), endsAt: new Date(now.getTime() - day) }, facts),
    ).toBe("in_the_past");
  });
});
