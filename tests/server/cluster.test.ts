import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createPostgresDatabase, demoPorts, freePort, spawnPortal, waitFor, waitForListening } from "../support/portal-process.mjs";
import { residentBrowser } from "../support/resident";
import { startPaymentStandIns } from "../support/stand-ins";

/**
 * Cluster mode (docs/decisions/028) as a deployment runs it: `node server.js`
 * with WEB_CONCURRENCY. On PostgreSQL, workers share the port and run the
 * jobs side by side; on PGlite it stays one process and says why.
 */

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Portal = ReturnType<typeof spawnPortal>;

function logLines(portal: Portal): Array<Record<string, unknown>> {
  return portal
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function startDemoPortal(env: Record<string, string>) {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), "portal-cluster-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const base = `http://127.0.0.1:${port}`;
  const portal = spawnPortal({
    DEMO_MODE: "true",
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: base,
    DATA_DIR: dataDir,
    ...(await demoPorts()),
    ...env,
  });
  cleanups.push(async () => {
    if (portal.child.exitCode === null) portal.child.kill("SIGKILL");
    await portal.exited;
  });
  await waitForListening(portal);
  return { portal, base };
}

describe.runIf(process.env.TEST_DATABASE_URL)("cluster mode on PostgreSQL", () => {
  it("serves from two workers, delivers a paid order's notice once although both run the jobs, replaces a dead worker, and stops cleanly on SIGTERM", async () => {
    const database = await createPostgresDatabase(process.env.TEST_DATABASE_URL!);
    cleanups.push(() => database.drop());
    const { simulator, sandboxUrl, simulatorPort, close } = await startPaymentStandIns();
    cleanups.push(close);
    const metricsPort = await freePort();
    const { portal, base } = await startDemoPortal({
      DATABASE_URL: database.url,
      WEB_CONCURRENCY: "2",
      METRICS_PORT: String(metricsPort),
      EMBEDDED_SANDBOX: "false",
      LINE_PAY_API_URL: sandboxUrl,
      SANDBOX_PUBLIC_URL: sandboxUrl,
      AGENCY_SIMULATOR_PORT: String(simulatorPort),
      // Both workers' jobs look for the notice several times a second.
      JOBS_INTERVAL_MS: "100",
    });
    await waitFor(() => logLines(portal).filter((line) => line.msg === "portal listening").length === 2, 60_000);
    const workerPids = new Set(logLines(portal).flatMap((line) => (line.msg === "portal listening" ? [line.pid] : [])));
    expect(workerPids.size).toBe(2);
    expect(workerPids.has(portal.child.pid)).toBe(false);
    // Migrated once, by the primary (which has no pid in its lines), before any worker started.
    expect(logLines(portal).filter((line) => line.msg === "cluster started")).toHaveLength(1);

    // Each request's log line names the worker that answered it.
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${base}/payments/NOSUCHORDER123`);
      await response.text();
      ids.push(response.headers.get("x-request-id")!);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    }
    await waitFor(() => ids.every((id) => logLines(portal).some((line) => (line.req as { id?: string } | undefined)?.id === id)), 10_000);
    const answeredBy = new Set(
      logLines(portal)
        .filter((line) => ids.includes((line.req as { id?: string } | undefined)?.id ?? ""))
        .map((line) => line.pid),
    );
    expect(answeredBy).toEqual(workerPids);

    // The metrics port is the primary's: both workers' requests added up, the database's gauges once.
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    const metrics = await scrape.text();
    expect(metrics).toMatch(
      /bill_portal_http_request_duration_seconds_count\{route="routes\/payments\.\$reference",method="GET",status_class="\dxx"\} 6\n/,
    );
    expect(metrics).toMatch(/bill_portal_http_request_duration_seconds_count\{route="readyz",method="GET",status_class="2xx"\} 6\n/);
    expect(metrics).toContain('bill_portal_cluster_workers{answered="yes"} 2\n');
    expect(metrics.match(/# TYPE bill_portal_payment_orders gauge/g)).toHaveLength(1);
    expect(metrics).toContain('bill_portal_outbox_depth{outbox="write_off_notices"} 0\n');
    expect(metrics).toMatch(/bill_portal_job_lag_seconds\{job="payments"\} \d/);

    // A resident pays; the agency hears of it once, whichever worker's job delivers it.
    const { browse, startLinePayPayment } = residentBrowser(base);
    const paymentUrl = await startLinePayPayment("GF11500019");
    const approved = await fetch(paymentUrl, { method: "POST", body: new URLSearchParams({ decision: "approve" }), redirect: "manual" });
    const confirmUrl = approved.headers.get("location")!;
    const reference = new URL(confirmUrl).searchParams.get("orderId")!;
    await browse(confirmUrl);
    const noticesOf = () => [...simulator.notices.values()].filter((notice) => notice.body.orderReference === reference);
    await waitFor(() => noticesOf().length > 0, 30_000);
    // Many more rounds of both workers' jobs: still one.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(noticesOf()).toHaveLength(1);
    expect(noticesOf()[0]!.body).toMatchObject({ writeOffNumber: "GF11500019", provider: "line_pay" });

    // A worker that dies is replaced, and the primary says so.
    const [killed] = [...workerPids] as number[];
    process.kill(killed!, "SIGKILL");
    await waitFor(() => logLines(portal).filter((line) => line.msg === "portal listening").length === 3, 60_000);
    expect(logLines(portal).find((line) => line.msg === "worker died: restarting it")).toMatchObject({ pid: killed, signal: "SIGKILL" });
    const running = new Set(logLines(portal).flatMap((line) => (line.msg === "portal listening" && line.pid !== killed ? [line.pid] : [])));
    expect(running.size).toBe(2);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    portal.child.kill("SIGTERM");
    expect(await portal.exited).toBe(0);
    const stoppedWorkers = logLines(portal).filter((line) => line.msg === "stopped" && running.has(line.pid));
    expect(stoppedWorkers).toHaveLength(2);
    for (const pid of running) expect(() => process.kill(pid as number, 0)).toThrow();
  }, 180_000);
});

describe("cluster mode on PGlite", () => {
  it("runs one process and says why", async () => {
    const { portal, base } = await startDemoPortal({ WEB_CONCURRENCY: "2", SEED_DEMO_DATA: "false", JOBS_INTERVAL_MS: "0" });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const warning = logLines(portal).find((line) => line.level === 40 && String(line.msg).includes("PGlite is single-process"));
    expect(warning).toMatchObject({ WEB_CONCURRENCY: 2 });
    expect(logLines(portal).filter((line) => line.msg === "portal listening")).toHaveLength(1);
    expect(portal.output()).not.toContain("cluster started");
    portal.child.kill("SIGTERM");
    expect(await portal.exited).toBe(0);
  }, 120_000);
});

describe("WEB_CONCURRENCY", () => {
  it("refuses a value that is not a number of workers, and says so", async () => {
    const server = spawnPortal({ WEB_CONCURRENCY: "0" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('WEB_CONCURRENCY must be at least 1 (got "0")');
    expect(server.output()).toContain("The portal did not start");
  });
});
