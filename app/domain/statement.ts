import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json";
import type { PaymentProvider } from "./payment-order";
import type { PaymentTool } from "./payment-tools";
import type { SettlementLineKind } from "./reconciliation";

/**
 * Agency statements (機關日報表): for one agency and one Taiwan day, what its
 * bills brought in, what was given back, what the providers kept as fees, and
 * the net, by bill type and payment tool, with how the portal's records
 * compare with the providers' settlement files of the day
 * (docs/decisions/021-agency-statements.md).
 */

/**
 * `total` split into whole parts in proportion to `weights`, by the largest
 * remainder: each part is its exact share rounded down, and the units left
 * over go one each to the parts whose exact shares lost the most (ties: the
 * larger weight, then the earlier part). The parts add up to `total` exactly,
 * each is within one of its exact share, a part of weight 0 gets 0, and the
 * same input always gives the same parts. A negative total (a fee the
 * provider gives back) is split as its magnitude, with the sign kept.
 */
export function allocateByWeight(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total)) throw new RangeError(`not a whole amount: ${total}`);
  if (weights.some((weight) => !Number.isSafeInteger(weight) || weight < 0))
    throw new RangeError("weights must be whole numbers, not negative");
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) throw new RangeError("nothing to split by: no weight above zero");
  // In BigInt: a large amount times a large weight passes 2^53.
  const magnitude = BigInt(Math.abs(total));
  const divisor = BigInt(sum);
  const shares = weights.map((weight, index) => {
    const exact = magnitude * BigInt(weight);
    return { index, weight, part: exact / divisor, remainder: exact % divisor };
  });
  let left = magnitude - shares.reduce((a, share) => a + share.part, 0n);
  const byLoss = [...shares].sort((a, b) =>
    a.remainder !== b.remainder ? (b.remainder > a.remainder ? 1 : -1) : b.weight - a.weight || a.index - b.index,
  );
  for (const share of byLoss) {
    if (left === 0n) break;
    share.part += 1n;
    left -= 1n;
  }
  return shares.map((share) => (total < 0 ? 0 - Number(share.part) : Number(share.part)));
}

/** Where money of a bill is counted: its agency, its bill type and the tool it was paid with. */
export interface StatementBucket {
  agency: string;
  billType: string;
  tool: PaymentTool;
}

/**
 * Bills of one bucket paid that day through one provider (the items of the
 * orders paid that day): how many, and what the orders charged for them.
 */
interface PaidBills extends StatementBucket {
  provider: PaymentProvider;
  count: number;
  amount: number;
}

/** Refunds of one bucket completed that day: how many, and what they gave back. */
type CompletedRefunds = PaidBills;

/**
 * A line of the day's settlement files, with the bills it is for, weighted by
 * what each was charged (a refund traced to its refund: that refund's bill
 * alone). No bills: the line could be traced to no order of the portal's.
 */
export interface SettledLine {
  kind: SettlementLineKind;
  provider: PaymentProvider;
  amount: number;
  fee: number;
  bills: ReadonlyArray<StatementBucket & { weight: number }>;
}

export interface StatementLine {
  billType: string;
  paymentTool: PaymentTool;
  /** Bills paid, and what they brought in. */
  payments: number;
  collected: number;
  /** Refunds completed, and what they gave back. */
  refunds: number;
  refunded: number;
  /** The providers' fees on the day's settlement lines, this line's share. */
  fees: number;
  net: number;
}

/** How an agency's records of the day compare with the day's settlement files. */
export interface StatementReconciliation {
  /** The records and the files agree to the dollar, every provider's file is in, and every line of them is traced. */
  tiesOut: boolean;
  /** This agency's share of the payment and refund amounts in the files (a line split over its order's bills as its fee is). */
  settledCollected: number;
  settledRefunded: number;
  /** Providers that carried this agency's money that day but whose file for the day is not in. */
  missingFiles: PaymentProvider[];
  /** Lines of the day's files traced to no order (of any agency): they may be anyone's. */
  unattributed: { lines: number; collected: number; refunded: number; fees: number };
}

/** A statement's figures, as computed from the records and the files. */
export interface StatementFigures {
  agency: string;
  businessDate: string;
  collected: number;
  refunded: number;
  fees: number;
  net: number;
  lines: StatementLine[];
  reconciliation: StatementReconciliation;
}

export interface DayRecords {
  businessDate: string;
  paid: readonly PaidBills[];
  refunds: readonly CompletedRefunds[];
  settled: readonly SettledLine[];
  /** Providers whose settlement file for the day is in (the current one of each). */
  filesFrom: readonly PaymentProvider[];
  /** Agencies that get a statement whatever the day holds (their statement in force may need correcting to nothing). */
  alsoFor?: readonly string[];
}

interface AgencyTally {
  lines: Map<string, StatementLine>;
  settledCollected: number;
  settledRefunded: number;
  providers: Set<PaymentProvider>;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The statements of a day, one per agency with anything that day (a payment,
 * a refund, or a share of a settlement line) and one per agency of `alsoFor`,
 * agencies and lines in code order. Every settlement line's fee and amount is split over its bills by
 * `allocateByWeight`, so the agencies' fees add up to the files' fees, and
 * their settled amounts to the files' amounts, to the dollar, whatever the
 * mismatches (less only what no order explains, which each statement states).
 */
export function dayStatements(day: DayRecords): StatementFigures[] {
  const agencies = new Map<string, AgencyTally>();
  const tally = (agency: string) => {
    let found = agencies.get(agency);
    if (!found) agencies.set(agency, (found = { lines: new Map(), settledCollected: 0, settledRefunded: 0, providers: new Set() }));
    return found;
  };
  for (const agency of day.alsoFor ?? []) tally(agency);
  const line = (bucket: StatementBucket) => {
    const lines = tally(bucket.agency).lines;
    const key = `${bucket.billType}\u0000${bucket.tool}`;
    let found = lines.get(key);
    if (!found) {
      found = { billType: bucket.billType, paymentTool: bucket.tool, payments: 0, collected: 0, refunds: 0, refunded: 0, fees: 0, net: 0 };
      lines.set(key, found);
    }
    return found;
  };

  for (const bill of day.paid) {
    const entry = line(bill);
    entry.payments += bill.count;
    entry.collected += bill.amount;
    tally(bill.agency).providers.add(bill.provider);
  }
  for (const refund of day.refunds) {
    const entry = line(refund);
    entry.refunds += refund.count;
    entry.refunded += refund.amount;
    tally(refund.agency).providers.add(refund.provider);
  }
  const unattributed = { lines: 0, collected: 0, refunded: 0, fees: 0 };
  for (const settled of day.settled) {
    if (settled.bills.length === 0) {
      unattributed.lines += 1;
      unattributed[settled.kind === "payment" ? "collected" : "refunded"] += settled.amount;
      unattributed.fees += settled.fee;
      continue;
    }
    const weights = settled.bills.map((bill) => bill.weight);
    const fees = allocateByWeight(settled.fee, weights);
    const amounts = allocateByWeight(settled.amount, weights);
    for (const [i, bill] of settled.bills.entries()) {
      line(bill).fees += fees[i]!;
      const agency = tally(bill.agency);
      if (settled.kind === "payment") agency.settledCollected += amounts[i]!;
      else agency.settledRefunded += amounts[i]!;
    }
  }

  const filesFrom = new Set(day.filesFrom);
  return [...agencies.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([agency, found]) => {
      const lines = [...found.lines.values()]
        .map((entry) => ({ ...entry, net: entry.collected - entry.refunded - entry.fees }))
        .sort((a, b) => compare(a.billType, b.billType) || compare(a.paymentTool, b.paymentTool));
      const sum = (field: "collected" | "refunded" | "fees") => lines.reduce((total, entry) => total + entry[field], 0);
      const [collected, refunded, fees] = [sum("collected"), sum("refunded"), sum("fees")];
      const missingFiles = [...found.providers].filter((provider) => !filesFrom.has(provider)).sort(compare);
      return {
        agency,
        businessDate: day.businessDate,
        collected,
        refunded,
        fees,
        net: collected - refunded - fees,
        lines,
        reconciliation: {
          tiesOut:
            found.settledCollected === collected &&
            found.settledRefunded === refunded &&
            missingFiles.length === 0 &&
            unattributed.lines === 0,
          settledCollected: found.settledCollected,
          settledRefunded: found.settledRefunded,
          missingFiles,
          unattributed: { ...unattributed },
        },
      };
    });
}

/** The statement as sent and hashed: its figures, its version and its currency. */
export interface StatementDocument extends StatementFigures {
  version: number;
  currency: "TWD";
}

export function statementDocument(figures: StatementFigures, version: number): StatementDocument {
  return { ...figures, version, currency: "TWD" };
}

/** The canonical JSON text of a statement: what the agency downloads as JSON, byte for byte, and what `sha256` is of. */
export const statementJson = (document: StatementDocument): string => canonicalJson(document);

export const statementSha256 = (document: StatementDocument): string => createHash("sha256").update(statementJson(document)).digest("hex");

/** Whether two computations of a statement say the same (version aside): a rebuild that does changes nothing. */
export const sameFigures = (a: StatementFigures, b: StatementFigures): boolean =>
  canonicalJson(statementDocument(a, 1)) === canonicalJson(statementDocument(b, 1));
