// The built portal as a deployment runs it (`node server.js`), for the process
// tests and the fuzz harness. Plain JavaScript: `npm run fuzz` runs it with
// Node alone, the vitest suites import it too. Nothing here builds: the
// caller runs `npm run build` first (vitest's global setup does).
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** @returns {Promise<number>} a TCP port nobody listens on right now */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
    probe.once("error", reject);
  });
}

/**
 * `node server.js` with only the variables given (and PATH): the server's
 * defaults are part of what is tested.
 * @param {Record<string, string>} env
 */
export function spawnPortal(env) {
  const child = spawn(process.execPath, ["server.js"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: "production", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * `node cli.js …` from the build, as an operator runs it, with only the
 * variables given (and PATH), in demo mode unless they say otherwise.
 * @param {string[]} args
 * @param {Record<string, string>} env
 * @returns {Promise<{ code: number | null; output: string; stdout: string; stderr: string }>}
 */
export function runCli(args, env) {
  const child = spawn(process.execPath, ["cli.js", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: "production", DEMO_MODE: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
    stderr += chunk;
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output, stdout, stderr })));
}

/**
 * Waits until the portal listens; fails at once, with the portal's own words,
 * when it exits instead.
 * @param {{ output(): string; child: import("node:child_process").ChildProcess }} portal
 * @param {number} [ms]
 */
export async function waitForListening(portal, ms = 120_000) {
  await waitFor(() => portal.output().includes("portal listening") || portal.child.exitCode !== null, ms);
  if (portal.child.exitCode !== null) throw new Error(`the portal did not start (exit ${portal.child.exitCode}):\n${portal.output()}`);
}

/**
 * Free ports for the demo wing's own servers (sandbox gateway, agency
 * simulator, identity providers, bill-source simulators): a demo portal never
 * binds the default ports 3001–3005, which something else may hold.
 * @returns {Promise<Record<string, string>>}
 */
export async function demoPorts() {
  const [sandbox, simulator, idp, sources, staffIdp, mail] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  return {
    SANDBOX_PORT: String(sandbox),
    SANDBOX_PUBLIC_URL: `http://127.0.0.1:${sandbox}`,
    AGENCY_SIMULATOR_PORT: String(simulator),
    IDP_PORT: String(idp),
    SOURCES_SIMULATOR_PORT: String(sources),
    STAFF_IDP_PORT: String(staffIdp),
    MAIL_SANDBOX_PORT: String(mail),
  };
}

/** Made-up secrets of a portal run outside demo mode (never the public demo keys). */
export const PRODUCTION_SECRETS = {
  PII_HMAC_KEY: "process-test-pii-hmac-key-0123456789abcdef",
  SESSION_SECRET: "process-test-session-secret-0123456789abcdef",
  CAPTCHA_SECRET: "process-test-captcha-secret-0123456789abcdef",
  RECEIPT_SECRET: "process-test-receipt-secret-0123456789abcdef",
  BINDING_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString("base64"),
};

/**
 * @param {() => boolean} predicate
 * @param {number} ms
 */
export async function waitFor(predicate, ms) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A fresh PostgreSQL database of its own under `adminUrl` (whose user may
 * create databases), dropped by `drop()`.
 * @param {string} adminUrl
 */
export async function createPostgresDatabase(adminUrl) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `portal_process_${Date.now()}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    admin,
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/**
 * A demo portal on free ports (its embedded sandbox, identity provider and
 * simulators too, so nothing clashes with another run), on a fresh PGlite
 * directory, or on a fresh PostgreSQL database when `postgresAdminUrl` is
 * given. Resolves once it listens.
 * @param {Record<string, string>} [env]
 * @param {{ postgresAdminUrl?: string }} [options]
 */
export async function startPortal(env = {}, options = {}) {
  const [port, ports] = await Promise.all([freePort(), demoPorts()]);
  const dataDir = await mkdtemp(path.join(tmpdir(), "portal-"));
  const database = options.postgresAdminUrl ? await createPostgresDatabase(options.postgresAdminUrl) : null;
  const url = `http://127.0.0.1:${port}`;
  const portal = spawnPortal({
    ...(database ? { DATABASE_URL: database.url } : {}),
    // On PostgreSQL, demo mode must be asked for.
    DEMO_MODE: "true",
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    ...ports,
    JOBS_INTERVAL_MS: "0",
    ...env,
  });
  const stop = async () => {
    if (portal.child.exitCode === null) portal.child.kill("SIGKILL");
    await portal.exited;
    await rm(dataDir, { recursive: true, force: true });
    await database?.drop();
  };
  try {
    await waitForListening(portal);
  } catch (error) {
    await stop();
    throw error;
  }
  return { ...portal, url, port, database: database ? "postgres" : "pglite", dataDir, databaseUrl: database?.url, stop };
}
