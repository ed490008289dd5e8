import type { Logger } from "pino";
import { getDb } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { sweepRetention } from "~/base/retention.server";

const HOUR_MS = 3_600_000;
// A portal restarted more often than hourly (deploys) still sweeps.
const FIRST_RUN_AFTER_MS = 60_000;

/**
 * The retention sweep (app/base/retention.server.ts) a minute after start, then
 * an hour after each run ends, so runs never overlap; off when JOBS_INTERVAL_MS
 * is 0 (tests run it by hand). Every instance may run it: the deletes are idempotent.
 */
export function startRetentionJob(env: Env, logger: Logger): { stop(): void } {
  if (env.JOBS_INTERVAL_MS === 0) return { stop() {} };
  let stopped = false;
  let timer: NodeJS.Timeout;
  const schedule = (afterMs: number) => {
    timer = setTimeout(() => void sweep().finally(() => stopped || schedule(HOUR_MS)), afterMs);
    timer.unref();
  };
  const sweep = async () => {
    try {
      const deleted = await sweepRetention(getDb());
      if (Object.values(deleted).some((count) => count > 0)) logger.info({ deleted }, "retention sweep");
    } catch (error) {
      logger.error({ err: error }, "retention sweep failed");
    }
  };
  schedule(FIRST_RUN_AFTER_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
