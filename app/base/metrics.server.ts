import client from "prom-client";
import { count, eq, sql } from "drizzle-orm";
import { jobLagSeconds, stalledJobs, type JobRunRecord } from "~/domain/readiness";
import { schema, selectRows, type Database } from "./db.server";

/**
 * The portal's one Prometheus registry (prom-client), served on METRICS_PORT
 * by the composition root, never on the public port. Every layer from base up
 * records into the metrics declared here; names start with `bill_portal_`.
 * Counters are per process (Prometheus' rate() copes with restarts), added up
 * over a cluster's workers by its primary; what is the same on every instance
 * (orders by state, outbox depth) is read from the database on scrape.
 */
export const metricsRegistry = new client.Registry();
let processMetrics = false;

// Pages answer in milliseconds; outside calls time out after seconds.
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = new client.Histogram({
  name: "bill_portal_http_request_duration_seconds",
  help: "Time to answer an HTTP request, by route id (never the raw path), method and status class (2xx…5xx).",
  labelNames: ["route", "method", "status_class"] as const,
  buckets: SECONDS,
  registers: [metricsRegistry],
});

export const paymentTransitions = new client.Counter({
  name: "bill_portal_payment_transitions_total",
  help: "Payment orders moved from one state to another, by provider.",
  labelNames: ["provider", "from", "to"] as const,
  registers: [metricsRegistry],
});

export const rateLimitRefusals = new client.Counter({
  name: "bill_portal_rate_limit_refusals_total",
  help: "Attempts refused by a rate limit, by rule.",
  labelNames: ["rule"] as const,
  registers: [metricsRegistry],
});

/** A latency histogram and a failure counter for the calls to one kind of outside system. */
function outsideCallMetrics<Label extends string>(system: "bill_source" | "ecounter", what: string, label: Label) {
  return {
    duration: new client.Histogram({
      name: `bill_portal_${system}_request_duration_seconds`,
      help: `Time of a call to ${what}, by ${label} and outcome (ok or failed).`,
      labelNames: [label, "outcome"],
      buckets: SECONDS,
      registers: [metricsRegistry],
    }),
    failures: new client.Counter({
      name: `bill_portal_${system}_failures_total`,
      help: `Calls to ${what} that gave no usable answer, by ${label} and reason.`,
      labelNames: [label, "reason"],
      registers: [metricsRegistry],
    }),
  };
}

const billSourceCalls = outsideCallMetrics("bill_source", "an outside bill source", "source");
const ecounterCalls = outsideCallMetrics("ecounter", "the e-counter", "operation");

/**
 * Times one outside call and counts its failure; `reasonOf` names the reason
 * of a failure the caller knows (its own error classes), anything else is
 * counted as "unexpected". The error is rethrown untouched.
 */
async function observeCall<T>(
  calls: ReturnType<typeof outsideCallMetrics>,
  labels: Record<string, string>,
  reasonOf: (error: unknown) => string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const end = calls.duration.startTimer(labels);
  try {
    const result = await work();
    end({ outcome: "ok" });
    return result;
  } catch (error) {
    end({ outcome: "failed" });
    calls.failures.inc({ ...labels, reason: reasonOf(error) ?? "unexpected" });
    throw error;
  }
}

export const observeBillSourceCall = <T>(source: string, reasonOf: (error: unknown) => string | undefined, work: () => Promise<T>) =>
  observeCall(billSourceCalls, { source }, reasonOf, work);

export const observeEcounterCall = <T>(operation: string, reasonOf: (error: unknown) => string | undefined, work: () => Promise<T>) =>
  observeCall(ecounterCalls, { operation }, reasonOf, work);

const jobFailures = new client.Counter({
  name: "bill_portal_job_failures_total",
  help: "Runs of a background job that ended in a failure, by job.",
  labelNames: ["job"] as const,
  registers: [metricsRegistry],
});

/**
 * The background jobs of this process and when each last completed a run:
 * for /readyz (stalled jobs) and the job-lag gauge. The clock is injectable
 * for tests.
 */
export class JobRuns {
  private readonly jobs = new Map<string, JobRunRecord>();

  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** Declares a job started with its interval; a job that is off is never registered. */
  started(name: string, intervalMs: number): void {
    this.jobs.set(name, { name, intervalMs, startedAt: this.clock(), lastRunEndedAt: null });
  }

  /**
   * A run ended. A run that failed (a source down, the database gone for a
   * moment) still ended: it is counted as a failure, but only a job that no
   * longer ends its runs (hung) is stalled, so an outside system's outage
   * never takes every instance out of the load balancer.
   */
  ended(name: string, outcome: "completed" | "failed" = "completed"): void {
    const job = this.jobs.get(name);
    if (job) job.lastRunEndedAt = this.clock();
    if (outcome === "failed") jobFailures.inc({ job: name });
  }

  stalled(): string[] {
    return stalledJobs([...this.jobs.values()], this.clock());
  }

  lags(): Array<{ name: string; seconds: number }> {
    const now = this.clock();
    return [...this.jobs.values()].map((job) => ({ name: job.name, seconds: jobLagSeconds(job, now) }));
  }
}

/** The running portal's jobs (the composition root registers them). */
export const jobRuns = new JobRuns();

/**
 * What is read on scrape: this process's own (the jobs' lag, Node's process
 * metrics) and the database's (payment orders by state, the outboxes' depth).
 * Registered when the metrics port opens.
 */
export function collectOnScrape(db: () => Database, runs: JobRuns = jobRuns): void {
  collectProcessMetrics(runs);
  collectDatabaseGauges(db, metricsRegistry);
}

/**
 * A process's own gauges: the jobs' lag and Node's (CPU, memory, event-loop
 * lag, GC), only in a process that serves or reports metrics, not in the CLI.
 * In a cluster each worker reports them and the primary adds them up: the lag
 * of a job is the worst worker's.
 */
export function collectProcessMetrics(runs: JobRuns = jobRuns): void {
  if (!processMetrics) client.collectDefaultMetrics({ register: metricsRegistry, prefix: "bill_portal_" });
  processMetrics = true;
  // Registered again (a test's second portal): the new reader replaces the old.
  metricsRegistry.removeSingleMetric("bill_portal_job_lag_seconds");
  new client.Gauge({
    name: "bill_portal_job_lag_seconds",
    help: "Seconds since each background job last ended a run (since it started, if it never has); in a cluster, the worst worker's.",
    labelNames: ["job"] as const,
    registers: [metricsRegistry],
    aggregator: "max",
    collect() {
      this.reset();
      for (const { name, seconds } of runs.lags()) this.set({ job: name }, seconds);
    },
  });
}

/**
 * Gauges read from the database on scrape (one grouped query, two counts on
 * indexed states): the same seen from any process, so in a cluster only the
 * primary reads them, into a registry of its own.
 */
export function collectDatabaseGauges(db: () => Database, registry: client.Registry): void {
  for (const name of ["bill_portal_payment_orders", "bill_portal_outbox_depth"]) registry.removeSingleMetric(name);
  new client.Gauge({
    name: "bill_portal_payment_orders",
    help: "Payment orders by state.",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const rows = await selectRows<{ state: string; orders: number | string }>(
        db(),
        sql`select ${schema.paymentOrders.state} as state, count(*) as orders from ${schema.paymentOrders} group by 1`,
      );
      this.reset();
      for (const row of rows) this.set({ state: row.state }, Number(row.orders));
    },
  });
  new client.Gauge({
    name: "bill_portal_outbox_depth",
    help: "Messages waiting to go out: write-off notices pending delivery to agencies, e-mails queued.",
    labelNames: ["outbox"] as const,
    registers: [registry],
    async collect() {
      const [[notices], [mails]] = await Promise.all([
        db().select({ n: count() }).from(schema.writeOffNotices).where(eq(schema.writeOffNotices.state, "pending")),
        db().select({ n: count() }).from(schema.emailOutbox).where(eq(schema.emailOutbox.state, "queued")),
      ]);
      this.set({ outbox: "write_off_notices" }, notices?.n ?? 0);
      this.set({ outbox: "emails" }, mails?.n ?? 0);
    },
  });
}
