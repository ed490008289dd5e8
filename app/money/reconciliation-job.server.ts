import { addDays, taipeiDate } from "~/domain/dates";
import { PAYMENT_PROVIDERS, type PaymentProvider } from "~/domain/payment-order";
import { ProviderUnreachable } from "~/payments/providers/adapter.server";
import type { PaymentContext } from "~/payments/orders/order.server";
import { currentSettlementFiles, importSettlementFile, type ImportResult } from "./reconciliation.server";

/**
 * The daily reconciliation job: once it is RECONCILIATION_HOUR in Taiwan,
 * each configured provider's file for the previous Taiwan day is fetched and
 * reconciled, unless the day has a file of that provider already (fetched
 * earlier, or uploaded by staff). When every provider's file of the day is
 * in, the steps that follow reconciliation run (the agencies' statements).
 *
 * Safe on several instances: a file is imported under an advisory lock and
 * the same file twice changes nothing, so two instances fetching at the same
 * moment cost one extra download at worst. A provider that refused or did
 * not answer is asked again after RETRY_MINUTES (ECPay answers one download
 * a minute, and a refused one restarts the minute).
 */

/** A step that needs the day reconciled for every provider; it must be idempotent (it may run again after a restart or on another instance). */
export type AfterReconciliation = (ctx: PaymentContext, businessDate: string) => Promise<void>;

export type FetchResult = ImportResult | { kind: "unavailable"; reason: string } | { kind: "unreachable"; reason: string };

const RETRY_MINUTES = 5;

/** Fetches a provider's file for a day and reconciles the day against it (the job's way, and staff's "fetch now"). */
export async function fetchAndReconcile(
  ctx: PaymentContext,
  provider: PaymentProvider,
  businessDate: string,
  now = new Date(),
): Promise<FetchResult> {
  const adapter = ctx.providers.get(provider);
  if (!adapter) return { kind: "unavailable", reason: `${provider} is not configured` };
  let answer;
  try {
    answer = await adapter.settlementFile(businessDate);
  } catch (error) {
    if (error instanceof ProviderUnreachable) return { kind: "unreachable", reason: error.message };
    throw error;
  }
  if (answer.kind === "unavailable") return answer;
  return importSettlementFile(
    ctx,
    { provider, businessDate, origin: "fetched", fileName: answer.fileName, content: answer.content, uploadedBy: null },
    now,
  );
}

const taiwanHour = (now: Date) => new Date(now.getTime() + 8 * 3600_000).getUTCHours();

export interface DailyReconciliation {
  /** One round: what it fetched, what it still waits for, and whether the after-steps ran. */
  run(
    ctx: PaymentContext,
    now?: Date,
  ): Promise<
    | { kind: "not_yet" }
    | {
        kind: "ran";
        businessDate: string;
        results: Partial<Record<PaymentProvider, FetchResult["kind"]>>;
        waiting: PaymentProvider[];
        stepsRan: boolean;
      }
  >;
}

export function dailyReconciliation(options: { afterDay?: readonly AfterReconciliation[] } = {}): DailyReconciliation {
  const done = new Set<string>();
  const nextAttempt = new Map<string, number>();
  return {
    async run(ctx, now = new Date()) {
      if (taiwanHour(now) < ctx.env.RECONCILIATION_HOUR) return { kind: "not_yet" };
      const businessDate = addDays(taipeiDate(now), -1);
      const configured = PAYMENT_PROVIDERS.filter((provider) => ctx.providers.get(provider) !== undefined);
      const present = new Set((await currentSettlementFiles(ctx.db, businessDate)).map((file) => file.provider));
      const results: Partial<Record<PaymentProvider, FetchResult["kind"]>> = {};
      for (const provider of configured.filter((p) => !present.has(p))) {
        const key = `${provider}:${businessDate}`;
        if ((nextAttempt.get(key) ?? 0) > now.getTime()) continue;
        const result = await fetchAndReconcile(ctx, provider, businessDate, now);
        results[provider] = result.kind;
        if (result.kind === "imported" || result.kind === "same_file") present.add(provider);
        else {
          nextAttempt.set(key, now.getTime() + RETRY_MINUTES * 60_000);
          // A provider that gives no file here waits for an upload: worth a note, not an alarm.
          ctx.logger[result.kind === "unavailable" ? "info" : "warn"](
            { provider, businessDate, result: result.kind, reason: "reason" in result ? result.reason : result.problem },
            "settlement file not reconciled: asked again later, or upload it in the back office",
          );
        }
      }
      const waiting = configured.filter((provider) => !present.has(provider));
      let stepsRan = false;
      if (waiting.length === 0 && !done.has(businessDate)) {
        for (const step of options.afterDay ?? []) await step(ctx, businessDate);
        done.add(businessDate);
        stepsRan = true;
      }
      return { kind: "ran", businessDate, results, waiting, stepsRan };
    },
  };
}
