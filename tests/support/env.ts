import { parseEnv, type Env } from "~/base/env.server";
import { demoOverlay } from "~/demo/overlay.server";

/** The configuration of a demo portal with these variables set, as the composition root composes it. */
export function demoEnv(overrides: Record<string, string> = {}): Env {
  const overlay = demoOverlay(overrides);
  if (!overlay.ok) throw new Error(`demo configuration refused: ${overlay.problems.join("; ")}`);
  return parseEnv(overlay.environment);
}
