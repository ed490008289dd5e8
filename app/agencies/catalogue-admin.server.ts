import { and, asc, count, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { AGENCY_KINDS, BILL_CATEGORIES, SUBJECT_KINDS, type AgencyKind, type BillCategory, type SubjectKind } from "~/domain/catalogue";
import { PAYMENT_TOOLS, type PaymentTool } from "~/domain/payment-tools";
import {
  MAX_WRITE_OFF_LENGTH,
  WRITE_OFF_CHARSETS,
  WRITE_OFF_CHECKS,
  isConsistentRule,
  validateWriteOffNumber,
  type WriteOffCharset,
  type WriteOffCheck,
  type WriteOffRule,
} from "~/domain/write-off-number";
import { writeOffRuleOf, type CatalogueBillType } from "~/bills/catalogue.server";
import { schema, type Database } from "~/base/db.server";
import {
  AGENCY_FIELDS,
  BILL_TYPE_FIELDS,
  NEW_AGENCY_FIELDS,
  type AgencyField,
  type BillTypeField,
  type NewAgencyField,
} from "~/lib/catalogue-forms";
import { auditAdminChange, firstProblems, formValues, type AdminActor, type FormParse } from "./actor.server";
import { changeSettings } from "./changes.server";

/**
 * The city administrator's work on the catalogue: agencies' names, contact
 * and order; bill types with their write-off number rule (chosen from the
 * rule kinds the code supports), the text saying where the number is
 * printed, the payment tools allowed, whether the type is offered. Every
 * change is audited with what was before and after, and takes effect on
 * every instance at once (changes.server.ts). A rule under which bills
 * already waiting for payment would no longer be valid is refused: those
 * bills would become impossible to look up.
 */

// ——— Reading ———

export interface AgencyAdminListing {
  code: string;
  nameZh: string;
  nameEn: string;
  kind: string;
  phone: string | null;
  websiteUrl: string | null;
  sortOrder: number;
  billTypes: number;
  updatedAt: string;
}

export async function listAgenciesForAdmin(db: Database): Promise<AgencyAdminListing[]> {
  const counts = new Map(
    (
      await db.select({ agencyCode: schema.billTypes.agencyCode, n: count() }).from(schema.billTypes).groupBy(schema.billTypes.agencyCode)
    ).map((row) => [row.agencyCode, row.n]),
  );
  const rows = await db.select().from(schema.agencies).orderBy(asc(schema.agencies.sortOrder), asc(schema.agencies.code));
  return rows.map((row) => ({
    code: row.code,
    nameZh: row.nameZh,
    nameEn: row.nameEn,
    kind: row.kind,
    phone: row.phone,
    websiteUrl: row.websiteUrl,
    sortOrder: row.sortOrder,
    billTypes: counts.get(row.code) ?? 0,
    updatedAt: row.updatedAt.toISOString(),
  }));
}

/** A bill type as the administrator edits it: the catalogue's view, plus what residents never see. */
export interface BillTypeAdmin extends CatalogueBillType {
  active: boolean;
  sortOrder: number;
  updatedAt: string;
}

function billTypeAdmin(row: typeof schema.billTypes.$inferSelect): BillTypeAdmin {
  return {
    code: row.code,
    agencyCode: row.agencyCode,
    nameZh: row.nameZh,
    nameEn: row.nameEn,
    category: row.category,
    subjectKind: row.subjectKind,
    collectionItemCode: row.collectionItemCode,
    writeOffRule: writeOffRuleOf(row),
    writeOffHintZh: row.writeOffHintZh,
    writeOffHintEn: row.writeOffHintEn,
    paymentTools: row.paymentTools,
    active: row.active,
    sortOrder: row.sortOrder,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** An agency with all its bill types (offered or not), or null for an unknown code. */
export async function agencyForAdmin(
  db: Database,
  agencyCode: string,
): Promise<{ agency: AgencyAdminListing; billTypes: BillTypeAdmin[] } | null> {
  const agency = (await listAgenciesForAdmin(db)).find((row) => row.code === agencyCode);
  if (!agency) return null;
  const rows = await db
    .select()
    .from(schema.billTypes)
    .where(eq(schema.billTypes.agencyCode, agencyCode))
    .orderBy(asc(schema.billTypes.sortOrder), asc(schema.billTypes.code));
  return { agency, billTypes: rows.map(billTypeAdmin) };
}

/** A bill type of this agency, or null (another agency's type is none of this page's). */
export async function billTypeForAdmin(db: Database, agencyCode: string, code: string): Promise<BillTypeAdmin | null> {
  const [row] = await db
    .select()
    .from(schema.billTypes)
    .where(and(eq(schema.billTypes.code, code), eq(schema.billTypes.agencyCode, agencyCode)));
  return row ? billTypeAdmin(row) : null;
}

// ——— Forms ———

/** Keys under `catalogue.errors`. */
export type CatalogueProblem =
  | "nameRequired"
  | "nameTooLong"
  | "phoneInvalid"
  | "websiteInvalid"
  | "orderInvalid"
  | "kindRequired"
  | "agencyCodeInvalid"
  | "agencyCodeTaken"
  | "codeRequired"
  | "codeInvalid"
  | "codeTaken"
  | "categoryRequired"
  | "subjectKindRequired"
  | "collectionCodeInvalid"
  | "collectionCodeTaken"
  | "prefixInvalid"
  | "lengthInvalid"
  | "charsetRequired"
  | "checkRequired"
  | "ruleInconsistent"
  | "ruleStrandsBills"
  | "hintRequired"
  | "hintTooLong"
  | "toolsRequired";

const name = z
  .string()
  .trim()
  .min(1, "nameRequired")
  .refine((value) => [...value].length <= 80, "nameTooLong");
const order = z
  .string()
  .trim()
  .regex(/^\d{1,4}$/, "orderInvalid")
  .transform(Number);

export interface AgencyInput {
  nameZh: string;
  nameEn: string;
  phone: string | null;
  websiteUrl: string | null;
  sortOrder: number;
}

const agencyDetails = z.object({
  nameZh: name,
  nameEn: name,
  // Taiwanese numbers as printed: digits with an optional leading +, spaces, dashes, brackets, an extension.
  phone: z
    .string()
    .trim()
    .regex(/^$|^\+?[0-9][0-9 ()#-]{5,24}$/, "phoneInvalid")
    .transform((value) => value || null),
  websiteUrl: z
    .string()
    .trim()
    .refine((value) => value === "" || (/^https:\/\//.test(value) && URL.canParse(value) && value.length <= 300), "websiteInvalid")
    .transform((value) => value || null),
  sortOrder: order,
});

export function parseAgencyForm(form: FormData): FormParse<AgencyField, CatalogueProblem, AgencyInput> {
  const values = formValues(form, AGENCY_FIELDS);
  const result = agencyDetails.safeParse(values);
  return result.success
    ? { ok: true, input: result.data, values }
    : { ok: false, errors: firstProblems<AgencyField, CatalogueProblem>(result.error.issues), values };
}

export interface NewAgencyInput extends AgencyInput {
  code: string;
  kind: AgencyKind;
}

export function parseNewAgencyForm(form: FormData): FormParse<NewAgencyField, CatalogueProblem, NewAgencyInput> {
  const values = formValues(form, NEW_AGENCY_FIELDS);
  const result = agencyDetails
    .extend({
      // An agency's code names its API keys (`<agency>.<…>`) and its webhook path: short, lower case.
      code: z
        .string()
        .trim()
        .min(1, "codeRequired")
        .regex(/^[a-z][a-z0-9-]{1,31}$/, "agencyCodeInvalid"),
      kind: z.enum(AGENCY_KINDS, { error: "kindRequired" }),
    })
    .safeParse(values);
  return result.success
    ? { ok: true, input: result.data, values }
    : { ok: false, errors: firstProblems<NewAgencyField, CatalogueProblem>(result.error.issues), values };
}

export interface BillTypeInput {
  code: string;
  nameZh: string;
  nameEn: string;
  category: BillCategory;
  subjectKind: SubjectKind;
  collectionItemCode: string;
  writeOffRule: WriteOffRule;
  writeOffHintZh: string;
  writeOffHintEn: string;
  paymentTools: PaymentTool[];
  active: boolean;
  sortOrder: number;
}

const hint = z
  .string()
  .trim()
  .min(1, "hintRequired")
  .refine((value) => [...value].length <= 200, "hintTooLong");

/**
 * A bill type as the form posted it. `code` is read only for a new type (an
 * existing one keeps its code: bills and orders name it). Payment tools are
 * checkboxes (several values, kept in the order of PAYMENT_TOOLS); `values`
 * carries them joined by commas for the form to tick again.
 */
export function parseBillTypeForm(form: FormData, existingCode: string | null): FormParse<BillTypeField, CatalogueProblem, BillTypeInput> {
  const tools = form.getAll("paymentTools").filter((value): value is string => typeof value === "string");
  const values = { ...formValues(form, BILL_TYPE_FIELDS), paymentTools: tools.join(",").slice(0, 500) };
  if (existingCode !== null) values.code = existingCode;
  const result = z
    .object({
      code: z
        .string()
        .trim()
        .min(1, "codeRequired")
        .regex(/^[a-z][a-z0-9-]{1,39}$/, "codeInvalid")
        // The back office's address of a new type's form (…/bill-types/new).
        .refine((value) => value !== "new", "codeInvalid"),
      nameZh: name,
      nameEn: name,
      category: z.enum(BILL_CATEGORIES, { error: "categoryRequired" }),
      subjectKind: z.enum(SUBJECT_KINDS, { error: "subjectKindRequired" }),
      collectionItemCode: z
        .string()
        .trim()
        .transform((value) => value.toUpperCase())
        .pipe(z.string().regex(/^[0-9A-Z]{3}$/, "collectionCodeInvalid")),
      writeOffPrefix: z
        .string()
        .trim()
        .transform((value) => value.toUpperCase())
        .pipe(z.string().regex(/^[A-Z]{0,4}$/, "prefixInvalid")),
      writeOffLength: z
        .string()
        .trim()
        .regex(/^\d{1,2}$/, "lengthInvalid")
        .transform(Number)
        .refine((value) => value >= 6 && value <= MAX_WRITE_OFF_LENGTH, "lengthInvalid"),
      writeOffCharset: z.enum(WRITE_OFF_CHARSETS, { error: "charsetRequired" }),
      writeOffCheck: z.enum(WRITE_OFF_CHECKS, { error: "checkRequired" }),
      writeOffHintZh: hint,
      writeOffHintEn: hint,
      paymentTools: z.string().transform((joined, ctx) => {
        const given = joined.split(",").filter(Boolean);
        const chosen = PAYMENT_TOOLS.filter((tool) => given.includes(tool));
        if (chosen.length === 0 || chosen.length !== new Set(given).size) {
          ctx.addIssue({ code: "custom", message: "toolsRequired" });
          return z.NEVER;
        }
        return chosen;
      }),
      active: z.string().transform((value) => value === "on" || value === "true"),
      sortOrder: order,
    })
    .superRefine((input, ctx) => {
      const rule = rulePart(input);
      if (!isConsistentRule(rule)) ctx.addIssue({ code: "custom", path: ["writeOffLength"], message: "ruleInconsistent" });
    })
    .safeParse(values);
  if (!result.success) return { ok: false, errors: firstProblems<BillTypeField, CatalogueProblem>(result.error.issues), values };
  const { writeOffPrefix: _p, writeOffLength: _l, writeOffCharset: _c, writeOffCheck: _k, ...rest } = result.data;
  return { ok: true, input: { ...rest, writeOffRule: rulePart(result.data) }, values };
}

const rulePart = (input: {
  writeOffPrefix: string;
  writeOffLength: number;
  writeOffCharset: WriteOffCharset;
  writeOffCheck: WriteOffCheck;
}) => ({
  prefix: input.writeOffPrefix,
  length: input.writeOffLength,
  charset: input.writeOffCharset,
  check: input.writeOffCheck,
});

// ——— Changes ———

export async function updateAgency(
  db: Database,
  actor: AdminActor,
  agencyCode: string,
  input: AgencyInput,
): Promise<{ ok: true } | { ok: false; refusal: "not_found" }> {
  return changeSettings(db, "catalogue", async (tx) => {
    const [before] = await tx.select().from(schema.agencies).where(eq(schema.agencies.code, agencyCode)).for("update");
    if (!before) return { ok: false as const, refusal: "not_found" as const };
    await tx
      .update(schema.agencies)
      .set({ ...input, updatedAt: new Date() })
      .where(eq(schema.agencies.code, agencyCode));
    await auditAdminChange(tx, actor, {
      action: "agency.updated",
      targetType: "agency",
      targetId: agencyCode,
      details: {
        before: {
          nameZh: before.nameZh,
          nameEn: before.nameEn,
          phone: before.phone,
          websiteUrl: before.websiteUrl,
          sortOrder: before.sortOrder,
        },
        after: input,
      },
    });
    return { ok: true as const };
  });
}

/** Adds an agency to the catalogue (with no bill types yet, it shows nowhere to residents); audited. */
export async function createAgency(
  db: Database,
  actor: AdminActor,
  input: NewAgencyInput,
): Promise<{ ok: true } | { ok: false; refusal: "agencyCodeTaken" }> {
  return changeSettings(db, "catalogue", async (tx) => {
    const created = await tx
      .insert(schema.agencies)
      .values({ ...input })
      .onConflictDoNothing()
      .returning({ code: schema.agencies.code });
    if (created.length === 0) return { ok: false as const, refusal: "agencyCodeTaken" as const };
    await auditAdminChange(tx, actor, { action: "agency.created", targetType: "agency", targetId: input.code, details: { after: input } });
    return { ok: true as const };
  });
}

/** Why a bill type was not saved: a field's problem, with the count of bills a rule change would strand. */
export type BillTypeRefusal =
  { field: BillTypeField; problem: CatalogueProblem; strandedBills?: number } | { field: null; problem: "not_found" };

/** Unpaid bills of the type whose write-off numbers the rule would refuse. */
async function billsStrandedBy(tx: Database, code: string, rule: WriteOffRule): Promise<number> {
  const rows = await tx
    .select({ writeOffNumber: schema.bills.writeOffNumber })
    .from(schema.bills)
    .where(and(eq(schema.bills.billTypeCode, code), eq(schema.bills.status, "unpaid")));
  return rows.filter((row) => !validateWriteOffNumber(row.writeOffNumber, rule).ok).length;
}

const sameRule = (a: WriteOffRule, b: WriteOffRule) =>
  a.prefix === b.prefix && a.length === b.length && a.charset === b.charset && a.check === b.check;

const columns = (input: BillTypeInput) => ({
  nameZh: input.nameZh,
  nameEn: input.nameEn,
  category: input.category,
  subjectKind: input.subjectKind,
  collectionItemCode: input.collectionItemCode,
  writeOffPrefix: input.writeOffRule.prefix,
  writeOffLength: input.writeOffRule.length,
  writeOffCharset: input.writeOffRule.charset,
  writeOffCheck: input.writeOffRule.check,
  writeOffHintZh: input.writeOffHintZh,
  writeOffHintEn: input.writeOffHintEn,
  paymentTools: input.paymentTools,
  active: input.active,
  sortOrder: input.sortOrder,
});

async function collectionCodeTaken(tx: Database, collectionItemCode: string, exceptCode: string | null): Promise<boolean> {
  const rows = await tx
    .select({ code: schema.billTypes.code })
    .from(schema.billTypes)
    .where(
      and(eq(schema.billTypes.collectionItemCode, collectionItemCode), exceptCode ? ne(schema.billTypes.code, exceptCode) : undefined),
    );
  return rows.length > 0;
}

/**
 * Creates (`existingCode` null) or changes a bill type of `agencyCode`.
 * Bill type rows are locked while the stranded bills are counted, so a bill
 * pushed meanwhile is checked against the rule it will live under.
 */
export async function saveBillType(
  db: Database,
  actor: AdminActor,
  agencyCode: string,
  existingCode: string | null,
  input: BillTypeInput,
): Promise<{ ok: true; code: string } | { ok: false; refusal: BillTypeRefusal }> {
  try {
    return await changeSettings(db, "catalogue", async (tx) => {
      if (await collectionCodeTaken(tx, input.collectionItemCode, existingCode))
        return { ok: false as const, refusal: { field: "collectionItemCode" as const, problem: "collectionCodeTaken" as const } };
      if (existingCode === null) {
        const [taken] = await tx
          .select({ code: schema.billTypes.code })
          .from(schema.billTypes)
          .where(eq(schema.billTypes.code, input.code));
        if (taken) return { ok: false as const, refusal: { field: "code" as const, problem: "codeTaken" as const } };
        await tx.insert(schema.billTypes).values({ code: input.code, agencyCode, ...columns(input) });
        await auditAdminChange(tx, actor, {
          action: "bill_type.created",
          targetType: "bill_type",
          targetId: input.code,
          details: { agencyCode, after: { ...columns(input) } },
        });
        return { ok: true as const, code: input.code };
      }
      const [before] = await tx
        .select()
        .from(schema.billTypes)
        .where(and(eq(schema.billTypes.code, existingCode), eq(schema.billTypes.agencyCode, agencyCode)))
        .for("update");
      if (!before) return { ok: false as const, refusal: { field: null, problem: "not_found" as const } };
      const previous = billTypeAdmin(before);
      if (!sameRule(previous.writeOffRule, input.writeOffRule)) {
        const stranded = await billsStrandedBy(tx, existingCode, input.writeOffRule);
        if (stranded > 0)
          return {
            ok: false as const,
            refusal: { field: "writeOffLength" as const, problem: "ruleStrandsBills" as const, strandedBills: stranded },
          };
      }
      await tx
        .update(schema.billTypes)
        .set({ ...columns(input), updatedAt: new Date() })
        .where(eq(schema.billTypes.code, existingCode));
      const { code: _c, agencyCode: _a, updatedAt: _u, ...was } = previous;
      await auditAdminChange(tx, actor, {
        action: "bill_type.updated",
        targetType: "bill_type",
        targetId: existingCode,
        details: { agencyCode, before: was, after: { ...input, code: undefined } },
      });
      return { ok: true as const, code: existingCode };
    });
  } catch (error) {
    // Two administrators saving the same collection code at once: the database's unique index decides.
    const e = error as { code?: string; cause?: { code?: string } };
    if ((e.code ?? e.cause?.code) === "23505")
      return { ok: false, refusal: { field: "collectionItemCode", problem: "collectionCodeTaken" } };
    throw error;
  }
}
