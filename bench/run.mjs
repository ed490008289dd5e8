// `npm run bench`: builds, starts the production server on a fresh database,
// loads it with autocannon, and compares each scenario with a bare Node
// baseline measured in the same run. Writes bench/results/<scenario>.json
// and bench/results/summary.json. Never part of `npm test`.
import { execFileSync, fork, spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { SCENARIOS } from "./scenarios.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = path.join(root, "bench/results");
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const only = process.argv[2];

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.once("error", reject);
  });
}

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
    url: url + scenario.path,
    method: scenario.method ?? "GET",
    headers: scenario.headers,
    body: scenario.body,
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
const portal = spawn(process.execPath, ["server.js"], {
  cwd: root,
  env: { ...process.env, PORT: String(portalPort), HOST: "127.0.0.1", PUBLIC_URL: portalUrl, DATA_DIR: dataDir, LOG_LEVEL: "warn" },
  stdio: ["ignore", "inherit", "inherit"],
});
const stopPortal = () => portal.exitCode === null && portal.kill("SIGTERM");
process.on("exit", stopPortal);
await waitForHealth(`${portalUrl}/healthz`, portal);

const scenarios = SCENARIOS.filter((s) => !only || s.name === only);
// Record the portal's answers, then serve the same bytes from the baseline.
const recorded = [];
for (const scenario of scenarios) {
  const response = await fetch(portalUrl + scenario.path, {
    method: scenario.method ?? "GET",
    headers: scenario.headers,
    body: scenario.body,
    redirect: "manual",
  });
  const expected = scenario.expectStatus ?? 200;
  if (response.status !== expected) throw new Error(`${scenario.name}: expected ${expected}, got ${response.status}`);
  recorded.push({
    method: scenario.method ?? "GET",
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
for (const scenario of scenarios) {
  await load(portalUrl, scenario, WARMUP);
  await load(baselineUrl, scenario, WARMUP);
  // Baseline, portal, and the baseline again: the average of the two baseline
  // runs frames the portal's run against drift in the machine's load.
  const before = summarize(await load(baselineUrl, scenario, DURATION));
  const measured = summarize(await load(portalUrl, scenario, DURATION));
  const after = summarize(await load(baselineUrl, scenario, DURATION));
  const baselineRps = (before.requestsPerSecond + after.requestsPerSecond) / 2;
  const baselineP99 = (before.latencyMs.p99 + after.latencyMs.p99) / 2;
  const result = {
    scenario: scenario.name,
    path: scenario.path,
    bodyBytes: Buffer.from(recorded.find((r) => r.path === scenario.path).bodyBase64, "base64").length,
    portal: measured,
    baseline: { before, after },
    ratio: {
      throughput: round(measured.requestsPerSecond / baselineRps, 3),
      p99Latency: round(measured.latencyMs.p99 / Math.max(baselineP99, 1), 2),
    },
  };
  summary.scenarios[scenario.name] = result.ratio;
  await writeFile(path.join(resultsDir, `${scenario.name}.json`), JSON.stringify({ ...summary, scenarios: undefined, ...result }, null, 2));
  console.log(
    `${scenario.name.padEnd(24)} portal ${round(measured.requestsPerSecond, 0)} req/s, p99 ${measured.latencyMs.p99} ms` +
      ` | baseline ${round(baselineRps, 0)} req/s, p99 ${baselineP99} ms` +
      ` | throughput ×${result.ratio.throughput}, p99 ×${result.ratio.p99Latency}` +
      (measured.errors || measured.non2xx ? ` | errors ${measured.errors}, non-2xx ${measured.non2xx}` : ""),
  );
}
await writeFile(path.join(resultsDir, "summary.json"), JSON.stringify(summary, null, 2));
await rm(recordingFile, { force: true });
stopPortal();
baseline.kill("SIGTERM");
console.log(`\nresults in ${path.relative(process.cwd(), resultsDir)}/`);
