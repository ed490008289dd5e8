// `node bench/profile.mjs [root]`: starts the built portal under `node --cpu-prof`
// (demo mode, PostgreSQL when DATABASE_URL is set, PGlite otherwise), loads the
// home page (zh-TW) and the look-up round with autocannon, and prints req/s, p99
// and the functions with the most self time. `root` lets an old build be
// profiled side by side with the new one. PROFILE_SCENARIOS (comma list) picks
// the scenarios. Never part of `npm test`.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { demoPorts, freePort } from "../tests/support/portal-process.mjs";
import { BENCH_SERVER_ENV, scenarios as defineScenarios } from "./scenarios.mjs";

const root = path.resolve(process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url)));
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const TOP = Number(process.env.PROFILE_TOP ?? 25);

const profileDir = await mkdtemp(path.join(os.tmpdir(), "portal-profile-"));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "server.js"], {
  cwd: root,
  env: {
    ...process.env,
    ...BENCH_SERVER_ENV,
    ...(await demoPorts()),
    DEMO_MODE: "true",
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    DATA_DIR: path.join(profileDir, "data"),
    LOG_LEVEL: "error",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
for (let tries = 0; ; tries++) {
  try {
    if ((await fetch(`${url}/`)).ok) break;
  } catch {
    // not listening yet
  }
  if (tries > 600 || server.exitCode !== null) throw new Error("portal did not start");
  await new Promise((r) => setTimeout(r, 200));
}

// The scenarios mint a QR link with `cli.js`, which needs the demo secrets too.
process.env.DEMO_MODE = "true";
const all = defineScenarios({ root, baseUrl: url });
const names = (process.env.PROFILE_SCENARIOS ?? "home,not-found-lookup").split(",");
const wanted = all.filter((s) => names.includes(s.name));
for (const scenario of wanted) {
  await scenario.verify?.(url);
  const result = await autocannon({
    url: scenario.requests ? url : url + scenario.path,
    headers: scenario.headers,
    requests: scenario.requests,
    connections: 10,
    duration: DURATION,
  });
  console.log(
    `${scenario.name}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, errors ${result.errors}, non2xx ${result.non2xx}`,
  );
}

server.kill("SIGINT");
await new Promise((r) => server.once("exit", r));
const file = (await readdir(profileDir)).find((f) => f.endsWith(".cpuprofile"));
const profile = JSON.parse(await readFile(path.join(profileDir, file), "utf8"));
// PROFILE_KEEP=file keeps the whole profile (for Chrome DevTools or a flame graph).
if (process.env.PROFILE_KEEP) await writeFile(process.env.PROFILE_KEEP, JSON.stringify(profile));

// Self time per function: samples × the interval in which each node was on top.
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const deltas = profile.timeDeltas;
let total = 0;
profile.samples.forEach((id, i) => {
  const { callFrame } = byId.get(id);
  const where = callFrame.url ? `${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : "";
  const key = `${callFrame.functionName || "(anonymous)"} ${where}`.trim();
  const dt = deltas[i] ?? 0;
  total += dt;
  self.set(key, (self.get(key) ?? 0) + dt);
});
const idle = self.get("(idle)") ?? 0;
console.log(`\nself time, % of busy CPU (idle excluded: ${((idle / total) * 100).toFixed(1)} % of wall)`);
for (const [key, time] of [...self]
  .filter(([k]) => k !== "(idle)")
  .sort((a, b) => b[1] - a[1])
  .slice(0, TOP)) {
  console.log(`${((time / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
await rm(profileDir, { recursive: true, force: true });
