import { ConfigurationError, demoModeRequested, installConfiguration, parseEnv, type Env } from "~/base/env.server";
import type * as DemoWing from "~/demo/index.server";

/**
 * The configuration of this process, composed once. Outside demo mode it is
 * the environment, validated. In demo mode (DEMO_MODE=true, or nothing
 * configured on the embedded database) the demo wing is loaded, and only
 * then, from its own bundle (build/demo.js, not part of the portal's), and
 * its overlay fills in the sandboxes before the same validation.
 */

export interface Configuration {
  env: Env;
  /** The demo wing and where its servers listen, in demo mode only. */
  demo: { wing: typeof DemoWing; services: DemoWing.DemoServices } | null;
}

async function loadDemoWing(): Promise<typeof DemoWing> {
  // A computed address: the bundler leaves it alone, so the demo stays out of the portal's bundle.
  const address = new URL("./demo.js", import.meta.url).href;
  return (await import(/* @vite-ignore */ address)) as typeof DemoWing;
}

export async function loadConfiguration(source: Record<string, string | undefined> = process.env): Promise<Configuration> {
  if (!demoModeRequested(source)) {
    const env = parseEnv({ ...source, DEMO_MODE: "false" });
    installConfiguration(env);
    return { env, demo: null };
  }
  const wing = await loadDemoWing();
  const overlay = wing.demoOverlay(source);
  if (!overlay.ok) throw new ConfigurationError(overlay.problems);
  const env = parseEnv(overlay.environment);
  installConfiguration(env);
  return { env, demo: { wing, services: overlay.services } };
}

/** For the command line and the server alike: the configuration, or a plain message and exit code 1. */
export async function configurationOrExit(): Promise<Configuration> {
  try {
    return await loadConfiguration();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    // Plain stderr: the logger itself depends on the configuration.
    console.error(`${error.message}\nThe portal did not start. See the configuration table in README.md.`);
    process.exit(1);
  }
}
