import cluster, { type Worker } from "node:cluster";
import client from "prom-client";
import { metricsRegistry } from "~/base/metrics.server";

/**
 * Metrics of a cluster (docs/decisions/028): the primary serves METRICS_PORT,
 * asks each worker for its registry over the cluster's IPC channel, and adds
 * them up with prom-client's aggregator (counters and histograms summed, each
 * metric's own `aggregator` otherwise), followed by the primary's own registry
 * (the gauges read from the database, and how many workers answered).
 *
 * Not prom-client's `clusterMetrics()`: it fails the whole scrape after 5 s
 * when one worker is still booting (a restarted worker, which has no listener
 * yet). Here a worker that does not answer in time is left out and counted.
 */

const REQUEST = "portal:metrics?";
const ANSWER = "portal:metrics";

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  metrics?: client.MetricObjectWithValues<client.MetricValue<string>>[];
  error?: string;
}

const isRequest = (message: unknown): message is MetricsRequest => (message as MetricsRequest | null)?.type === REQUEST;
const isAnswer = (message: unknown): message is MetricsAnswer => (message as MetricsAnswer | null)?.type === ANSWER;

/** In a worker: answers the primary's requests with this process's registry. */
export function answerMetricsRequests(): void {
  process.on("message", (message) => {
    if (!isRequest(message)) return;
    metricsRegistry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ type: ANSWER, id: message.id, metrics } satisfies MetricsAnswer),
      (error: unknown) => process.send?.({ type: ANSWER, id: message.id, error: String(error) } satisfies MetricsAnswer),
    );
  });
}

/**
 * In the primary: a scrape of every worker, added up, and then of `own`. A
 * worker that has not answered after `timeoutMs` is left out of this scrape.
 */
export function clusterScrape(own: client.Registry, options: { timeoutMs?: number } = {}): () => Promise<string> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const waiting = new Map<number, (answer: MetricsAnswer) => void>();
  let nextId = 0;
  cluster.on("message", (_worker, message) => {
    if (isAnswer(message)) waiting.get(message.id)?.(message);
  });
  own.removeSingleMetric("bill_portal_cluster_workers");
  const workersGauge = new client.Gauge({
    name: "bill_portal_cluster_workers",
    help: "Workers of this cluster at the last scrape, by whether their metrics are in it (a worker still starting is not).",
    labelNames: ["answered"] as const,
    registers: [own],
  });

  const ask = (worker: Worker) =>
    new Promise<MetricsAnswer | null>((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => settle(null), timeoutMs);
      function settle(answer: MetricsAnswer | null) {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(answer);
      }
      waiting.set(id, settle);
      worker.send({ type: REQUEST, id } satisfies MetricsRequest);
    });

  return async () => {
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker?.isConnected() === true);
    const answers = await Promise.all(workers.map(ask));
    const reported = answers.flatMap((answer) => (answer?.metrics ? [answer.metrics] : []));
    workersGauge.set({ answered: "yes" }, reported.length);
    workersGauge.set({ answered: "no" }, workers.length - reported.length);
    const added = reported.length > 0 ? await client.AggregatorRegistry.aggregate(reported).metrics() : "";
    return added + (await own.metrics());
  };
}
