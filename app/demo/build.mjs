// Builds the demo wing into a bundle of its own (build/demo.js), beside the
// portal's (build/index.js), which never contains it: the composition root
// loads it only in demo mode (app/composition/configuration.server.ts).
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../..", import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ["app/demo/index.server.ts"],
  outfile: "build/demo.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // npm packages load from node_modules, as the portal's own bundle does.
  packages: "external",
  alias: { "~": "./app", "#db": "./db" },
  sourcemap: true,
  logLevel: "warning",
});
