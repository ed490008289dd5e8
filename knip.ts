import { defineConfig } from "knip/config";

// `npm test` runs knip: no unused file, dependency or export (exports used only
// in their own file count as unused: they should not be exported).
export default defineConfig({
  entry: [
    // The demo wing is loaded by a computed import (app/composition/configuration.server.ts).
    "app/demo/index.server.ts",
    // Started by bench/run.mjs as child processes and configurations.
    "bench/baseline-server.mjs",
    "bench/vitest.config.ts",
    "bench/scan.config.ts",
    "bench/scan.setup.ts",
  ],
  project: ["app/**/*.{ts,tsx,mjs}", "db/**/*.ts", "tests/**/*.{ts,mjs}", "e2e/**/*.{ts,mjs}", "bench/**/*.{ts,mjs}"],
  ignoreExportsUsedInFile: false,
  // The receipt PDF's font, opened by file name (require.resolve) in app/payments/pdf.server.ts.
  ignoreDependencies: ["@expo-google-fonts/noto-sans-tc"],
});
