import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { taipeiDate } from "~/domain/dates";
import type { LookupWay } from "~/domain/statistics";
import { schema, type Database } from "~/base/db.server";

/**
 * Look-ups counted where their outcome is decided, for the monthly
 * statistics: one row per Taiwan day, way, bill type and outcome, its count
 * raised by one upsert. Counts only: nothing about who looked or for which
 * bill. A tally that cannot be written is logged and forgotten: the resident's
 * look-up matters more than the figure.
 */

export async function tallyLookup(
  db: Database,
  logger: Logger,
  tally: { way: LookupWay; billTypeCode: string | null | undefined; outcome: string },
  now: Date,
): Promise<void> {
  const { lookupTallies } = schema;
  try {
    await db
      .insert(lookupTallies)
      .values({ day: taipeiDate(now), way: tally.way, billTypeCode: tally.billTypeCode ?? "", outcome: tally.outcome, count: 1 })
      .onConflictDoUpdate({
        target: [lookupTallies.day, lookupTallies.way, lookupTallies.billTypeCode, lookupTallies.outcome],
        set: { count: sql`${lookupTallies.count} + 1` },
      });
  } catch (error) {
    logger.warn({ err: error, way: tally.way, outcome: tally.outcome }, "look-up tally not counted");
  }
}
