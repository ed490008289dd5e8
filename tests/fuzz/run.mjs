// `npm run fuzz [-- --inputs N --seed S --concurrency C --database postgres]`:
// starts the built portal (npm run fuzz builds it first) on a fresh database,
// sends it N mutated requests made from seed S, prints what came back, and
// exits with 1 when any answer was a 5xx, any connection was dropped, or
// anything but a payment alert was logged at error level.
// Defaults: 10,000 inputs, seed 1, 8 at a time, PGlite (postgres: a fresh
// database under TEST_DATABASE_URL).
import { parseArgs } from "node:util";
import { startPortal } from "../support/portal-process.mjs";
import { FUZZ_SERVER_ENV, formatSummary, runFuzz } from "./fuzz.mjs";

const { values } = parseArgs({
  options: {
    inputs: { type: "string", default: process.env.FUZZ_INPUTS ?? "10000" },
    seed: { type: "string", default: process.env.FUZZ_SEED ?? "1" },
    concurrency: { type: "string", default: "8" },
    database: { type: "string", default: "pglite" },
    show: { type: "string", default: "5" },
  },
});
if (values.database === "postgres" && !process.env.TEST_DATABASE_URL) {
  console.error("--database postgres needs TEST_DATABASE_URL (a PostgreSQL URL whose user may create databases).");
  process.exit(2);
}

const portal = await startPortal(
  FUZZ_SERVER_ENV,
  values.database === "postgres" ? { postgresAdminUrl: process.env.TEST_DATABASE_URL } : {},
);
process.on("SIGINT", () => void portal.stop().then(() => process.exit(130)));
// Even when this process dies (out of memory, an exception), the portal it started goes too.
process.on("exit", () => portal.child.kill("SIGKILL"));
const count = Number(values.inputs);
console.log(`fuzzing ${portal.url} (${portal.database}) with ${count} inputs, seed ${values.seed}…`);
const started = performance.now();
try {
  const summary = await runFuzz({
    baseUrl: portal.url,
    seed: Number(values.seed),
    count,
    concurrency: Number(values.concurrency),
    onProgress: (done) => {
      if (done % 1000 === 0) process.stdout.write(`  ${done}/${count}\n`);
    },
  });
  // Payment alerts (a forged signature, an unknown order) are errors on purpose; anything else at error level is ours.
  const errorLogs = portal
    .output()
    .split("\n")
    .filter((line) => /"level":(50|60)/.test(line));
  const ours = errorLogs.filter((line) => !line.includes('"alert":'));
  console.log(formatSummary(summary, { show: Number(values.show) }));
  console.log(
    `  error-level log lines: ${ours.length} (besides ${errorLogs.length - ours.length} payment alerts)${ours.length ? `, first: ${ours[0].slice(0, 300)}` : ""}`,
  );
  console.log(`  ${Math.round((performance.now() - started) / 1000)} s`);
  process.exitCode = summary.serverErrors.length || summary.dropped.length || ours.length ? 1 : 0;
} finally {
  await portal.stop();
}
