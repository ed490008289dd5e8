import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run bench` runs the in-process benchmarks (bench/*.bench.ts: payments, members, records, the scanner's decoder, the audit chain, money operations) through vitest: TypeScript, the app's modules.
export default defineConfig({
  resolve: {
    alias: {
      "~": fileURLToPath(new URL("../app", import.meta.url)),
      "#db": fileURLToPath(new URL("../db", import.meta.url)),
    },
  },
  test: {
    include: ["bench/*.bench.ts"],
    // The camera scan runs in a browser, with its own configuration (bench/scan.config.ts).
    exclude: ["bench/scan.bench.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    execArgv: ["--expose-gc"],
  },
});
