import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENCY_ROLES } from "~/domain/staff";
import { createRelyingParty } from "~/base/oidc-login.server";
import { schema } from "~/base/db.server";
import { verifyAuditChain } from "~/base/audit.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { DEMO_STAFF, DEMO_STAFF_PASSWORD } from "~/demo/data/staff";
import { createIdentityProvider, staffDirectory } from "~/demo/identity-provider.server";
import { DEMO_STAFF_OIDC_CLIENT } from "~/demo/keys";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";
import { listenLater, loginAtProvider } from "../support/members";

/**
 * The demo staff: one list that the staff identity provider signs in and the
 * seed gives roles, so every demo account reaches the back office with its role.
 */

describe("the demo staff list", () => {
  it("has every agency role at the police and at the water company, more than one police handler and reviewer, and the city-wide roles", () => {
    for (const agency of ["police", "water"]) {
      expect(new Set(DEMO_STAFF.filter((member) => member.agencyCode === agency).map((member) => member.role))).toEqual(
        new Set(AGENCY_ROLES),
      );
    }
    // Proxies and refund chains need colleagues: nobody takes two steps of one refund.
    expect(DEMO_STAFF.filter((member) => member.agencyCode === "police" && member.role === "handler")).toHaveLength(3);
    expect(DEMO_STAFF.filter((member) => member.agencyCode === "police" && member.role === "reviewer")).toHaveLength(2);
    expect(DEMO_STAFF.filter((member) => member.agencyCode === "water" && member.role === "handler")).toHaveLength(2);
    expect(DEMO_STAFF.filter((member) => member.agencyCode === null).map((member) => member.role)).toEqual(["auditor", "city_admin"]);
    expect(new Set(DEMO_STAFF.map((member) => member.sub)).size).toBe(DEMO_STAFF.length);
    expect(new Set(DEMO_STAFF.map((member) => member.username)).size).toBe(DEMO_STAFF.length);
  });

  it("is the README's table", () => {
    const table = readFileSync("README.md", "utf8").split("<!-- demo-staff:start -->")[1]!.split("<!-- demo-staff:end -->")[0]!;
    const rows = table
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    expect(
      rows.map(([, username, password, name, agency, role]) => [username, password, name, agency!.split(" ")[0], role!.split(" ")[0]]),
    ).toEqual(
      DEMO_STAFF.map((member) => [
        `\`${member.username}\``,
        `\`${member.password}\``,
        member.name,
        member.agencyCode ?? "city-wide",
        member.role,
      ]),
    );
  });
});

describeEachDatabase(
  "seeding the demo staff",
  (database) => {
    const db = () => database().db;
    const grantsAudited = () =>
      db()
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.action, "staff.role_granted"), eq(schema.auditLog.actorType, "system")));

    it("gives every demo staff member an account and a role, and audits each grant", async () => {
      expect(await seedDemoStaff(db())).toEqual({ staff: DEMO_STAFF.length, grants: DEMO_STAFF.length });
      const roles = await db()
        .select({ subject: schema.staff.subject, role: schema.staffRoles.role, agencyCode: schema.staffRoles.agencyCode })
        .from(schema.staffRoles)
        .innerJoin(schema.staff, eq(schema.staff.id, schema.staffRoles.staffId))
        .where(isNull(schema.staffRoles.revokedAt));
      expect(new Set(roles.map((row) => `${row.subject} ${row.role} ${row.agencyCode}`))).toEqual(
        new Set(DEMO_STAFF.map((member) => `${member.sub} ${member.role} ${member.agencyCode}`)),
      );
      const audited = await grantsAudited();
      expect(audited).toHaveLength(DEMO_STAFF.length);
      expect(audited[0]!.targetType).toBe("staff");
      expect((await verifyAuditChain(db())).ok).toBe(true);
    });

    it("changes nothing on the next start, and leaves roles an administrator changed as they are", async () => {
      const [head] = await db().select().from(schema.staff).where(eq(schema.staff.subject, "st-police-head"));
      await db()
        .update(schema.staffRoles)
        .set({ revokedAt: new Date() })
        .where(and(eq(schema.staffRoles.staffId, head!.id), isNull(schema.staffRoles.revokedAt)));
      await db().insert(schema.staffRoles).values({ staffId: head!.id, role: "reviewer", agencyCode: "police" });

      expect(await seedDemoStaff(db())).toEqual({ staff: 0, grants: 0 });
      const live = await db()
        .select({ role: schema.staffRoles.role })
        .from(schema.staffRoles)
        .where(and(eq(schema.staffRoles.staffId, head!.id), isNull(schema.staffRoles.revokedAt)));
      expect(live.map((row) => row.role)).toEqual(["reviewer"]);
      expect(await grantsAudited()).toHaveLength(DEMO_STAFF.length);
    });

    it("gives the demo role back to a demo account left with no live role", async () => {
      const [head] = await db().select().from(schema.staff).where(eq(schema.staff.subject, "st-police-head"));
      await db().update(schema.staffRoles).set({ revokedAt: new Date() }).where(eq(schema.staffRoles.staffId, head!.id));
      expect(await seedDemoStaff(db())).toEqual({ staff: 0, grants: 1 });
      expect(await grantsAudited()).toHaveLength(DEMO_STAFF.length + 1);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "test-pii-key-test-pii-key-test-pii-key", billsPerType: 1, residents: 2 });
  },
);

describe("the local staff identity provider", () => {
  let idp: Awaited<ReturnType<typeof listenLater>>;
  let env: ReturnType<typeof demoEnv>;

  beforeAll(async () => {
    idp = await listenLater();
    env = demoEnv({
      PUBLIC_URL: "http://127.0.0.1:3999",
      STAFF_OIDC_ISSUER: idp.url,
      STAFF_OIDC_CLIENT_ID: DEMO_STAFF_OIDC_CLIENT.clientId,
      STAFF_OIDC_CLIENT_SECRET: DEMO_STAFF_OIDC_CLIENT.clientSecret,
      OIDC_ALLOW_HTTP: "true",
    });
    const { app } = createIdentityProvider({
      issuer: env.staffOidc!.issuer,
      clientId: env.staffOidc!.clientId,
      clientSecret: env.staffOidc!.clientSecret,
      redirectUris: [`${env.PUBLIC_URL}/back-office/auth/callback`],
      postLogoutRedirectUris: [`${env.PUBLIC_URL}/back-office/signed-out`],
      cookieSecret: "test-staff-identity-provider-cookie-secret",
      directory: staffDirectory(),
    });
    idp.handle(app as never);
  });
  afterAll(() => new Promise<void>((resolve) => (idp.server as Server).close(() => resolve())));

  // The back office's relying party, as the portal makes it for the staff directory.
  const relyingParty = () =>
    createRelyingParty({
      settings: () => env.staffOidc,
      redirectUri: `${env.PUBLIC_URL}/back-office/auth/callback`,
      postLogoutRedirectUri: `${env.PUBLIC_URL}/back-office/signed-out`,
      scope: "openid profile",
      cookieName: "test_staff_oidc",
      cookiePath: "/back-office/auth",
      cookieSecret: env.SESSION_SECRET,
      secureCookie: false,
      defaultReturnTo: "/back-office",
    });

  it("signs a demo staff member in and tells their name", async () => {
    const party = relyingParty();
    const begun = await party.beginLogin("/back-office", "zh-TW");
    const callback = await loginAtProvider(begun.url, "police-handler", DEMO_STAFF_PASSWORD);
    const { login } = await party.completeLogin(new Request(callback, { headers: { cookie: begun.setCookie.split(";")[0]! } }));
    expect(login).toMatchObject({ issuer: idp.url, subject: "st-police-handler", userInfo: { name: "陳建宏" } });
    expect(login.userInfo).not.toHaveProperty("national_id");
  });

  it("has a login page of its own: the staff directory's words and accounts, its own cookies, and an error summary", async () => {
    const begun = await relyingParty().beginLogin("/back-office", "en");
    const authorization = await fetch(begun.url, { redirect: "manual" });
    // Cookies ignore ports: the residents' provider on the same host keeps its `_session` and `_interaction`.
    const cookies = authorization.headers.getSetCookie();
    expect(cookies.some((cookie) => cookie.startsWith("_staff_interaction="))).toBe(true);
    expect(cookies.some((cookie) => cookie.startsWith("_interaction="))).toBe(false);
    const loginUrl = new URL(authorization.headers.get("location")!, idp.url);
    const cookie = cookies.map((c) => c.split(";")[0]).join("; ");

    const html = await (await fetch(loginUrl, { headers: { cookie } })).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<a class="skip-link" href="#C">Skip to main content</a>');
    expect(html).toContain("<h1>Sign in with your Taichung City staff account</h1>");
    expect(html).toContain('<label for="username">Username</label>');
    expect(html).toContain("<td>Taichung City Police Department: Handler</td>");
    expect(html).toContain("<td>Taichung City Government (city-wide): Auditor</td>");
    for (const member of DEMO_STAFF) expect(html).toContain(`<td>${member.username}</td>`);
    expect(html).not.toContain("meihsin");

    // A resident's account is not the staff directory's.
    const refused = await fetch(new URL(`${loginUrl.pathname}/login`, idp.url), {
      method: "POST",
      body: new URLSearchParams({ username: "meihsin", password: "demo-1234" }),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(refused.status).toBe(400);
    const error = await refused.text();
    expect(error).toContain('<div class="error-summary" role="alert"');
    expect(error).toContain("<title>Sign-in failed: Sign in with your Taichung City staff account</title>");
  });
});
