import { and, asc, eq, inArray, or, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { displayStatus, type BillCategory, type BillDisplayStatus, type PaymentChannel, type SubjectKind } from "~/domain/catalogue";
import { taipeiDate } from "~/domain/dates";
import type { BillSourceId } from "~/domain/member";
import { maskPersonName, maskSubject } from "~/domain/masking";
import { schema, type Database } from "~/base/db.server";

/**
 * A bill as the public may see it: personal data masked on the server, so the
 * full name or number never reaches a browser that found the bill by number.
 */
export interface BillView {
  id: string;
  billTypeCode: string;
  billTypeNameZh: string;
  billTypeNameEn: string;
  agencyNameZh: string;
  agencyNameEn: string;
  writeOffNumber: string;
  payerNameMasked: string;
  subjectKind: SubjectKind;
  subjectMasked: string;
  amount: number;
  dueDate: string;
  status: BillDisplayStatus;
  paidAt: string | null;
  paidChannel: PaymentChannel | null;
}

/** The columns of a bill, its type and agency that a BillView is made of. */
export const billColumns = {
  id: schema.bills.id,
  billTypeCode: schema.bills.billTypeCode,
  billTypeNameZh: schema.billTypes.nameZh,
  billTypeNameEn: schema.billTypes.nameEn,
  agencyNameZh: schema.agencies.nameZh,
  agencyNameEn: schema.agencies.nameEn,
  writeOffNumber: schema.bills.writeOffNumber,
  payerName: schema.bills.payerName,
  subjectKind: schema.billTypes.subjectKind,
  subject: schema.bills.subject,
  amount: schema.bills.amount,
  dueDate: schema.bills.dueDate,
  status: schema.bills.status,
  paidAt: schema.bills.paidAt,
  paidChannel: schema.bills.paidChannel,
};

type BillRow = Awaited<ReturnType<typeof selectBills<Record<never, AnyPgColumn>>>>[number];

/** What names a bill on every page, with its personal data masked: the one place bills are masked. */
export function billLabels(row: Omit<BillRow, "id" | "amount" | "dueDate" | "status" | "paidAt" | "paidChannel">) {
  return {
    billTypeCode: row.billTypeCode,
    billTypeNameZh: row.billTypeNameZh,
    billTypeNameEn: row.billTypeNameEn,
    agencyNameZh: row.agencyNameZh,
    agencyNameEn: row.agencyNameEn,
    writeOffNumber: row.writeOffNumber,
    payerNameMasked: maskPersonName(row.payerName),
    subjectMasked: maskSubject(row.subject, row.subjectKind),
  };
}

function toBillView(row: BillRow, today: string): BillView {
  return {
    id: row.id,
    ...billLabels(row),
    subjectKind: row.subjectKind,
    amount: row.amount,
    dueDate: row.dueDate,
    status: displayStatus(row.status as Parameters<typeof displayStatus>[0], row.dueDate, today),
    paidAt: row.paidAt ? row.paidAt.toISOString() : null,
    paidChannel: row.paidChannel,
  };
}

function selectBills<Extra extends Record<string, AnyPgColumn>>(db: Database, extra: Extra = {} as Extra) {
  return db
    .select({ ...billColumns, ...extra })
    .from(schema.bills)
    .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
    .innerJoin(schema.agencies, eq(schema.billTypes.agencyCode, schema.agencies.code));
}

/** The bill with this normalized write-off number under this bill type, if any. */
export async function findBill(db: Database, billTypeCode: string, writeOffNumber: string, now = new Date()): Promise<BillView | null> {
  const [row] = await selectBills(db).where(
    and(eq(schema.bills.billTypeCode, billTypeCode), eq(schema.bills.writeOffNumber, writeOffNumber)),
  );
  return row ? toBillView(row, taipeiDate(now)) : null;
}

/** Bills by id, in the order of the ids given; unknown ids are left out. */
export async function billsByIds(db: Database, ids: readonly string[], now = new Date()): Promise<BillView[]> {
  const valid = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
  if (valid.length === 0) return [];
  const rows = await selectBills(db).where(inArray(schema.bills.id, valid));
  const today = taipeiDate(now);
  const byId = new Map(rows.map((row) => [row.id, toBillView(row, today)]));
  return valid.flatMap((id) => byId.get(id) ?? []);
}

/** A bill with the period field of its barcodes (for a reprinted payment slip). */
export async function billWithPeriod(db: Database, id: string, now = new Date()): Promise<(BillView & { period: string }) | null> {
  const [row] = await selectBills(db, { period: schema.bills.period }).where(eq(schema.bills.id, id));
  return row ? { ...toBillView(row, taipeiDate(now)), period: row.period } : null;
}

/**
 * Unpaid bills for some subjects (plates, accounts) of the given kinds, and,
 * when a payer hash is given, unpaid bills of the given categories issued to
 * that payer; soonest due first. For members' dashboards.
 */
export async function unpaidBillsFor(
  db: Database,
  query: {
    subjects: ReadonlyArray<{ kind: SubjectKind; values: readonly string[] }>;
    payer?: { nationalIdHash: string; categories: readonly BillCategory[] };
  },
  now = new Date(),
): Promise<Array<BillView & { subject: string; category: BillCategory; source: BillSourceId | null }>> {
  const matches: SQL[] = query.subjects
    .filter((group) => group.values.length > 0)
    .map((group) => and(eq(schema.billTypes.subjectKind, group.kind), inArray(schema.bills.subject, [...group.values]))!);
  if (query.payer) {
    matches.push(
      and(
        eq(schema.bills.payerNationalIdHash, query.payer.nationalIdHash),
        inArray(schema.billTypes.category, [...query.payer.categories]),
      )!,
    );
  }
  if (matches.length === 0) return [];
  const rows = await selectBills(db, { category: schema.billTypes.category, source: schema.bills.source })
    .where(and(eq(schema.bills.status, "unpaid"), or(...matches)))
    .orderBy(asc(schema.bills.dueDate), asc(schema.bills.writeOffNumber));
  const today = taipeiDate(now);
  return rows.map((row) => ({ ...toBillView(row, today), subject: row.subject, category: row.category, source: row.source }));
}
