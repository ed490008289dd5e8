import { and, eq, inArray } from "drizzle-orm";
import { BILL_CHANGES, type BillEvent } from "~/domain/bill-lifecycle";
import type { PaymentChannel } from "~/domain/catalogue";
import { schema, type Database } from "~/base/db.server";

/**
 * The one module that changes a bill's status (app/domain/bill-lifecycle.ts
 * declares which changes there are). Each change is made only from the states
 * it may follow, under the caller's transaction, and recorded in the audit
 * log with who caused it. Callers learn which bills changed: a bill that was
 * no longer in a state the change may follow is left as it is.
 */

export interface BillChangeCause {
  actorType: "agency" | "system" | "operator" | "member";
  actorId: string | null;
  /** What the audit entry keeps besides the change itself (order, source, channel, time). */
  details?: Record<string, unknown>;
}

interface PaidDetails {
  channel: PaymentChannel;
  paidAt: Date;
}

type ChangeInput =
  | { event: "paid_here"; paidAt: Date }
  | ({ event: "paid_elsewhere" } & PaidDetails)
  | { event: "cancelled_at_source" | "written_off" | "reopened_after_refund" };

function valuesFor(input: ChangeInput, now: Date): Partial<typeof schema.bills.$inferInsert> {
  const to = BILL_CHANGES[input.event].to;
  switch (input.event) {
    case "paid_here":
      return { status: to, paidAt: input.paidAt, paidChannel: "portal", updatedAt: now };
    case "paid_elsewhere":
      return { status: to, paidAt: input.paidAt, paidChannel: input.channel, updatedAt: now };
    case "reopened_after_refund":
    case "cancelled_at_source":
      return { status: to, paidAt: null, paidChannel: null, updatedAt: now };
    case "written_off":
      return { status: to, updatedAt: now };
  }
}

/** Applies one lifecycle change to these bills; returns the ids of those it changed. */
export async function changeBills(
  db: Database,
  billIds: readonly string[],
  input: ChangeInput,
  cause: BillChangeCause,
  now = new Date(),
): Promise<string[]> {
  if (billIds.length === 0) return [];
  const changed = await updateBills(db, billIds, input, now);
  if (changed.length > 0) await auditChanges(db, changed, input, cause, now);
  return changed;
}

/**
 * The same change, for bills the caller has locked and read in a state the change may
 * follow: the update and its audit entries go out together (one round trip, not two),
 * and a bill that did not change after all fails the caller's transaction rather than
 * leave an entry for a change never made.
 */
export async function changeLockedBills(
  db: Database,
  billIds: readonly string[],
  input: ChangeInput,
  cause: BillChangeCause,
  now = new Date(),
): Promise<void> {
  if (billIds.length === 0) return;
  const [changed] = await Promise.all([updateBills(db, billIds, input, now), auditChanges(db, billIds, input, cause, now)]);
  if (changed.length !== billIds.length) {
    throw new Error(`bill.${input.event}: ${billIds.length - changed.length} of ${billIds.length} locked bills could not change`);
  }
}

async function updateBills(db: Database, billIds: readonly string[], input: ChangeInput, now: Date): Promise<string[]> {
  const change = BILL_CHANGES[input.event];
  const changed = await db
    .update(schema.bills)
    .set(valuesFor(input, now))
    .where(
      and(
        inArray(schema.bills.id, [...billIds]),
        inArray(schema.bills.status, [...change.from]),
        change.onlyChannel ? eq(schema.bills.paidChannel, change.onlyChannel) : undefined,
      ),
    )
    .returning({ id: schema.bills.id });
  return changed.map((bill) => bill.id);
}

async function auditChanges(
  db: Database,
  billIds: readonly string[],
  input: ChangeInput,
  cause: BillChangeCause,
  now: Date,
): Promise<void> {
  const change = BILL_CHANGES[input.event];
  await db.insert(schema.auditLog).values(
    billIds.map((billId) => ({
      occurredAt: now,
      actorType: cause.actorType,
      actorId: cause.actorId,
      action: `bill.${input.event}` satisfies `bill.${BillEvent}`,
      targetType: "bill",
      targetId: billId,
      details: {
        to: change.to,
        ...("channel" in input ? { channel: input.channel } : {}),
        ...("paidAt" in input ? { paidAt: input.paidAt.toISOString() } : {}),
        ...cause.details,
      },
    })),
  );
}
