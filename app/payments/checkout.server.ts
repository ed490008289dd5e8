import { isPayable } from "~/domain/catalogue";
import { isEmailAddress } from "~/domain/email";
import type { Locale } from "~/i18n";
import { MAX_BILLS_PER_ORDER, entryChannelOrNull } from "~/domain/payment-order";
import { PAYMENT_TOOLS, isDeferredPaymentTool, isPaymentTool, type PaymentTool } from "~/domain/payment-tools";
import type { BillView } from "~/bills/bills.server";
import { findBillType } from "~/bills/catalogue.server";
import { startPayment, type StartResult } from "./orders/answers.server";
import { createPaymentOrder, openOrdersHolding, type UnavailableBill } from "./orders/create.server";
import type { PaymentContext, PaymentOrder } from "./orders/order.server";

/**
 * Checkout (繳費): which of the bills a browser may act on can be paid now,
 * with which tools, and paying them. The route decides which bills the
 * browser may act on (app/members/bill-access.server.ts); this module decides
 * the rest.
 */

export interface CheckoutView {
  bills: BillView[];
  total: number;
  /**
   * The tools the payer may choose: those every selected bill's type allows and a configured
   * provider carries (no other is offered). `now`: paid at once; `later`: instructions to pay
   * at an ATM or a store, good for `minutes`.
   */
  tools: { now: PaymentTool[]; later: Array<{ tool: PaymentTool; minutes: number | null }> };
  /** Payments this browser started that still hold some of these bills: it may resume or give them up. */
  ownPayments: Array<{ reference: string; paymentTool: PaymentTool; createdAt: string }>;
}

/** Tools every bill allows and a provider carries, in the catalogue's order: paid now, or paid later. */
async function toolChoices(ctx: PaymentContext, bills: BillView[]): Promise<CheckoutView["tools"]> {
  const allowedPerBill = await Promise.all(
    bills.map(async (bill) => (await findBillType(ctx.db, bill.billTypeCode))?.billType.paymentTools ?? []),
  );
  const offered = PAYMENT_TOOLS.filter(
    (tool) => allowedPerBill.every((tools) => tools.includes(tool)) && ctx.providers.route(tool).status === "live",
  );
  return {
    now: offered.filter((tool) => !isDeferredPaymentTool(tool)),
    later: offered.filter(isDeferredPaymentTool).map((tool) => {
      const route = ctx.providers.route(tool);
      return { tool, minutes: (route.status === "live" && route.adapter.payLaterMinutes?.[tool]) || null };
    }),
  };
}

/** The checkout page for the bills the browser may act on: those still payable, their tools, its own payments under way. */
export async function checkoutView(ctx: PaymentContext, accessible: BillView[], ownReferences: ReadonlySet<string>): Promise<CheckoutView> {
  const bills = accessible.filter((bill) => isPayable(bill.status));
  const holds = (
    await openOrdersHolding(
      ctx.db,
      bills.map((bill) => bill.id),
    )
  ).filter((hold) => ownReferences.has(hold.reference));
  return {
    bills,
    total: bills.reduce((sum, bill) => sum + bill.amount, 0),
    tools: await toolChoices(ctx, bills),
    ownPayments: [
      ...new Map(
        holds.map((hold) => [
          hold.reference,
          { reference: hold.reference, paymentTool: hold.paymentTool, createdAt: hold.createdAt.toISOString() },
        ]),
      ).values(),
    ],
  };
}

/** What stops a checkout, for the page to say (and how to fix it). */
export type CheckoutProblem =
  | { code: "noTool" }
  | { code: "toolUnavailable" }
  | { code: "changed" }
  | { code: "tooMany" }
  /** The e-mail address given for the receipt cannot be an address. */
  | { code: "payerEmail" }
  | ({ code: "bill"; billId: string; number: string; ownPayment: boolean } & Pick<UnavailableBill, "reason"> & {
        heldUntil?: string;
        paidAt?: string;
        channel?: string;
      });

export interface CheckoutInput {
  /** The bills asked for, as posted. */
  billIds: string[];
  /** Of those, the ones this browser may act on. */
  accessible: BillView[];
  tool: unknown;
  idempotencyKey: string;
  memberId: string | null;
  /** How the payer came here, as the request says it (not a known channel: not recorded). */
  entryChannel: unknown;
  /** Payments this browser started (its own holds it may resume). */
  ownReferences: ReadonlySet<string>;
  locale: Locale;
  /** The optional address for the receipt and notices of this payment, as posted. */
  payerEmail?: unknown;
}

/** The address a payer left at checkout: none (left empty), one, or something that is no address. */
export function readPayerEmail(value: unknown): { ok: true; email: string | null } | { ok: false } {
  const text = typeof value === "string" ? value.trim() : "";
  if (text === "") return { ok: true, email: null };
  return isEmailAddress(text) ? { ok: true, email: text } : { ok: false };
}

export type CheckoutResult =
  { kind: "refused"; problems: CheckoutProblem[]; status: 400 | 409 } | { kind: "started"; order: PaymentOrder; start: StartResult };

/** Writes the order and sends the payer to the provider; or says, bill by bill, why not. */
export async function submitCheckout(ctx: PaymentContext, input: CheckoutInput): Promise<CheckoutResult> {
  const refuse = (problems: CheckoutProblem[], status: 400 | 409 = 400): CheckoutResult => ({ kind: "refused", problems, status });
  if (input.billIds.length > MAX_BILLS_PER_ORDER) return refuse([{ code: "tooMany" }]);
  const payerEmail = readPayerEmail(input.payerEmail);
  if (!payerEmail.ok) return refuse([{ code: "payerEmail" }]);
  if (!isPaymentTool(input.tool)) return refuse([{ code: "noTool" }]);
  if (!/^[0-9a-f-]{36}$/.test(input.idempotencyKey)) return refuse([{ code: "changed" }]);
  const payable = input.accessible.filter((bill) => isPayable(bill.status));
  const payableIds = new Set(payable.map((bill) => bill.id));
  if (payable.length !== input.billIds.length || payable.length === 0) {
    // A selected bill is no longer payable here (paid meanwhile, or this browser's grant ran out).
    const missing = input.billIds.filter((id) => !payableIds.has(id));
    return refuse(
      missing.map((billId) => ({
        code: "bill",
        reason: "paid",
        billId,
        number: input.accessible.find((bill) => bill.id === billId)?.writeOffNumber ?? "",
        ownPayment: false,
      })),
      409,
    );
  }
  const created = await createPaymentOrder(ctx, {
    billIds: input.billIds,
    tool: input.tool,
    idempotencyKey: input.idempotencyKey,
    memberId: input.memberId,
    entryChannel: entryChannelOrNull(input.entryChannel),
    payerEmail: payerEmail.email,
    locale: input.locale,
  });
  switch (created.kind) {
    case "tool_unavailable":
      return refuse([{ code: "toolUnavailable" }]);
    case "idempotency_conflict":
      return refuse([{ code: "changed" }], 409);
    case "too_many_bills":
      return refuse([{ code: "tooMany" }]);
    case "bills_unavailable":
      return refuse(
        created.bills.map((bill) => ({
          code: "bill",
          reason: bill.reason,
          billId: bill.id,
          number: payable.find((selected) => selected.id === bill.id)?.writeOffNumber ?? "",
          ownPayment: bill.heldBy !== undefined && input.ownReferences.has(bill.heldBy),
          heldUntil: bill.heldUntil?.toISOString(),
          paidAt: bill.paidAt?.toISOString(),
          channel: bill.channel,
        })),
        409,
      );
  }
  return { kind: "started", order: created.order, start: await startPayment(ctx, created.order, { locale: input.locale }) };
}
