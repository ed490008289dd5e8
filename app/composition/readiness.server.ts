import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { latestMigrationApplied, type DatabaseHandle } from "~/base/db.server";
import { jobRuns, metricsRegistry, type JobRuns } from "~/base/metrics.server";

export interface ReadinessAnswer {
  status: 200 | 503;
  body: {
    status: "ready" | "not_ready";
    /** What is not ready, for the operator reading the load balancer's log. */
    notReady: Array<"shutting_down" | "database" | "migrations" | "jobs">;
    database: "ok" | "unreachable";
    migrations: "applied" | "pending" | "unknown";
    stalledJobs: string[];
  };
}

/**
 * /readyz: this instance should get traffic when its database answers, the
 * latest migration is applied (an instance started on an older schema, or a
 * database restored from an older backup, is not ready) and no job of its own
 * has stalled. Cheap: `select 1`, one small read of drizzle's migrations table,
 * and the jobs' clocks in memory.
 */
export async function checkReadiness(options: {
  database: Pick<DatabaseHandle, "db" | "ping">;
  jobs?: Pick<JobRuns, "stalled">;
  shuttingDown?: boolean;
  timeoutMs?: number;
}): Promise<ReadinessAnswer> {
  const { database, jobs = jobRuns, shuttingDown = false, timeoutMs = 2_000 } = options;
  const notReady: ReadinessAnswer["body"]["notReady"] = shuttingDown ? ["shutting_down"] : [];
  let reachable = true;
  let migrations: ReadinessAnswer["body"]["migrations"] = "unknown";
  try {
    await withTimeout(database.ping(), timeoutMs);
    migrations = (await withTimeout(latestMigrationApplied(database.db), timeoutMs)) ? "applied" : "pending";
  } catch {
    reachable = false;
  }
  if (!reachable) notReady.push("database");
  if (migrations === "pending") notReady.push("migrations");
  const stalledJobs = jobs.stalled();
  if (stalledJobs.length > 0) notReady.push("jobs");
  return {
    status: notReady.length === 0 ? 200 : 503,
    body: {
      status: notReady.length === 0 ? "ready" : "not_ready",
      notReady,
      database: reachable ? "ok" : "unreachable",
      migrations,
      stalledJobs,
    },
  };
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * The Prometheus endpoint on its own port (METRICS_PORT), never the public
 * one: it answers GET /metrics and nothing else, with what `scrape` gives (by
 * default this process's registry; a cluster's primary adds up its workers').
 */
export async function startMetricsServer(options: {
  port: number;
  host: string;
  logger: Logger;
  scrape?: () => Promise<string>;
}): Promise<Server> {
  const { port, host, logger, scrape = () => metricsRegistry.metrics() } = options;
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not found: the metrics are at /metrics\n");
      return;
    }
    scrape().then(
      (text) => res.writeHead(200, { "Content-Type": metricsRegistry.contentType, "Cache-Control": "no-store" }).end(text),
      (error: unknown) => {
        logger.error({ err: error }, "metrics: collecting failed");
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end("Collecting the metrics failed (logged)\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  logger.info({ url: `http://${host}:${port}/metrics` }, "metrics listening");
  return server;
}
