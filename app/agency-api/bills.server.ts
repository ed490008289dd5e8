import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { rocPeriod } from "~/domain/dates";
import { MAX_BILLS_PER_PUSH, type BillRowRefusal } from "~/domain/agency-api";
import { isPaid } from "~/domain/bill-lifecycle";
import { validateWriteOffNumber, type WriteOffProblem, type WriteOffRule } from "~/domain/write-off-number";
import { changeBills } from "~/bills/lifecycle.server";
import { schema, type Database } from "~/base/db.server";
import { hashNationalId } from "~/base/pii.server";
import type { AgencyCaller } from "./auth.server";
import { problem, type AgencyApiContext, type Answer } from "./calls.server";
import {
  pushedBillSchema,
  type AgencyBill,
  type PushedBill,
  type PushResult,
  type RowRefusal,
  type amendRequestSchema,
  type cancelRequestSchema,
} from "./contract.server";
import type { z } from "zod";

/**
 * Bills an agency sends through the API: pushed in batches (each row on its
 * own), amended or cancelled while unpaid, read with their payments. They are
 * ordinary `bills` rows (source null), so look-up, scanning, binding, paying
 * and write-off notices treat them as any other; every change is audited
 * with the key that made it.
 */

const cause = (caller: AgencyCaller, details: Record<string, unknown> = {}) => ({
  actorType: "agency" as const,
  actorId: caller.keyId,
  details: { via: "agency-api", agency: caller.agencyCode, ...details },
});

interface TypeRule {
  agencyCode: string;
  rule: WriteOffRule;
}

async function billTypesNamed(db: Database, codes: readonly string[]): Promise<Map<string, TypeRule>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .select({
      code: schema.billTypes.code,
      agencyCode: schema.billTypes.agencyCode,
      prefix: schema.billTypes.writeOffPrefix,
      length: schema.billTypes.writeOffLength,
      charset: schema.billTypes.writeOffCharset,
      check: schema.billTypes.writeOffCheck,
    })
    .from(schema.billTypes)
    .where(and(inArray(schema.billTypes.code, [...codes]), eq(schema.billTypes.active, true)));
  return new Map(
    rows.map((row) => [
      row.code,
      { agencyCode: row.agencyCode, rule: { prefix: row.prefix, length: row.length, charset: row.charset, check: row.check } },
    ]),
  );
}

function describeWriteOffProblem(problem: WriteOffProblem): string {
  switch (problem.code) {
    case "empty":
      return "The write-off number is empty.";
    case "prefix":
      return `The write-off number must start with ${problem.prefix}.`;
    case "characters":
      return problem.charset === "digits"
        ? "After its prefix the write-off number has digits only."
        : "The write-off number has letters A–Z and digits only.";
    case "length":
      return `The write-off number must have ${problem.expected} characters (this one has ${problem.actual}).`;
    case "check_digit":
      return "The write-off number's check digit is wrong (a typing mistake?).";
  }
}

const refused = (code: BillRowRefusal, detail: string, extra: Partial<RowRefusal> = {}): RowRefusal => ({ code, detail, ...extra });

interface Candidate {
  index: number;
  billTypeCode: string;
  writeOffNumber: string;
  values: typeof schema.bills.$inferInsert;
}

/** The columns whose difference makes a pushed bill a conflict rather than a repeat. */
const COMPARED = ["payerName", "subject", "amount", "issuedOn", "dueDate", "period", "payerNationalIdHash"] as const;

function rowsOf(body: unknown): unknown[] | Answer {
  const bills = typeof body === "object" && body !== null ? (body as { bills?: unknown }).bills : undefined;
  if (!Array.isArray(bills) || bills.length === 0) {
    return problem(400, "invalid_request", 'Send {"bills": [ … ]} with 1 to 1,000 bills.', {
      errors: [{ path: "bills", message: "expected a non-empty array" }],
    });
  }
  if (bills.length > MAX_BILLS_PER_PUSH) {
    return problem(
      400,
      "too_many_bills",
      `${bills.length} bills in one call: send at most ${MAX_BILLS_PER_PUSH} per call (split the batch).`,
    );
  }
  return bills;
}

/** Pushes a batch: every row checked on its own, the good ones inserted with one statement, repeats recognised. */
export async function pushBills(ctx: AgencyApiContext, caller: AgencyCaller, body: unknown, now = new Date()): Promise<Answer> {
  const rows = rowsOf(body);
  if (!Array.isArray(rows)) return rows;
  const results: PushResult[] = rows.map((_, index) => ({ index, billType: null, writeOffNumber: null, outcome: "refused" }));
  const parsed = rows.map((row) => pushedBillSchema.safeParse(row));
  const types = await billTypesNamed(ctx.db, [...new Set(parsed.flatMap((row) => (row.success ? [row.data.billType] : [])))]);

  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  parsed.forEach((row, index) => {
    const result = results[index]!;
    if (!row.success) {
      const raw = rows[index] as { billType?: unknown } | null;
      result.billType = typeof raw?.billType === "string" ? raw.billType.slice(0, 40) : null;
      result.refusal = refused("invalid", "The row does not match the PushedBill schema: see errors.", {
        errors: row.error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })),
      });
      return;
    }
    const bill: PushedBill = row.data;
    result.billType = bill.billType;
    const type = types.get(bill.billType);
    if (!type) return void (result.refusal = refused("unknown_bill_type", `The catalogue has no active bill type ${bill.billType}.`));
    if (type.agencyCode !== caller.agencyCode) {
      return void (result.refusal = refused(
        "bill_type_not_yours",
        `${bill.billType} is not a bill type of your agency (${caller.agencyCode}).`,
      ));
    }
    const number = validateWriteOffNumber(bill.writeOffNumber, type.rule);
    if (!number.ok) {
      return void (result.refusal = refused("bad_write_off_number", describeWriteOffProblem(number.problem), {
        writeOffNumberProblem: number.problem,
      }));
    }
    result.writeOffNumber = number.value;
    const key = `${bill.billType}\n${number.value}`;
    if (seen.has(key)) return void (result.refusal = refused("duplicate_in_batch", "The same bill appears earlier in this batch."));
    seen.add(key);
    candidates.push({
      index,
      billTypeCode: bill.billType,
      writeOffNumber: number.value,
      values: {
        billTypeCode: bill.billType,
        writeOffNumber: number.value,
        payerName: bill.payerName,
        payerNationalIdHash: bill.payerNationalId ? hashNationalId(bill.payerNationalId, ctx.env.PII_HMAC_KEY) : null,
        subject: bill.subject,
        amount: bill.amount,
        issuedOn: bill.issuedOn,
        dueDate: bill.dueDate,
        period: bill.period ?? rocPeriod(bill.issuedOn),
        createdAt: now,
        updatedAt: now,
      },
    });
  });

  if (candidates.length > 0) {
    await ctx.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(schema.bills)
        .values(candidates.map((candidate) => candidate.values))
        .onConflictDoNothing({ target: [schema.bills.billTypeCode, schema.bills.writeOffNumber] })
        .returning({ id: schema.bills.id, billTypeCode: schema.bills.billTypeCode, writeOffNumber: schema.bills.writeOffNumber });
      const insertedIds = new Map(inserted.map((row) => [`${row.billTypeCode}\n${row.writeOffNumber}`, row.id]));
      const repeats = candidates.filter((candidate) => !insertedIds.has(`${candidate.billTypeCode}\n${candidate.writeOffNumber}`));
      const existing = repeats.length
        ? await tx
            .select()
            .from(schema.bills)
            .where(
              and(
                inArray(schema.bills.billTypeCode, [...new Set(repeats.map((candidate) => candidate.billTypeCode))]),
                inArray(schema.bills.writeOffNumber, [...new Set(repeats.map((candidate) => candidate.writeOffNumber))]),
              ),
            )
        : [];
      const existingByKey = new Map(existing.map((row) => [`${row.billTypeCode}\n${row.writeOffNumber}`, row]));
      for (const candidate of candidates) {
        const key = `${candidate.billTypeCode}\n${candidate.writeOffNumber}`;
        const result = results[candidate.index]!;
        if (insertedIds.has(key)) {
          result.outcome = "created";
          continue;
        }
        const have = existingByKey.get(key)!;
        if (have.source !== null) {
          result.refusal = refused(
            "source_bill",
            "This bill comes from an outside bill source, not from your pushes: it cannot be pushed here.",
          );
          continue;
        }
        const differs = COMPARED.filter((column) => have[column] !== candidate.values[column]);
        if (differs.length === 0) result.outcome = "unchanged";
        else {
          result.refusal = refused(
            "conflict",
            `The portal already has this bill with another ${differs.join(", ")}: change the amount or due date with the amend call; other fields cannot change.`,
            { differs: differs.map((column) => (column === "payerNationalIdHash" ? "payerNationalId" : column)) },
          );
        }
      }
      if (inserted.length > 0) {
        await tx.insert(schema.auditLog).values(
          inserted.map((row) => ({
            occurredAt: now,
            actorType: "agency" as const,
            actorId: caller.keyId,
            action: "bill.pushed",
            targetType: "bill",
            targetId: row.id,
            requestId: ctx.requestId ?? null,
            details: { via: "agency-api", agency: caller.agencyCode, billType: row.billTypeCode },
          })),
        );
      }
    });
  }
  const count = (outcome: PushResult["outcome"]) => results.filter((result) => result.outcome === outcome).length;
  return { status: 200, body: { created: count("created"), unchanged: count("unchanged"), refused: count("refused"), results } };
}

type BillRow = typeof schema.bills.$inferSelect;

/** The caller's bill by type and number, locked when `forUpdate`; null when it is not one of theirs. */
async function callersBill(
  db: Database,
  caller: AgencyCaller,
  billType: string,
  rawNumber: string,
  forUpdate = false,
): Promise<BillRow | null> {
  const [type] = await db
    .select({
      agencyCode: schema.billTypes.agencyCode,
      prefix: schema.billTypes.writeOffPrefix,
      length: schema.billTypes.writeOffLength,
      charset: schema.billTypes.writeOffCharset,
      check: schema.billTypes.writeOffCheck,
    })
    .from(schema.billTypes)
    .where(eq(schema.billTypes.code, billType));
  // Another agency's bill is answered as no bill at all: its existence is not the caller's to learn.
  if (!type || type.agencyCode !== caller.agencyCode) return null;
  const number = validateWriteOffNumber(rawNumber, type);
  if (!number.ok) return null;
  const query = db
    .select()
    .from(schema.bills)
    .where(and(eq(schema.bills.billTypeCode, billType), eq(schema.bills.writeOffNumber, number.value)));
  const [bill] = forUpdate ? await query.for("update") : await query;
  return bill ?? null;
}

async function paymentsOf(db: Database, billId: string): Promise<AgencyBill["payments"]> {
  const orders = await db
    .select({
      id: schema.paymentOrders.id,
      reference: schema.paymentOrders.reference,
      state: schema.paymentOrders.state,
      amount: schema.paymentOrderItems.amount,
      tool: schema.paymentOrders.paymentTool,
      provider: schema.paymentOrders.provider,
      providerTransactionId: schema.paymentOrders.providerTransactionId,
      paidAt: schema.paymentOrders.paidAt,
      receiptNumber: schema.receipts.number,
    })
    .from(schema.paymentOrderItems)
    .innerJoin(schema.paymentOrders, eq(schema.paymentOrders.id, schema.paymentOrderItems.orderId))
    .leftJoin(schema.receipts, eq(schema.receipts.orderId, schema.paymentOrders.id))
    // Money taken: an order that was only started (or failed) is no payment of the bill.
    .where(and(eq(schema.paymentOrderItems.billId, billId), sql`${schema.paymentOrders.paidAt} is not null`))
    .orderBy(asc(schema.paymentOrders.paidAt));
  if (orders.length === 0) return [];
  const refunds = await db
    .select({
      orderId: schema.refunds.orderId,
      number: schema.refunds.number,
      amount: schema.refunds.amount,
      state: schema.refunds.state,
      refundedAt: schema.refunds.refundedAt,
    })
    .from(schema.refunds)
    .where(
      and(
        eq(schema.refunds.billId, billId),
        inArray(
          schema.refunds.orderId,
          orders.map((order) => order.id),
        ),
      ),
    )
    .orderBy(asc(schema.refunds.createdAt));
  return orders.map((order) => ({
    orderReference: order.reference,
    state: order.state,
    amount: order.amount,
    paymentTool: order.tool,
    provider: order.provider,
    providerTransactionId: order.providerTransactionId,
    paidAt: order.paidAt?.toISOString() ?? null,
    receiptNumber: order.receiptNumber,
    refunds: refunds
      .filter((refund) => refund.orderId === order.id)
      .map((refund) => ({
        refundNumber: refund.number,
        amount: refund.amount,
        state: refund.state,
        refundedAt: refund.refundedAt?.toISOString() ?? null,
      })),
  }));
}

async function billAnswer(db: Database, bill: BillRow): Promise<AgencyBill> {
  return {
    billType: bill.billTypeCode,
    writeOffNumber: bill.writeOffNumber,
    payerName: bill.payerName,
    subject: bill.subject,
    amount: bill.amount,
    issuedOn: bill.issuedOn,
    dueDate: bill.dueDate,
    period: bill.period,
    status: bill.status,
    paidAt: bill.paidAt?.toISOString() ?? null,
    paidChannel: bill.paidChannel,
    createdAt: bill.createdAt.toISOString(),
    updatedAt: bill.updatedAt.toISOString(),
    payments: await paymentsOf(db, bill.id),
  };
}

const notYours = () => problem(404, "not_found", "You have no bill with this bill type and write-off number.");

export async function readBill(ctx: AgencyApiContext, caller: AgencyCaller, billType: string, writeOffNumber: string): Promise<Answer> {
  const bill = await callersBill(ctx.db, caller, billType, writeOffNumber);
  return bill ? { status: 200, body: await billAnswer(ctx.db, bill) } : notYours();
}

/** Why an unpaid-only change cannot be made to this bill now, if it cannot. */
async function unchangeable(db: Database, bill: BillRow, doing: "amend" | "cancel"): Promise<Answer | null> {
  if (bill.source !== null) return problem(409, "source_bill", "This bill comes from an outside bill source: change it there.");
  if (isPaid(bill.status))
    return problem(
      409,
      "already_paid",
      `The bill is paid already (${bill.paidAt?.toISOString() ?? ""}): it cannot be ${doing === "amend" ? "amended" : "cancelled"}; a refund goes through the back office.`,
    );
  if (bill.status === "cancelled" && doing === "amend") return problem(409, "cancelled", "The bill is cancelled: push a new bill instead.");
  const [held] = await db
    .select({ orderId: schema.paymentOrderItems.orderId })
    .from(schema.paymentOrderItems)
    .where(and(eq(schema.paymentOrderItems.billId, bill.id), isNull(schema.paymentOrderItems.releasedAt)));
  if (held)
    return problem(
      409,
      "in_payment",
      "A payer is paying this bill right now: try again in a few minutes (if the payment goes through, the bill is paid).",
    );
  return null;
}

export async function amendBill(
  ctx: AgencyApiContext,
  caller: AgencyCaller,
  billType: string,
  writeOffNumber: string,
  amend: z.infer<typeof amendRequestSchema>,
  now = new Date(),
): Promise<Answer> {
  return ctx.db.transaction(async (tx) => {
    const bill = await callersBill(tx, caller, billType, writeOffNumber, true);
    if (!bill) return notYours();
    const refusal = await unchangeable(tx, bill, "amend");
    if (refusal) return refusal;
    const next = { amount: amend.amount ?? bill.amount, dueDate: amend.dueDate ?? bill.dueDate };
    if (next.dueDate < bill.issuedOn)
      return problem(422, "invalid", `The due date ${next.dueDate} is before the bill's issue date ${bill.issuedOn}.`);
    if (next.amount === bill.amount && next.dueDate === bill.dueDate) return { status: 200, body: await billAnswer(tx, bill) };
    const [amended] = await tx
      .update(schema.bills)
      .set({ ...next, updatedAt: now })
      .where(eq(schema.bills.id, bill.id))
      .returning();
    await tx.insert(schema.auditLog).values({
      occurredAt: now,
      ...cause(caller),
      action: "bill.amended",
      targetType: "bill",
      targetId: bill.id,
      requestId: ctx.requestId ?? null,
      details: {
        ...cause(caller).details,
        before: { amount: bill.amount, dueDate: bill.dueDate },
        after: next,
        ...(amend.reason ? { reason: amend.reason } : {}),
      },
    });
    return { status: 200, body: await billAnswer(tx, amended!) };
  });
}

export async function cancelBill(
  ctx: AgencyApiContext,
  caller: AgencyCaller,
  billType: string,
  writeOffNumber: string,
  cancel: z.infer<typeof cancelRequestSchema>,
  now = new Date(),
): Promise<Answer> {
  return ctx.db.transaction(async (tx) => {
    const bill = await callersBill(tx, caller, billType, writeOffNumber, true);
    if (!bill) return notYours();
    if (bill.status === "cancelled") return { status: 200, body: await billAnswer(tx, bill) };
    const refusal = await unchangeable(tx, bill, "cancel");
    if (refusal) return refusal;
    await changeBills(tx, [bill.id], { event: "cancelled_at_source" }, cause(caller, cancel.reason ? { reason: cancel.reason } : {}), now);
    const [cancelled] = await tx.select().from(schema.bills).where(eq(schema.bills.id, bill.id));
    return { status: 200, body: await billAnswer(tx, cancelled!) };
  });
}
