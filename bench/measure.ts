/** One operation many times, `concurrency` at a time: operations per second and latency percentiles. */
export interface Measured {
  operations: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number };
}

export async function measure(total: number, concurrency: number, work: (i: number) => Promise<void>): Promise<Measured> {
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const begin = performance.now();
        await work(i);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! * 10) / 10;
  return { operations: total, perSecond: Math.round((total / seconds) * 10) / 10, latencyMs: { p50: at(0.5), p99: at(0.99) } };
}
