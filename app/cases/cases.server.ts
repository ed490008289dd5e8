import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Logger } from "pino";
import {
  caseNextStep,
  newestCasesFirst,
  type CaseFeeState,
  type CaseNextStep,
  type CaseStatus,
  type CaseTimelineEntry,
} from "~/domain/cases";
import { isPayable } from "~/domain/catalogue";
import { billsByIds } from "~/bills/bills.server";
import { recordSourceBills, type BillPaidTwice, type SourceAnswer, type SourceBill, type SourceSettlement } from "~/bills/sources.server";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import {
  EcounterUnavailable,
  fetchApplicantCases,
  fetchCaseStatus,
  type EcounterCase,
  type EcounterConfig,
  type EcounterFee,
} from "./ecounter.server";

/**
 * Cases as residents see them: the e-counter's answer, with each fee recorded
 * as a bill of the portal (source `ecounter`, subject the case number), so it
 * is paid, receipted, written off to its agency and reprinted like any other
 * bill, and asked about at the e-counter again just before its money is
 * taken. Where the portal knows more than the e-counter (a fee paid here a
 * moment ago) the portal's record wins.
 */

export interface CasesContext {
  db: Database;
  env: Pick<Env, "ecounter">;
  logger: Logger;
}

/** A fee of a case, from the portal's bill when it holds one. */
export interface CaseFeeView {
  /** The portal's bill of the fee: paid, printed and receipted through it. Null when the portal holds none (paid or cancelled before it was ever shown here). */
  billId: string | null;
  billTypeCode: string;
  billTypeNameZh: string;
  billTypeNameEn: string;
  writeOffNumber: string;
  amount: number;
  dueDate: string;
  state: CaseFeeState;
  paidAt: string | null;
}

export interface CaseView {
  caseNumber: string;
  service: EcounterCase["service"];
  appliedAt: string;
  /** When the case last changed status (its latest timeline entry). */
  updatedAt: string;
  status: CaseStatus;
  timeline: CaseTimelineEntry[];
  documentsDue: string | null;
  fees: CaseFeeView[];
  nextStep: CaseNextStep;
}

export type ApplicantCases =
  | { state: "answered"; cases: CaseView[]; paidTwice: BillPaidTwice[] }
  /** The e-counter did not answer in time or at all: name it, show the rest of the page. */
  | { state: "unavailable" }
  /** This portal has no e-counter configured. */
  | { state: "not_configured" };

export type CaseQueryAnswer =
  | { kind: "found"; case: CaseView; paidTwice: BillPaidTwice[] }
  | { kind: "no_match" }
  | { kind: "unavailable" }
  | { kind: "not_configured" };

const key = (billType: string, writeOffNumber: string) => `${billType}|${writeOffNumber}`;

/** The e-counter's fees as the bill sources' answer: owed fees are bills, settled ones settlements. */
function feesAsSourceAnswer(cases: readonly EcounterCase[]): SourceAnswer {
  const bills: SourceBill[] = [];
  const settled: SourceSettlement[] = [];
  for (const found of cases) {
    for (const fee of found.fees) {
      const subject = found.caseNumber;
      const { billType, writeOffNumber } = fee;
      if (fee.status === "unpaid") {
        const { payerName, amount, issuedOn, dueDate, period } = fee;
        bills.push({ billType, writeOffNumber, subject, payerName, amount, issuedOn, dueDate, period });
      } else if (fee.status === "cancelled") {
        settled.push({ billType, writeOffNumber, subject, outcome: "cancelled", settledAt: fee.settledAt! });
      } else if (fee.channel && fee.channel !== "portal") {
        settled.push({ billType, writeOffNumber, subject, outcome: "paid", channel: fee.channel, settledAt: fee.settledAt! });
      }
      // Paid "portal": the e-counter heard of a payment made here, which the portal recorded first.
    }
  }
  return { bills, settled, rejected: 0 };
}

/**
 * Records the fees of these cases as bills and reads them back as the cases'
 * views. `payerNationalIdHash`: the cases are this verified member's (the
 * e-counter said so for their digest), so their fees are theirs to pay from
 * "My applications" (the bill access rule reads the bills' payer).
 */
async function recordAndView(
  ctx: CasesContext,
  cases: readonly EcounterCase[],
  options: { payerNationalIdHash?: string; now: Date },
): Promise<{ cases: CaseView[]; paidTwice: BillPaidTwice[] }> {
  const caseNumbers = cases.map((found) => found.caseNumber);
  const { paidTwice } = caseNumbers.length
    ? await recordSourceBills(ctx, "ecounter", caseNumbers, feesAsSourceAnswer(cases))
    : { paidTwice: [] };
  if (options.payerNationalIdHash && caseNumbers.length) {
    await ctx.db
      .update(schema.bills)
      .set({ payerNationalIdHash: options.payerNationalIdHash })
      .where(
        and(eq(schema.bills.source, "ecounter"), inArray(schema.bills.subject, caseNumbers), isNull(schema.bills.payerNationalIdHash)),
      );
  }
  const rows = caseNumbers.length
    ? await ctx.db
        .select({ id: schema.bills.id, billTypeCode: schema.bills.billTypeCode, writeOffNumber: schema.bills.writeOffNumber })
        .from(schema.bills)
        .where(and(eq(schema.bills.source, "ecounter"), inArray(schema.bills.subject, caseNumbers)))
    : [];
  const billIds = new Map(rows.map((row) => [key(row.billTypeCode, row.writeOffNumber), row.id]));
  const bills = new Map((await billsByIds(ctx.db, [...billIds.values()], options.now)).map((bill) => [bill.id, bill]));
  const types = new Map(
    (
      await ctx.db
        .select({ code: schema.billTypes.code, nameZh: schema.billTypes.nameZh, nameEn: schema.billTypes.nameEn })
        .from(schema.billTypes)
        .where(inArray(schema.billTypes.code, cases.flatMap((found) => found.fees.map((fee) => fee.billType)).concat("")))
    ).map((type) => [type.code, type]),
  );

  const feeView = (found: EcounterCase, fee: EcounterFee): CaseFeeView => {
    const number = fee.writeOffNumber.toUpperCase().replace(/[\s-]/g, "");
    const billId = billIds.get(key(fee.billType, number)) ?? null;
    const bill = billId ? bills.get(billId) : undefined;
    const type = types.get(fee.billType);
    const names = { billTypeNameZh: type?.nameZh ?? fee.billType, billTypeNameEn: type?.nameEn ?? fee.billType };
    if (bill) {
      const state: CaseFeeState = isPayable(bill.status) ? "payable" : bill.status === "cancelled" ? "cancelled" : "paid";
      return {
        billId,
        billTypeCode: fee.billType,
        ...names,
        writeOffNumber: bill.writeOffNumber,
        amount: bill.amount,
        dueDate: bill.dueDate,
        state,
        paidAt: bill.paidAt,
      };
    }
    // Not held here: what the e-counter says; an owed fee the portal could not record is paid at the agency.
    return {
      billId: null,
      billTypeCode: fee.billType,
      ...names,
      writeOffNumber: number,
      amount: fee.amount,
      dueDate: fee.dueDate,
      state: fee.status === "unpaid" ? "payable" : fee.status,
      paidAt: fee.status === "paid" ? (fee.settledAt ?? null) : null,
    };
  };

  const views = cases.map((found): CaseView => {
    const fees = found.fees.map((fee) => feeView(found, fee));
    const latest = found.timeline[found.timeline.length - 1]!;
    return {
      caseNumber: found.caseNumber,
      service: found.service,
      appliedAt: found.appliedAt,
      updatedAt: latest.at,
      status: latest.status,
      timeline: found.timeline,
      documentsDue: found.documentsDue ?? null,
      fees,
      nextStep: caseNextStep(
        latest.status,
        fees.filter((fee) => fee.billId !== null),
        found.documentsDue ?? null,
      ),
    };
  });
  return { cases: newestCasesFirst(views), paidTwice };
}

function configured(ctx: CasesContext): EcounterConfig | null {
  return ctx.env.ecounter;
}

/** Every case of a verified member, matched by the digest made from their verified national ID at login. */
export async function casesOfApplicant(
  ctx: CasesContext,
  applicant: { caseApplicantDigest: string; nationalIdHash: string },
  now = new Date(),
): Promise<ApplicantCases> {
  const config = configured(ctx);
  if (!config) return { state: "not_configured" };
  const started = performance.now();
  try {
    const { cases, rejected } = await fetchApplicantCases(config, applicant.caseApplicantDigest);
    if (rejected > 0) ctx.logger.warn({ rejected }, "e-counter: cases outside the agreement ignored");
    ctx.logger.debug({ ms: Math.round(performance.now() - started), cases: cases.length }, "e-counter answered");
    return { state: "answered", ...(await recordAndView(ctx, cases, { payerNationalIdHash: applicant.nationalIdHash, now })) };
  } catch (error) {
    if (!(error instanceof EcounterUnavailable)) throw error;
    ctx.logger.warn({ reason: error.reason }, "e-counter unavailable");
    return { state: "unavailable" };
  }
}

/** One case by number and check code (already in their normal forms), for anyone who has both. */
export async function caseByNumber(ctx: CasesContext, caseNumber: string, checkCode: string, now = new Date()): Promise<CaseQueryAnswer> {
  const config = configured(ctx);
  if (!config) return { kind: "not_configured" };
  try {
    const found = await fetchCaseStatus(config, caseNumber, checkCode);
    if (!found) return { kind: "no_match" };
    const { cases, paidTwice } = await recordAndView(ctx, [found], { now });
    return { kind: "found", case: cases[0]!, paidTwice };
  } catch (error) {
    if (!(error instanceof EcounterUnavailable)) throw error;
    ctx.logger.warn({ reason: error.reason }, "e-counter unavailable");
    return { kind: "unavailable" };
  }
}
