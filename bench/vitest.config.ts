import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run bench` runs the in-process benchmarks (payments, members, records, the scanner's decoder, the audit chain, reconciliation) through vitest: TypeScript, the app's modules.
export default defineConfig({
  resolve: {
    alias: {
      "~": fileURLToPath(new URL("../app", import.meta.url)),
      "#db": fileURLToPath(new URL("../db", import.meta.url)),
    },
  },
  test: {
    include: [
      "bench/payments.bench.ts",
      "bench/members.bench.ts",
      "bench/records.bench.ts",
      "bench/scan-decode.bench.ts",
      "bench/audit.bench.ts",
      "bench/reconciliation.bench.ts",
    ],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    execArgv: ["--expose-gc"],
  },
});
