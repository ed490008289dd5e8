import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Vitest global setup: the process-level tests start the real server, which
 * needs the Remix build. Rebuild when any source is newer than the build.
 */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const output = "build/index.js";
  const stale =
    !existsSync(output) ||
    newestMtime("app") > statSync(output).mtimeMs ||
    // `npm run dev` leaves a development build, which a production server cannot run.
    !readFileSync(output, "utf8").includes('mode = "production"');
  if (stale) execFileSync("npm", ["run", "build", "--silent"], { stdio: "ignore" });
}
