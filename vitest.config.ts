import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "~": fileURLToPath(new URL("./app", import.meta.url)),
      "#db": fileURLToPath(new URL("./db", import.meta.url)),
    },
  },
  test: {
    include: ["app/**/*.test.{ts,tsx}", "db/**/*.test.ts", "tests/**/*.test.ts"],
    environment: "node",
    // Database suites start PGlite (WebAssembly) and create PostgreSQL databases.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Both cores: most suites wait on PGlite's WebAssembly or PostgreSQL, not on each other (Vitest's default leaves one core idle).
    maxWorkers: 2,
    globalSetup: ["tests/support/build.ts"],
  },
});
