// `npm run bench`: builds, starts the production server on a fresh database,
// loads it with autocannon, and compares each scenario with a bare Node
// baseline measured in the same run. Writes bench/results/<scenario>.json
// and bench/results/summary.json. Never part of `npm test`.
import { execFileSync, fork, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { demoPorts, freePort } from "../tests/support/portal-process.mjs";
import { BENCH_SERVER_ENV, scenarios as defineScenarios } from "./scenarios.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = path.join(root, "bench/results");
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const only = process.argv[2];

async function waitForHealth(url, child, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no answer from ${url}`);
}

function load(url, scenario, duration) {
  return autocannon({
    url: scenario.requests ? url : url + scenario.path,
    headers: scenario.headers,
    requests: scenario.requests,
    connections: CONNECTIONS,
    duration,
  });
}

function summarize(result) {
  return {
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

console.log("building…");
execFileSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "ignore" });

const dataDir = path.join(root, ".data/bench");
await rm(dataDir, { recursive: true, force: true });
const portalPort = await freePort();
const portalUrl = `http://127.0.0.1:${portalPort}`;
// BENCH_WORKERS=n with BENCH_DATABASE_URL (a database of its own: the demo seeds it): cluster mode on PostgreSQL
// (docs/decisions/028). A list (BENCH_WORKERS=1,2) runs the HTTP scenarios once per count, one after the other in
// this run, and reports each count as a ratio to the first.
const workerCounts = (process.env.BENCH_WORKERS ?? "1").split(",").map((n) => Number(n.trim()));
if (workerCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("BENCH_WORKERS: worker counts, e.g. 2 or 1,2");
if (process.env.BENCH_WORKERS && !process.env.BENCH_DATABASE_URL)
  throw new Error("BENCH_WORKERS needs BENCH_DATABASE_URL: PGlite runs one process");

async function startPortal(workers) {
  const clusterEnv = process.env.BENCH_DATABASE_URL
    ? { DATABASE_URL: process.env.BENCH_DATABASE_URL, DEMO_MODE: "true", WEB_CONCURRENCY: String(workers) }
    : {};
  const child = spawn(process.execPath, ["server.js"], {
    cwd: root,
    env: {
      ...process.env,
      ...BENCH_SERVER_ENV,
      ...(await demoPorts()),
      ...clusterEnv,
      PORT: String(portalPort),
      HOST: "127.0.0.1",
      PUBLIC_URL: portalUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: "error",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForHealth(`${portalUrl}/healthz`, child);
  return child;
}
let portal = await startPortal(workerCounts[0]);
const stopPortal = () => portal.exitCode === null && portal.kill("SIGTERM");
process.on("exit", stopPortal);

const all = defineScenarios({ root, baseUrl: portalUrl });
// The home page is the reference of every ratio, so it always runs.
const scenarios = all.filter((s) => !only || s.name === only || s.name === "home");
for (const scenario of scenarios) await scenario.verify?.(portalUrl);

// Record the portal's answers to the plain GET scenarios, then serve the same bytes from the baseline.
const recorded = [];
for (const scenario of scenarios.filter((s) => s.baseline)) {
  const response = await fetch(portalUrl + scenario.path, { headers: scenario.headers, redirect: "manual" });
  if (response.status !== 200) throw new Error(`${scenario.name}: expected 200, got ${response.status}`);
  recorded.push({
    method: "GET",
    path: scenario.path,
    status: response.status,
    contentType: response.headers.get("content-type") ?? "text/plain",
    bodyBase64: Buffer.from(await response.arrayBuffer()).toString("base64"),
  });
}
await mkdir(resultsDir, { recursive: true });
const recordingFile = path.join(os.tmpdir(), `bench-baseline-${process.pid}.json`);
await writeFile(recordingFile, JSON.stringify(recorded));
const baselinePort = await freePort();
const baselineUrl = `http://127.0.0.1:${baselinePort}`;
const baseline = fork(path.join(root, "bench/baseline-server.mjs"), [recordingFile, String(baselinePort)], { stdio: "ignore" });
process.on("exit", () => baseline.exitCode === null && baseline.kill("SIGTERM"));
await new Promise((resolve) => baseline.once("message", resolve));

const summary = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  durationSeconds: DURATION,
  connections: CONNECTIONS,
  scenarios: {},
};
console.log(`\n${CONNECTIONS} connections, ${DURATION} s per run, ${os.cpus().length} CPUs\n`);
const firstCount = {};
for (const [index, workers] of workerCounts.entries()) {
  if (index > 0) {
    stopPortal();
    await new Promise((resolve) => (portal.exitCode === null ? portal.once("exit", resolve) : resolve()));
    portal = await startPortal(workers);
    for (const scenario of scenarios) await scenario.verify?.(portalUrl);
  }
  if (workerCounts.length > 1) {
    console.log(`${workers} worker${workers === 1 ? "" : "s"}:`);
    summary.byWorkers ??= {};
    summary.byWorkers[workers] = {};
  }
  let home;
  for (const scenario of scenarios) {
    await load(portalUrl, scenario, WARMUP);
    let before;
    let after;
    if (scenario.baseline) {
      await load(baselineUrl, scenario, WARMUP);
      // Baseline, portal, baseline again: the two baseline runs frame the portal's run
      // against drift in the machine's load.
      before = summarize(await load(baselineUrl, scenario, DURATION));
    }
    const measured = summarize(await load(portalUrl, scenario, DURATION));
    if (scenario.baseline) after = summarize(await load(baselineUrl, scenario, DURATION));
    if (scenario.name === "home") home = measured;
    const ratio = {
      throughputVsHome: round(measured.requestsPerSecond / home.requestsPerSecond, 3),
      p99VsHome: round(measured.latencyMs.p99 / Math.max(home.latencyMs.p99, 1), 2),
    };
    if (index === 0) firstCount[scenario.name] = measured.requestsPerSecond;
    else ratio.throughputVsFirstWorkers = round(measured.requestsPerSecond / firstCount[scenario.name], 3);
    if (scenario.baseline) {
      const baselineRps = (before.requestsPerSecond + after.requestsPerSecond) / 2;
      const baselineP99 = (before.latencyMs.p99 + after.latencyMs.p99) / 2;
      ratio.throughputVsBaseline = round(measured.requestsPerSecond / baselineRps, 3);
      ratio.p99VsBaseline = round(measured.latencyMs.p99 / Math.max(baselineP99, 1), 2);
    }
    const result = {
      scenario: scenario.name,
      path: scenario.path ?? scenario.requests.map((r) => `${r.method} ${r.path}`).join(" → "),
      note: scenario.note,
      portal: measured,
      ...(scenario.baseline ? { baseline: { before, after } } : {}),
      ratio,
    };
    const figures = { requestsPerSecond: round(measured.requestsPerSecond, 0), p99Ms: measured.latencyMs.p99, ...ratio };
    if (index === 0) summary.scenarios[scenario.name] = figures;
    if (summary.byWorkers) summary.byWorkers[workers][scenario.name] = figures;
    const resultName = index === 0 ? scenario.name : `${scenario.name}-workers-${workers}`;
    await writeFile(path.join(resultsDir, `${resultName}.json`), JSON.stringify({ ...summary, scenarios: undefined, ...result }, null, 2));
    const unexpected = measured.errors + measured.timeouts + (scenario.requests || scenario.expectStatus ? 0 : measured.non2xx);
    console.log(
      `${scenario.name.padEnd(18)} ${String(round(measured.requestsPerSecond, 0)).padStart(6)} req/s  p99 ${String(measured.latencyMs.p99).padStart(4)} ms` +
        `  | vs home ×${ratio.throughputVsHome} (p99 ×${ratio.p99VsHome})` +
        (scenario.baseline ? `  | vs bare Node ×${ratio.throughputVsBaseline} (p99 ×${ratio.p99VsBaseline})` : "") +
        (index > 0 ? `  | vs ${workerCounts[0]} worker${workerCounts[0] === 1 ? "" : "s"} ×${ratio.throughputVsFirstWorkers}` : "") +
        (unexpected ? `  | ${unexpected} errors` : ""),
    );
  }
}
// Payments and the members' dashboard: in one process, against PGlite (and PostgreSQL when TEST_DATABASE_URL is set).
const IN_PROCESS = ["payment", "member", "record", "scan", "audit", "refund", "reconciliation", "statement", "mail", "case"];
if (!only || IN_PROCESS.some((name) => only.startsWith(name))) {
  console.log(
    "\npayments (services in process, 10 at a time), members' dashboard (sources answering in 200 ms), payment records, scan decoding (distorted bills), the audit chain, money operations (refunds, reconciliation and statements of a 10,000-payment day), mail (the outbox to a local SMTP server, paid to receipt received), applications (the e-counter answering in 200 ms):",
  );
  // `npm run bench scan…` runs only the decoder's part in process.
  // `npm run bench <name>` runs only bench/<name>*.bench.ts (scan: the decoder's part); no name, all of them.
  const files = !only ? [] : only.startsWith("scan") ? ["bench/scan-decode.bench.ts"] : [`bench/${only.replace(/s$/, "")}`];
  const inProcess = spawnSync("npx", ["vitest", "run", "--config", "bench/vitest.config.ts", ...files], {
    cwd: root,
    env: process.env,
    encoding: "utf8",
  });
  const lines = `${inProcess.stdout}`.split("\n").filter((line) => /[A-Z]+BENCH /.test(line));
  console.log(
    lines.map((line) => `  ${line.replace(/.*?[A-Z]+BENCH /, "")}`).join("\n") || `  failed:\n${inProcess.stdout}${inProcess.stderr}`,
  );
  summary.payments = {};
  summary.members = {};
  summary.records = {};
  summary.reconciliation = {};
  summary.scanDecoding = JSON.parse(await readFile(path.join(resultsDir, "scan-decode.json"), "utf8").catch(() => "null"));
  for (const database of ["pglite", "postgres"]) {
    const payments = await readFile(path.join(resultsDir, `payments-${database}.json`), "utf8").catch(() => null);
    if (payments) summary.payments[database] = JSON.parse(payments);
    const members = await readFile(path.join(resultsDir, `members-${database}.json`), "utf8").catch(() => null);
    if (members) summary.members[database] = JSON.parse(members);
    const records = await readFile(path.join(resultsDir, `records-${database}.json`), "utf8").catch(() => null);
    if (records) summary.records[database] = JSON.parse(records);
    const reconciliation = await readFile(path.join(resultsDir, `reconciliation-${database}.json`), "utf8").catch(() => null);
    if (reconciliation) summary.reconciliation[database] = JSON.parse(reconciliation);
  }
}

// Scanning needs a browser with a fake camera; skipped (with a note) where Chromium is missing.
if (!only || only.startsWith("scan")) {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(chromium)) {
    console.log("\nscanning (Chromium, fake camera):");
    await rm(path.join(resultsDir, "scan-camera.json"), { force: true });
    const scan = spawnSync("npx", ["playwright", "test", "--config", "bench/scan.config.ts"], {
      cwd: root,
      env: { ...process.env, BENCH_PORTAL_URL: portalUrl },
      encoding: "utf8",
    });
    const lines = `${scan.stdout}`.split("\n").filter((line) => /^(camera start →|decoding \d|distorted )/.test(line.trim()));
    console.log(lines.map((line) => `  ${line.trim()}`).join("\n") || `  failed:\n${scan.stdout}${scan.stderr}`);
    summary.scanning = JSON.parse(await readFile(path.join(resultsDir, "scan-camera.json"), "utf8").catch(() => "null"));
  } else {
    console.log(`\nscanning skipped: no Chromium at ${chromium}`);
  }
}
await writeFile(path.join(resultsDir, "summary.json"), JSON.stringify(summary, null, 2));
await rm(recordingFile, { force: true });
stopPortal();
baseline.kill("SIGTERM");
console.log(`\nresults in ${path.relative(process.cwd(), resultsDir)}/`);
