/**
 * When a background job counts as stalled (停滯), for /readyz and the job-lag
 * metric: its runs no longer end (hung), whether they succeed or fail is the
 * failure counter's. A tick is skipped while the previous run is still going
 * (a slow bill source, a big mail batch), so one or two missed ticks are
 * normal; five in a row, plus a margin for the first run after start-up, are not.
 */

export interface JobRunRecord {
  name: string;
  intervalMs: number;
  /** When the job was started in this process: a job that never completed a run is measured from here. */
  startedAt: Date;
  lastRunEndedAt: Date | null;
}

const STALLED_AFTER_INTERVALS = 5;
const STALL_MARGIN_MS = 60_000;

/** Seconds since the job last ended a run (since it started, if it never has). */
export function jobLagSeconds(job: JobRunRecord, now: Date): number {
  const since = job.lastRunEndedAt ?? job.startedAt;
  return Math.max(0, (now.getTime() - since.getTime()) / 1000);
}

function isStalled(job: JobRunRecord, now: Date): boolean {
  return jobLagSeconds(job, now) * 1000 > STALLED_AFTER_INTERVALS * job.intervalMs + STALL_MARGIN_MS;
}

/** The names of the stalled jobs, in the order given. */
export function stalledJobs(jobs: readonly JobRunRecord[], now: Date): string[] {
  return jobs.filter((job) => isStalled(job, now)).map((job) => job.name);
}
