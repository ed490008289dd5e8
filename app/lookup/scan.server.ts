import type { Logger } from "pino";
import { parseConvenienceBill, type BarcodeProblem, type ConvenienceBill } from "~/domain/convenience-barcode";
import { taipeiDate } from "~/domain/dates";
import { validateWriteOffNumber, type WriteOffProblem } from "~/domain/write-off-number";
import { findBill, type BillView } from "~/bills/bills.server";
import { findBillTypeByCollectionCode } from "~/bills/catalogue.server";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { maskWriteOffNumber } from "~/domain/masking";
import { billFindingLimits } from "./lookup.server";
import { tallyLookup } from "./tallies.server";

/**
 * Opening a bill from its three convenience-store barcodes, scanned or typed.
 * The barcodes carry no signature (anyone can type them), so they are held to
 * the look-up's rate limits, and the amount they carry must match the agency's
 * record: knowing a number is not enough to open a bill.
 */

export type ScanOutcome =
  | { kind: "found"; bill: BillView }
  | { kind: "unreadable"; problems: BarcodeProblem[] }
  | { kind: "expired"; read: ConvenienceBill }
  /** `expired`: its convenience-store deadline has passed, so a store will refuse it too. */
  | { kind: "other_biller"; read: ConvenienceBill; expired: boolean }
  | { kind: "misread_number"; read: ConvenienceBill; problem: WriteOffProblem }
  | { kind: "not_found"; read: ConvenienceBill }
  | { kind: "amount_mismatch"; read: ConvenienceBill }
  | { kind: "rate_limited"; retryAfterSeconds: number };

export async function openScannedBill(
  db: Database,
  context: { env: Env; clientAddress: string; logger: Logger },
  barcodes: [string, string, string],
  now = new Date(),
): Promise<ScanOutcome> {
  // The bill type, once the barcodes name one the catalogue knows: what the tally counts the outcome under.
  const named: { billTypeCode?: string } = {};
  const outcome = await decide(db, context, barcodes, now, named);
  const number = "read" in outcome ? outcome.read.writeOffNumber : outcome.kind === "found" ? outcome.bill.writeOffNumber : null;
  context.logger.info(
    {
      outcome: outcome.kind,
      collectionItemCode: "read" in outcome ? outcome.read.collectionItemCode : undefined,
      writeOffNumber: number ? maskWriteOffNumber(number) : undefined,
    },
    "bill scan",
  );
  tallyLookup(db, { way: "scan", billTypeCode: named.billTypeCode, outcome: outcome.kind }, now);
  return outcome;
}

async function decide(
  db: Database,
  context: { env: Env; clientAddress: string },
  barcodes: [string, string, string],
  now: Date,
  named: { billTypeCode?: string },
): Promise<ScanOutcome> {
  const parsed = parseConvenienceBill(barcodes, taipeiDate(now));
  if (!parsed.bill) return { kind: "unreadable", problems: parsed.ok ? [] : parsed.problems };
  const read = parsed.bill;

  const found = await findBillTypeByCollectionCode(db, read.collectionItemCode);
  if (!found) return { kind: "other_biller", read, expired: !parsed.ok };
  named.billTypeCode = found.billType.code;
  if (!parsed.ok) return { kind: "expired", read };

  const { billType } = found;
  const number = validateWriteOffNumber(read.writeOffNumber, billType.writeOffRule);
  if (!number.ok) return { kind: "misread_number", read, problem: number.problem };

  const limits = billFindingLimits(db, context.env, context.clientAddress);
  const retryAfterSeconds = await limits.admit(billType.code, number.value, now);
  if (retryAfterSeconds !== null) return { kind: "rate_limited", retryAfterSeconds };

  const bill = await findBill(db, billType.code, number.value, now);
  if (!bill || bill.amount !== read.amount) {
    await limits.recordFailure(billType.code, number.value, now);
    return bill ? { kind: "amount_mismatch", read } : { kind: "not_found", read };
  }
  return { kind: "found", bill };
}
