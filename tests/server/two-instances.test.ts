import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captchaAnswer } from "~/lookup/captcha.server";
import { DEMO_SECRETS } from "~/demo/keys";
import { ROOT, createPostgresDatabase, demoPorts, freePort, spawnPortal, waitFor, waitForListening } from "../support/portal-process.mjs";
import { loginAtProvider } from "../support/members";
import { residentBrowser } from "../support/resident";

/**
 * Two built instances on one PostgreSQL behind nginx (Debian's package), as
 * docs/deployment.md sets them up: the first runs the demo's sandboxes, the
 * second points at them; both run the jobs. What a visitor starts on one
 * instance holds on the other, limits are counted once for both, and an
 * agency hears of a payment once.
 */

function nginxBinary(): string {
  // Debian puts it in /usr/sbin, which a plain user's PATH may lack.
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin"]) {
    if (dir && existsSync(path.join(dir, "nginx"))) return path.join(dir, "nginx");
  }
  throw new Error("nginx is not installed: this test needs it (apt-get install -y nginx; CI's .ci/run installs it)");
}

/** GET from a chosen local address (all of 127.0.0.0/8 is this machine on Linux). */
function getFrom(url: string, from: string, headers: Record<string, string> = {}) {
  const { hostname, port, pathname } = new URL(url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const sent = request({ host: hostname, port, path: pathname, headers, localAddress: from }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, body }));
    });
    sent.on("error", reject);
    sent.end();
  });
}

const adminUrl = process.env.TEST_DATABASE_URL;

describe.runIf(adminUrl)("two instances on one PostgreSQL behind nginx", () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  let first: ReturnType<typeof spawnPortal> & { url: string };
  let second: ReturnType<typeof spawnPortal> & { url: string };
  let nginx: ChildProcess;
  let nginxOutput = "";
  let proxied = "";
  let simulatorUrl = "";
  let databaseUrl = "";

  beforeAll(async () => {
    const binary = nginxBinary();
    const database = await createPostgresDatabase(adminUrl!);
    cleanups.push(() => database.drop());
    databaseUrl = database.url;
    const [port1, port2, nginxPort, ports] = await Promise.all([freePort(), freePort(), freePort(), demoPorts()]);
    proxied = `http://127.0.0.1:${nginxPort}`;
    simulatorUrl = `http://127.0.0.1:${ports.AGENCY_SIMULATOR_PORT}`;
    const dataDir = await mkdtemp(path.join(tmpdir(), "portal-two-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const shared = {
      DATABASE_URL: database.url,
      DEMO_MODE: "true",
      HOST: "127.0.0.1",
      // Both answer under nginx's address: links, cookies and the providers' return URLs name it.
      PUBLIC_URL: proxied,
      DATA_DIR: dataDir,
      ...ports,
      TRUST_PROXY: "1",
      JOBS_INTERVAL_MS: "200",
      RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: "3/900",
      // Every request here comes from this machine: only the per-number limit is under test.
      RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "100/600",
      // Only one made-up client address may see the back office: the cheap witness of the address nginx passes on.
      BACK_OFFICE_NETWORKS: "127.0.0.5/32",
    };
    const one = spawnPortal({ ...shared, PORT: String(port1) });
    cleanups.push(async () => {
      one.child.kill("SIGKILL");
      await one.exited;
    });
    first = { ...one, url: `http://127.0.0.1:${port1}` };
    await waitForListening(one);
    // The second starts none of the demo's servers and seeds nothing: it uses the first's.
    const two = spawnPortal({ ...shared, PORT: String(port2), EMBEDDED_SANDBOX: "false", SEED_DEMO_DATA: "false" });
    cleanups.push(async () => {
      two.child.kill("SIGKILL");
      await two.exited;
    });
    second = { ...two, url: `http://127.0.0.1:${port2}` };
    await waitForListening(two);

    const prefix = await mkdtemp(path.join(tmpdir(), "nginx-"));
    cleanups.push(() => rm(prefix, { recursive: true, force: true }));
    await mkdir(path.join(prefix, "logs"));
    const template = await readFile(path.join(ROOT, "deploy/nginx.conf.template"), "utf8");
    const conf = template
      .replaceAll("{{PREFIX}}", prefix)
      .replaceAll("{{LISTEN}}", `127.0.0.1:${nginxPort}`)
      .replaceAll("{{UPSTREAM_SERVERS}}", [port1, port2].map((p) => `    server 127.0.0.1:${p};`).join("\n"))
      // One worker keeps the round-robin strictly alternating, so every check reaches both instances.
      .replace("worker_processes auto;", "worker_processes 1;");
    await writeFile(path.join(prefix, "nginx.conf"), conf);
    nginx = spawn(
      binary,
      ["-p", prefix, "-c", path.join(prefix, "nginx.conf"), "-e", path.join(prefix, "error.log"), "-g", "daemon off;"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    nginx.stdout!.on("data", (chunk) => (nginxOutput += chunk));
    nginx.stderr!.on("data", (chunk) => (nginxOutput += chunk));
    cleanups.push(async () => {
      if (nginx.exitCode === null) {
        const exited = new Promise((resolve) => nginx.once("exit", resolve));
        nginx.kill("SIGTERM");
        await exited;
      }
    });
    let up = false;
    const deadline = Date.now() + 15_000;
    while (!up && nginx.exitCode === null && Date.now() < deadline) {
      up = await fetch(`${proxied}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (!up) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!up) throw new Error(`nginx did not start:\n${nginxOutput}`);
  }, 240_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const sessionOf = (response: Response) =>
    response.headers
      .getSetCookie()
      .find((c) => c.startsWith("portal_session="))
      ?.split(";")[0] ?? "";
  async function captchaFrom(base: string) {
    const response = await fetch(`${base}/lookup/traffic-fine`);
    const token = /name="captchaToken" value="([^"]+)"/.exec(await response.text())![1]!;
    // A captcha belongs to the visitor's session: the cookie goes with it.
    const cookie = sessionOf(response);
    return { cookie, fields: { captchaToken: token, captchaAnswer: captchaAnswer(DEMO_SECRETS.CAPTCHA_SECRET, token.split(".")[1]!) } };
  }
  const lookUp = (base: string, fields: Record<string, string>, cookie = "") =>
    fetch(`${base}/lookup/traffic-fine`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base, cookie },
      body: new URLSearchParams({ intent: "lookup", ...fields }),
    });
  it("accepts on the second instance a captcha the first gave, once: used, the first refuses it too", async () => {
    const { cookie, fields } = await captchaFrom(first.url);
    const found = await lookUp(second.url, { writeOffNumber: "GF11500019", ...fields }, cookie);
    expect(found.status).toBe(303);
    expect(found.headers.get("location")).toBe("/bills");
    const again = await lookUp(first.url, { writeOffNumber: "GF11500019", ...fields }, cookie);
    expect(again.status).toBe(400);
    expect(await again.text()).toMatch(/驗證碼/);
  });

  it("keeps a visitor's session on either instance: bills found through one are listed by the other", async () => {
    const captcha = await captchaFrom(second.url);
    expect(captcha.cookie).not.toBe("");
    const found = await lookUp(first.url, { writeOffNumber: "GF11500019", ...captcha.fields }, captcha.cookie);
    expect(found.status).toBe(303);
    const cookie = sessionOf(found) || captcha.cookie;
    const listed = await (await fetch(`${second.url}/bills`, { headers: { cookie }, redirect: "manual" })).text();
    expect(listed).toContain("GF11500019");
    const elsewhere = await (await fetch(`${second.url}/bills`, { redirect: "manual" })).text();
    expect(elsewhere).not.toContain("GF11500019");
  });

  it("keeps a member's login on either instance: begun on one, finished on the other, valid on both", async () => {
    const jar = new Map<string, string>();
    const browse = async (url: string) => {
      const response = await fetch(url, { redirect: "manual", headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } });
      for (const set of response.headers.getSetCookie()) {
        const [pair] = set.split(";");
        const at = pair!.indexOf("=");
        jar.set(pair!.slice(0, at), pair!.slice(at + 1));
      }
      return response;
    };
    const toProvider = await browse(`${first.url}/login?returnTo=%2Faccount%2Femail`);
    const callback = await loginAtProvider(toProvider.headers.get("location")!, "member-e", "demo-1234");
    // The provider sends the member back to PUBLIC_URL (nginx); here straight to the second instance.
    const back = await browse(`${second.url}${callback.pathname}${callback.search}`);
    expect(back.headers.get("location")).toBe("/account/email");
    for (const portal of [first, second]) {
      const page = await browse(`${portal.url}/account/email`);
      expect(page.status, portal.url).toBe(200);
    }
    const stranger = await fetch(`${first.url}/account/email`, { redirect: "manual" });
    expect(stranger.status).not.toBe(200);
  });

  it("counts a number's failed look-ups once for both instances", async () => {
    const wrong = { writeOffNumber: "GF11500022", captchaToken: "x", captchaAnswer: "0" };
    expect((await lookUp(first.url, wrong)).status).toBe(400);
    expect((await lookUp(second.url, wrong)).status).toBe(400);
    expect((await lookUp(first.url, wrong)).status).toBe(400);
    // The limit is 3: the fourth, on either instance, and through nginx, waits.
    expect((await lookUp(second.url, wrong)).status).toBe(429);
    expect((await lookUp(proxied, wrong)).status).toBe(429);
    expect((await lookUp(first.url, wrong)).status).toBe(429);
  });

  it("takes nginx's request id as its own, so one request can be followed from nginx's log into the instance's", async () => {
    // nginx's $request_id is 32 hex digits; an instance's own is a UUID.
    expect((await fetch(`${proxied}/healthz`)).headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
    expect((await fetch(`${first.url}/healthz`)).headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("passes the client's own address on through nginx, and never the one a client writes itself", async () => {
    // From the one allowed address, through nginx, on both instances (round-robin).
    for (let i = 0; i < 2; i++) expect((await getFrom(`${proxied}/back-office/login`, "127.0.0.5")).status).not.toBe(403);
    // From another address, saying it is the allowed one: nginx replaces the header.
    for (let i = 0; i < 2; i++) {
      const spoofed = await getFrom(`${proxied}/back-office/login`, "127.0.0.7", { "x-forwarded-for": "127.0.0.5" });
      expect(spoofed.status).toBe(403);
    }
    await waitFor(
      () =>
        first.output().includes('"address":"127.0.0.7","reason":"network"') &&
        second.output().includes('"address":"127.0.0.7","reason":"network"'),
      5_000,
    );
  });

  it("shows on both instances at once a catalogue change committed with its notice, not a minute later", async () => {
    const titleOf = async (base: string) =>
      (await (await fetch(`${base}/lookup/traffic-fine`)).text()).match(/<h1[^>]*>([^<]*)</)?.[1] ?? "";
    // Both have the catalogue in memory now (kept for a minute).
    for (const portal of [first, second]) expect(await titleOf(portal.url)).toBe("查詢交通違規罰鍰");
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      // What a back-office change does (app/agencies/changes.server.ts): the row and the notice in one transaction.
      await sql.begin(async (tx) => {
        await tx`update bill_types set name_zh = '交通違規罰鍰（改名）' where code = 'traffic-fine'`;
        await tx`select pg_notify('agency_settings_changed', 'catalogue')`;
      });
    } finally {
      await sql.end();
    }
    for (const portal of [first, second]) {
      const deadline = Date.now() + 5_000;
      let title = await titleOf(portal.url);
      while (!title.includes("（改名）") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        title = await titleOf(portal.url);
      }
      expect(title, portal.url).toBe("查詢交通違規罰鍰（改名）");
    }
  });

  it("delivers a paid order's write-off notice to the agency once, although both instances run the jobs", async () => {
    const { browse, startLinePayPayment } = residentBrowser(proxied);
    const paymentUrl = await startLinePayPayment("GF11500019");
    const approved = await fetch(paymentUrl, { method: "POST", body: new URLSearchParams({ decision: "approve" }), redirect: "manual" });
    const confirmUrl = approved.headers.get("location")!;
    const reference = new URL(confirmUrl).searchParams.get("orderId")!;
    await browse(confirmUrl);
    type Notice = { deliveries: number; body: { orderReference?: string; writeOffNumber?: string } };
    const noticesOf = async () =>
      ((await (await fetch(`${simulatorUrl}/_simulator/notices`)).json()) as Notice[]).filter(
        (notice) => notice.body.orderReference === reference,
      );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await noticesOf()).length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    // Both instances' jobs have had many rounds (every 200 ms) to send it again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const notices = await noticesOf();
    expect(notices).toHaveLength(1);
    expect(notices[0]!.body.writeOffNumber).toBe("GF11500019");
    // Not sent twice under one notice id either (the simulator counts repeated deliveries).
    expect(notices[0]!.deliveries).toBe(1);
  }, 60_000);
});
