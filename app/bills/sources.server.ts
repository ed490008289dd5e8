import { z } from "zod";
import { PAYMENT_CHANNELS } from "~/domain/catalogue";
import type { BillSourceId } from "~/domain/member";
import type { Env } from "~/base/env.server";
import { signRequest } from "~/base/signatures.server";

/**
 * The HTTP adapter of the outside bill sources (the water company, the power
 * company, the parking system): one signed request per source with the
 * member's numbers of its kind, answered with their pending bills.
 *
 *   POST <url>/pending-bills   {"subjects": ["04-12345678-5"]}
 *   X-Portal-Key-Id / X-Portal-Timestamp / X-Portal-Signature (see signatures.server.ts)
 *   200 {"bills":   [{billType, writeOffNumber, subject, payerName, amount, issuedOn, dueDate, period}],
 *        "settled": [{billType, writeOffNumber, subject, outcome: "paid" | "cancelled", settledAt, channel?}]}
 *
 * `settled` (optional) names bills of those numbers the source no longer
 * collects: paid through another channel (its counter, a bank, a store,
 * automatic debit) or cancelled. Without it a bill paid at the water
 * company's counter would still be offered here, and paid twice.
 */

export type BillSourceConfig = Env["billSources"][number];

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const sourceBill = z.object({
  billType: z.string().min(1).max(40),
  writeOffNumber: z.string().min(1).max(40),
  subject: z.string().min(1).max(40),
  payerName: z.string().min(1).max(60),
  amount: z.number().int().positive().max(999_999_999),
  issuedOn: isoDate,
  dueDate: isoDate,
  period: z.string().regex(/^[0-9A-Z]{4}$/),
}).refine((bill) => bill.dueDate >= bill.issuedOn, "due before issued");
export type SourceBill = z.infer<typeof sourceBill>;

const settledBill = z.object({
  billType: z.string().min(1).max(40),
  writeOffNumber: z.string().min(1).max(40),
  subject: z.string().min(1).max(40),
  settledAt: z.iso.datetime({ offset: true }),
});
const sourceSettlement = z.discriminatedUnion("outcome", [
  // "portal" is this portal's own channel: a source cannot claim a payment made here.
  settledBill.extend({ outcome: z.literal("paid"), channel: z.enum(PAYMENT_CHANNELS).exclude(["portal"]) }),
  settledBill.extend({ outcome: z.literal("cancelled") }),
]);
export type SourceSettlement = z.infer<typeof sourceSettlement>;

// A malformed entry is dropped, not the whole answer: one bad bill should not hide the others.
const sourceAnswer = z.object({ bills: z.array(z.unknown()).max(500), settled: z.array(z.unknown()).max(500).optional() });

export class BillSourceUnavailable extends Error {
  constructor(
    readonly source: BillSourceId,
    readonly reason: "timeout" | "http_error" | "bad_answer" | "network",
    detail: string,
  ) {
    super(`${source}: ${reason} (${detail})`);
  }
}

export interface SourceAnswer {
  bills: SourceBill[];
  settled: SourceSettlement[];
  /** Entries that did not have the agreed shape (logged, never shown). */
  rejected: number;
}

export async function fetchSourceBills(
  config: BillSourceConfig,
  subjects: readonly string[],
  timeoutMs: number,
  now = Date.now(),
): Promise<SourceAnswer> {
  const url = new URL(`${config.url.replace(/\/+$/, "")}/pending-bills`);
  const body = JSON.stringify({ subjects });
  const timestamp = Math.floor(now / 1000);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-Portal-Key-Id": config.keyId,
        "X-Portal-Timestamp": String(timestamp),
        "X-Portal-Signature": signRequest(config.secret, { method: "POST", path: url.pathname, body }, timestamp),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new BillSourceUnavailable(config.source, timedOut ? "timeout" : "network", String(error));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new BillSourceUnavailable(config.source, "http_error", `HTTP ${response.status}`);
  }
  let parsed: z.infer<typeof sourceAnswer>;
  try {
    parsed = sourceAnswer.parse(await response.json());
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new BillSourceUnavailable(config.source, timedOut ? "timeout" : "bad_answer", String(error).slice(0, 200));
  }
  const bills: SourceBill[] = [];
  let rejected = 0;
  for (const entry of parsed.bills) {
    const bill = sourceBill.safeParse(entry);
    if (bill.success) bills.push(bill.data);
    else rejected += 1;
  }
  const settled: SourceSettlement[] = [];
  for (const entry of parsed.settled ?? []) {
    const settlement = sourceSettlement.safeParse(entry);
    if (settlement.success) settled.push(settlement.data);
    else rejected += 1;
  }
  return { bills, settled, rejected };
}
