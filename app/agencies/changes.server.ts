import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database, DatabaseHandle } from "~/base/db.server";
import { forgetCatalogue } from "~/bills/catalogue.server";

/**
 * Telling every running instance that the catalogue or an agency's
 * credentials changed, so that none serves its cached copy for the rest of
 * its minute. The change's transaction sends `pg_notify` (delivered at
 * commit, never for a rolled-back change); each instance listens on its
 * database (started by the composition root) and forgets its caches. The
 * instance that made the change forgets at once as well, without waiting for
 * its own notice.
 */

const SETTINGS_CHANNEL = "agency_settings_changed";

/** What changed: the bill catalogue, webhook receivers and their secrets, API keys. */
const SETTINGS_TOPICS = ["catalogue", "webhooks", "api-keys"] as const;
export type SettingsTopic = (typeof SETTINGS_TOPICS)[number];

type Forgetter = (db: Database) => void;
const forgetters: Record<SettingsTopic, Set<Forgetter>> = {
  catalogue: new Set([forgetCatalogue]),
  webhooks: new Set(),
  "api-keys": new Set(),
};

/** Registers a cache to drop when `topic` changes (a feature above this layer keeping its own copy, e.g. of API keys). */
export function onSettingsChanged(topic: SettingsTopic, forget: Forgetter): void {
  forgetters[topic].add(forget);
}

function forgetLocally(db: Database, topic: SettingsTopic): void {
  for (const forget of forgetters[topic]) forget(db);
}

/** The signal, sent inside the changing transaction `tx` (PostgreSQL delivers it at commit). */
async function announceSettingsChange(tx: Database, topic: SettingsTopic): Promise<void> {
  await tx.execute(sql`select pg_notify(${SETTINGS_CHANNEL}, ${topic})`);
}

/**
 * Runs `change` in a transaction that announces `topic` to the other
 * instances, then forgets this instance's copies of `db`.
 */
export async function changeSettings<T>(db: Database, topic: SettingsTopic, change: (tx: Database) => Promise<T>): Promise<T> {
  const result = await db.transaction(async (tx) => {
    const value = await change(tx as unknown as Database);
    await announceSettingsChange(tx as unknown as Database, topic);
    return value;
  });
  forgetLocally(db, topic);
  return result;
}

const isTopic = (value: string): value is SettingsTopic => (SETTINGS_TOPICS as readonly string[]).includes(value);

/**
 * Listens for changes made through any instance on `database`; the returned
 * function stops listening (at shutdown). A payload this version does not know
 * forgets everything: a newer instance's change is never ignored.
 */
export async function listenForSettingsChanges(database: DatabaseHandle, logger?: Logger): Promise<() => Promise<void>> {
  return database.listen(SETTINGS_CHANNEL, (payload) => {
    const topics = isTopic(payload) ? [payload] : SETTINGS_TOPICS;
    for (const topic of topics) forgetLocally(database.db, topic);
    logger?.debug({ topics }, "agency settings changed elsewhere: caches forgotten");
  });
}
