import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { captchaAnswer } from "~/lookup/captcha.server";
import { DEMO_SECRETS } from "~/demo/keys";
import {
  PRODUCTION_SECRETS,
  createPostgresDatabase,
  demoPorts,
  freePort,
  spawnPortal as start,
  startPortal,
  waitForListening,
} from "../support/portal-process.mjs";

/** The built server as a deployment runs it: `node server.js`. */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("the server process", () => {
  it("refuses to start with a bad variable and says which one and why", async () => {
    const server = start({ PORT: "eighty" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('PORT must be a port number (got "eighty")');
    expect(server.output()).toContain("The portal did not start");
  });

  it("outside demo mode needs its own secrets, and refuses the public demo keys", async () => {
    const bare = start({ DEMO_MODE: "false" });
    expect(await bare.exited).toBe(1);
    expect(bare.output()).toContain("PII_HMAC_KEY is required");
    const withDemoKey = start({
      DEMO_MODE: "false",
      ...PRODUCTION_SECRETS,
      SESSION_SECRET: "demo-only-session-secret-do-not-use-in-production-01",
    });
    expect(await withDemoKey.exited).toBe(1);
    expect(withDemoKey.output()).toContain("SESSION_SECRET must not be a public demo key outside demo mode");
  });

  it("is no demo on PostgreSQL unless asked: with DATABASE_URL alone it wants production secrets, not sandboxes", async () => {
    const server = start({ DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("PII_HMAC_KEY is required");
    expect(server.output()).not.toContain("sandbox");
  });

  it("refuses, in demo mode, payment providers that are not sandboxes, and the retired AGENCY_WEBHOOKS setting", async () => {
    for (const [variables, message] of [
      [{ LINE_PAY_API_URL: "https://api-pay.line.me" }, "LINE_PAY_API_URL must be a sandbox in demo mode"],
      [{ ECPAY_CHECKOUT_URL: "https://payment.ecpay.com.tw/Cashier/AioCheckOut/V5" }, "ECPAY_CHECKOUT_URL must be a sandbox in demo mode"],
      [{ ECPAY_API_URL: "https://payment.ecpay.com.tw" }, "ECPAY_API_URL must be a sandbox in demo mode"],
      [
        {
          AGENCY_WEBHOOKS: JSON.stringify([{ agency: "police", url: "https://police.example.gov.tw/write-offs", secret: "x".repeat(32) }]),
        },
        // Receivers are set in the back office now; a left-over setting is refused, not silently dropped.
        "AGENCY_WEBHOOKS is no longer read",
      ],
    ] as const) {
      const server = start({ DEMO_MODE: "true", ...variables });
      expect(await server.exited, message).toBe(1);
      expect(server.output()).toContain(message);
      expect(server.output()).toContain("The portal did not start");
    }
  });

  it("refuses to start when the back office's agency networks name an agency the catalogue does not have", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "portal-process-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const server = start({
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      ...(await demoPorts()),
      // A typo: the police would otherwise go unrestricted.
      BACK_OFFICE_AGENCY_NETWORKS: JSON.stringify([{ agency: "polcie", networks: ["10.20.0.0/16"] }]),
    });
    cleanups.push(async () => {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("BACK_OFFICE_AGENCY_NETWORKS names agencies the catalogue does not have (polcie)");
  });

  it("serves /healthz from a fresh data directory and stops cleanly on SIGTERM", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "portal-process-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const server = start({ PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, SEED_DEMO_DATA: "false", ...(await demoPorts()) });
    cleanups.push(async () => {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    });
    await waitForListening(server);

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", database: "ok" });
    expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("shutting down");
    expect(server.output()).toContain('"msg":"stopped"');
  });
});

describe("pages of the server process", () => {
  it("sends a page without deferred data whole, with its length, not in chunks", async () => {
    const portal = await startPortal();
    cleanups.push(portal.stop);
    for (const path of ["/lookup/parking-fee", "/faq", "/payments/NOSUCHORDER123"]) {
      const page = await fetch(`${portal.url}${path}`, { headers: { "accept-encoding": "identity" } });
      const body = Buffer.from(await page.arrayBuffer());
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("transfer-encoding")).toBeNull();
      expect(page.headers.get("content-length")).toBe(String(body.byteLength));
      expect(body.toString("utf8")).toMatch(/<\/html>$/);
    }
  });
});

describe("the look-up page kept rendered", () => {
  it("gives each new visitor a captcha and a session of its own, and the captcha works only with its own session", async () => {
    const portal = await startPortal();
    cleanups.push(portal.stop);
    const visits = [];
    for (let i = 0; i < 3; i++) {
      const page = await fetch(`${portal.url}/lookup/traffic-fine`, { headers: { "accept-language": "zh-TW" } });
      const body = await page.text();
      visits.push({
        body,
        token: /name="captchaToken" value="([^"]+)"/.exec(body)?.[1] ?? "",
        cookie:
          page.headers
            .getSetCookie()
            .find((c) => c.startsWith("portal_session="))
            ?.split(";")[0] ?? "",
        nonce: /'nonce-([^']+)'/.exec(page.headers.get("content-security-policy") ?? "")?.[1] ?? "",
        cacheControl: page.headers.get("cache-control"),
      });
    }
    expect(new Set(visits.map((visit) => visit.token)).size).toBe(3);
    expect(new Set(visits.map((visit) => visit.cookie)).size).toBe(3);
    for (const visit of visits) {
      expect(visit.cookie).toMatch(/^portal_session=./);
      expect(visit.cacheControl).toBe("no-store");
      expect(visit.body).toContain(`nonce="${visit.nonce}"`);
      expect(visit.body).toContain(`token=${visit.token}`);
      expect(visit.body).toMatch(/<\/html>$/);
      for (const other of visits.filter((o) => o !== visit)) expect(visit.body).not.toContain(other.token.split(".")[1]);
    }
    const lookUp = (token: string, cookie: string) =>
      fetch(`${portal.url}/lookup/traffic-fine`, {
        method: "POST",
        redirect: "manual",
        headers: { origin: portal.url, cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          intent: "lookup",
          writeOffNumber: "GF11500019",
          captchaToken: token,
          captchaAnswer: captchaAnswer(DEMO_SECRETS.CAPTCHA_SECRET, token.split(".")[1]!),
        }),
      });
    // Another visitor's session cannot use it, and the form says so.
    const foreign = await lookUp(visits[2]!.token, visits[1]!.cookie);
    expect(foreign.status).toBe(400);
    expect(await foreign.text()).toMatch(/驗證碼/);
    const own = await lookUp(visits[2]!.token, visits[2]!.cookie);
    expect(own.status).toBe(303);
    expect(own.headers.get("location")).toBe("/bills");
  });
});

describe("readiness and metrics of the server process", () => {
  it("answers /readyz when ready, and /metrics only on METRICS_PORT with the pages' route ids", async () => {
    const metricsPort = await freePort();
    const portal = await startPortal({ METRICS_PORT: String(metricsPort) });
    cleanups.push(portal.stop);
    expect(portal.output()).toContain(`"url":"http://127.0.0.1:${metricsPort}/metrics"`);

    const ready = await fetch(`${portal.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("cache-control")).toBe("no-store");
    expect(await ready.json()).toEqual({ status: "ready", notReady: [], database: "ok", migrations: "applied", stalledJobs: [] });

    // Never on the public port.
    const publicMetrics = await fetch(`${portal.url}/metrics`);
    expect(publicMetrics.status).toBe(404);
    expect(await publicMetrics.text()).not.toContain("bill_portal_");

    const page = await fetch(`${portal.url}/payments/NOSUCHORDER123`);
    expect(page.status).toBeLessThan(500);
    // Read to its end: the request is measured once its answer is.
    await page.text();
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toContain("text/plain");
    const text = await scrape.text();
    expect(text).toMatch(/bill_portal_http_request_duration_seconds_count\{route="readyz",method="GET",status_class="2xx"\} 1\n/);
    expect(text).toMatch(
      /bill_portal_http_request_duration_seconds_count\{route="routes\/payments\.\$reference",method="GET",status_class="\dxx"\} 1\n/,
    );
    expect(text).not.toContain("NOSUCHORDER123");
    expect(text).toContain("# TYPE bill_portal_payment_orders gauge");
    expect(text).toContain('bill_portal_outbox_depth{outbox="write_off_notices"}');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("the server process on PostgreSQL", () => {
  it("answers /healthz with 503 and pages with a localized error while the database is unreachable, and recovers", async () => {
    const { admin, name, url, drop } = await createPostgresDatabase(process.env.TEST_DATABASE_URL!);
    cleanups.push(drop);
    const port = await freePort();
    // As a city runs it: PostgreSQL, its own secrets, no demo.
    const server = start({ PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: url, ...PRODUCTION_SECRETS });
    cleanups.push(async () => {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
      await server.exited;
    });
    await waitForListening(server);
    expect(server.output()).toContain('"demo":false');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    // Nobody may connect, and the portal's open connections are cut.
    await admin.unsafe(`alter database "${name}" with allow_connections false`);
    await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);
    const down = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: "error", database: "unreachable" });

    // A page that needs the database: a localized error page with a reference, no internals.
    for (const [language, heading, reference] of [
      ["zh-TW", "系統暫時無法處理您的要求", "錯誤代碼："],
      ["en", "Sorry, the system could not handle your request", "Error reference: "],
    ]) {
      const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { "accept-language": language! } });
      const html = await page.text();
      expect(page.status).toBe(500);
      expect(html).toContain(heading);
      expect(html).toContain(`${reference}${page.headers.get("x-request-id")}`);
      expect(html).not.toMatch(/at \S+ \(|node_modules|ECONNREFUSED|postgres/i);
    }

    // The same failure met by an in-browser navigation (a data request): the browser is told
    // that request's own id, which the error page quotes, and still nothing internal.
    const data = await fetch(`http://127.0.0.1:${port}/?_data=routes%2F_index`);
    expect(data.status).toBe(500);
    expect(data.headers.get("x-remix-error")).toBe("yes");
    const failure = (await data.json()) as { message: string };
    expect(failure.message).toBe(`Unexpected Server Error [ref ${data.headers.get("x-request-id")}]`);
    expect(JSON.stringify(failure)).not.toMatch(/at \S+ \(|node_modules|ECONNREFUSED|postgres/i);

    await admin.unsafe(`alter database "${name}" with allow_connections true`);
    const up = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(up.status).toBe(200);
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)("look-up counts of the server process", () => {
  it("writes the look-ups it counted in memory when it stops, after answering them", async () => {
    const portal = await startPortal({}, { postgresAdminUrl: process.env.TEST_DATABASE_URL });
    cleanups.push(portal.stop);
    // Typed numbers that break the rule: refused before any captcha, each counted as a look-up.
    const lookups = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${portal.url}/lookup/traffic-fine`, {
          method: "POST",
          headers: { origin: portal.url, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ intent: "lookup", writeOffNumber: "GF1" }),
        }),
      ),
    );
    expect(lookups.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400]);
    // Well before the 5 s flush.
    portal.child.kill("SIGTERM");
    expect(await portal.exited).toBe(0);

    const database = postgres(portal.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      const rows = await database`select outcome, count from lookup_tallies where way = 'lookup' and bill_type_code = 'traffic-fine'`;
      expect(rows.map((row) => ({ ...row }))).toEqual([{ outcome: "invalid_number", count: 5 }]);
    } finally {
      await database.end();
    }
  });
});
