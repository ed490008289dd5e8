import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";

/**
 * Cluster mode (docs/decisions/028): the primary forks WEB_CONCURRENCY
 * workers that share the port (node:cluster hands connections round-robin)
 * and each run the jobs, which are safe on several processes (row locks,
 * SKIP LOCKED, leases). The primary serves nothing itself.
 */

export interface WorkerRole {
  /** 1 … WEB_CONCURRENCY; a restarted worker keeps the number of the one it replaces. */
  index: number;
}

const ROLE_REQUEST = "portal:role?";
const ROLE = "portal:role";

/**
 * In a worker: the role its primary gives it; outside a cluster, null. The
 * worker asks (the primary listens from the fork on), so no message is lost
 * to a worker still loading.
 */
export function clusterWorkerRole(): Promise<WorkerRole | null> {
  if (!cluster.isWorker || !process.send) return Promise.resolve(null);
  return new Promise((resolve) => {
    // Other messages (the primary asking for metrics) may come first.
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== ROLE) return;
      process.off("message", onMessage);
      resolve((message as { role: WorkerRole }).role);
    };
    process.on("message", onMessage);
    process.send!(ROLE_REQUEST);
  });
}

/** A worker that lived this long before dying is restarted at once; one that dies sooner waits ever longer. */
const STABLE_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * In the primary: forks `workers` workers, restarts one that dies (after a
 * growing delay when it keeps dying at boot, never in a tight loop), and on
 * SIGTERM or SIGINT passes SIGTERM on, waits for every worker to finish its
 * requests in flight and exit, then runs `stopped` and exits (0 when every
 * worker stopped cleanly).
 */
export function runCluster(options: { workers: number; logger: Logger; stopped: () => Promise<void> }): void {
  const { workers, logger, stopped } = options;
  let shuttingDown = false;
  let cleanExit = true;
  const restarts = new Set<NodeJS.Timeout>();

  const fork = (index: number, failures: number) => {
    const worker: Worker = cluster.fork();
    const started = Date.now();
    worker.on("message", (message) => {
      if (message === ROLE_REQUEST) worker.send({ type: ROLE, role: { index } satisfies WorkerRole });
    });
    worker.once("exit", (code, signal) => {
      if (shuttingDown) {
        if (code !== 0) cleanExit = false;
        if (Object.keys(cluster.workers ?? {}).length === 0) void finish();
        return;
      }
      const next = Date.now() - started < STABLE_MS ? failures + 1 : 0;
      const delayMs = next === 0 ? 0 : Math.min(1000 * 2 ** (next - 1), MAX_RESTART_DELAY_MS);
      logger.error({ worker: index, pid: worker.process.pid, code, signal, restartInMs: delayMs }, "worker died: restarting it");
      const timer = setTimeout(() => {
        restarts.delete(timer);
        fork(index, next);
      }, delayMs);
      restarts.add(timer);
    });
  };

  const finish = async () => {
    try {
      await stopped();
    } catch (error) {
      logger.error({ err: error }, "stopping the primary failed");
      cleanExit = false;
    }
    logger.info("stopped");
    logger.flush();
    process.exit(cleanExit ? 0 : 1);
  };

  const shutdown = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const timer of restarts) clearTimeout(timer);
    const running = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    logger.info({ signal, workers: running.length }, "shutting down: workers finish their requests in flight");
    if (running.length === 0) void finish();
    for (const worker of running) worker.process.kill("SIGTERM");
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);

  for (let index = 1; index <= workers; index++) fork(index, 0);
  logger.info({ workers }, "cluster started");
}
