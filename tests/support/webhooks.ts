import { seedSimulatorReceivers } from "~/demo/data/seed.server";
import { installReceiverIfNone } from "~/agencies/webhook-receivers.server";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";

/**
 * Agencies' webhook receivers live in the database (app/agencies/): a test
 * that wants notices delivered sets them there, as the back office would.
 */

/** Every agency of the database without a receiver gets the simulator at `simulatorUrl`, with the simulator's secrets. */
export function receiversAtSimulator(db: Database, env: Pick<Env, "BINDING_ENCRYPTION_KEY">, simulatorUrl: string): Promise<number> {
  return seedSimulatorReceivers(db, env, simulatorUrl);
}

/** One agency's receiver at `url`, signing with `secret` (when it has none yet). */
export function receiverAt(
  db: Database,
  env: Pick<Env, "BINDING_ENCRYPTION_KEY">,
  agencyCode: string,
  url: string,
  secret: string,
): Promise<boolean> {
  return installReceiverIfNone(db, env, { agencyCode, url, secret });
}
