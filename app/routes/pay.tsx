import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { BillCard } from "~/components/bill-card";
import { ErrorSummary, type FieldError } from "~/components/forms";
import { isPayable } from "~/domain/catalogue";
import { formatDateTime, formatMoney, formatTime } from "~/domain/format";
import { MAX_BILLS_PER_ORDER } from "~/domain/payment-order";
import { PAYMENT_TOOLS, isPaymentTool, type PaymentTool } from "~/domain/payment-tools";
import { getPaymentContext, newIdempotencyKey } from "~/payments/context.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder, openOrdersHolding, type UnavailableBill } from "~/payments/orders/create.server";
import type { RouteHandle } from "~/route-handle";
import { billsByIds, type BillView } from "~/bills/bills.server";
import { findBillType } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { getMemberSession } from "~/members/member-request.server";
import { billsVisibleToMember } from "~/members/pending-bills.server";
import type { MemberSession } from "~/members/sessions.server";
import { commitVisitorSession, getVisitorSession, grantOrder, grantedBillIds, grantedOrderReferences } from "~/base/session.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("pay.title") };
export const headers = routeHeaders;

/**
 * The selected bills this browser may pay, unpaid: those granted to it (looked
 * up, scanned, opened from a QR link) and, for a member, their pending bills.
 */
async function selectedBills(request: Request, ids: string[], member: MemberSession | null): Promise<BillView[]> {
  const granted = new Set(grantedBillIds(await getVisitorSession(request)));
  const others = ids.filter((id) => !granted.has(id));
  const members = member && others.length > 0 ? await billsVisibleToMember({ db: getDb(), env: getEnv() }, member.member, others) : new Set<string>();
  const bills = await billsByIds(getDb(), ids.filter((id) => granted.has(id) || members.has(id)));
  return bills.filter((bill) => isPayable(bill.status));
}

/** Tools every selected bill allows, live first, in the catalogue's order. */
async function toolChoices(bills: BillView[]) {
  const allowedPerBill = await Promise.all(bills.map(async (bill) => (await findBillType(getDb(), bill.billTypeCode))?.billType.paymentTools ?? []));
  const { providers } = getPaymentContext();
  const allowed = PAYMENT_TOOLS.filter((tool) => allowedPerBill.every((tools) => tools.includes(tool)));
  return {
    live: allowed.filter((tool) => providers.route(tool).status === "live"),
    coming: allowed.filter((tool) => providers.route(tool).status === "coming"),
  };
}

/** Payments this browser started that still hold some of these bills: it may resume or give them up. */
async function ownOpenPayments(request: Request, billIds: string[]) {
  const mine = new Set(grantedOrderReferences(await getVisitorSession(request)));
  const holds = (await openOrdersHolding(getDb(), billIds)).filter((hold) => mine.has(hold.reference));
  return [...new Map(holds.map((hold) => [hold.reference, { reference: hold.reference, paymentTool: hold.paymentTool, createdAt: hold.createdAt.toISOString() }])).values()];
}

export async function loader({ request }: LoaderFunctionArgs) {
  const member = await getMemberSession(request);
  const selected = new URL(request.url).searchParams.getAll("bill");
  // More than one order can take is refused as a whole: never pay a part of what was shown.
  const tooMany = selected.length > MAX_BILLS_PER_ORDER;
  const bills = tooMany ? [] : await selectedBills(request, selected, member);
  return json(
    {
      bills,
      total: bills.reduce((sum, bill) => sum + bill.amount, 0),
      tools: await toolChoices(bills),
      ownPayments: await ownOpenPayments(request, bills.map((bill) => bill.id)),
      // One key per checkout page: a double click or a resubmission finds the same order.
      idempotencyKey: newIdempotencyKey(),
      backTo: member ? "/account" : "/bills",
      tooMany: tooMany ? selected.length : 0,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

type PayError =
  | { code: "noTool" }
  | { code: "toolUnavailable" }
  | { code: "changed" }
  | { code: "tooMany" }
  | ({ code: "bill"; billId: string; number: string; ownPayment: boolean } & Pick<UnavailableBill, "reason"> & { heldUntil?: string; paidAt?: string; channel?: string });

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const billIds = form.getAll("bill").filter((id): id is string => typeof id === "string");
  if (billIds.length > MAX_BILLS_PER_ORDER) return json({ errors: [{ code: "tooMany" }] as PayError[], form: null }, { status: 400 });
  const tool = form.get("tool");
  const idempotencyKey = String(form.get("idempotencyKey") ?? "").slice(0, 64);
  const member = await getMemberSession(request);
  const bills = await selectedBills(request, billIds, member);
  const fail = (errors: PayError[], status = 400) => json({ errors, form: null }, { status });

  if (!isPaymentTool(tool)) return fail([{ code: "noTool" }]);
  if (!/^[0-9a-f-]{36}$/.test(idempotencyKey)) return fail([{ code: "changed" }]);
  if (bills.length !== billIds.length || bills.length === 0) {
    // A selected bill is no longer payable here (paid meanwhile, or its grant ran out).
    const payable = new Set(bills.map((bill) => bill.id));
    return fail(billIds.filter((id) => !payable.has(id)).map((billId) => ({ code: "bill" as const, reason: "paid" as const, billId, number: "", ownPayment: false })), 409);
  }

  const ctx = getPaymentContext(context.logger);
  const created = await createPaymentOrder(ctx, { billIds, tool, idempotencyKey, memberId: member?.member.id ?? null });
  switch (created.kind) {
    case "tool_unavailable":
      return fail([{ code: "toolUnavailable" }]);
    case "idempotency_conflict":
      return fail([{ code: "changed" }], 409);
    case "too_many_bills":
      return fail([{ code: "tooMany" }]);
    case "bills_unavailable": {
      const mine = new Set(grantedOrderReferences(await getVisitorSession(request)));
      return fail(
        created.bills.map((bill) => ({
          code: "bill" as const,
          reason: bill.reason,
          billId: bill.id,
          number: bills.find((selected) => selected.id === bill.id)?.writeOffNumber ?? "",
          ownPayment: bill.heldBy !== undefined && mine.has(bill.heldBy),
          heldUntil: bill.heldUntil?.toISOString(),
          paidAt: bill.paidAt?.toISOString(),
          channel: bill.channel,
        })),
        409,
      );
    }
  }

  const session = await getVisitorSession(request);
  grantOrder(session, created.order.reference);
  const headers = { "Set-Cookie": await commitVisitorSession(session) };
  const started = await startPayment(ctx, created.order);
  if (started.kind === "redirect") return redirect(started.url, { status: 303, headers });
  if (started.kind === "form") return json({ errors: [] as PayError[], form: { action: started.action, fields: started.fields } }, { headers });
  return redirect(`/payments/${created.order.reference}`, { status: 303, headers });
}

/** ECPay's checkout is a form post to ECPay: sent by itself, or by the payer's button without JavaScript. */
function ProviderForm({ action, fields }: { action: string; fields: Record<string, string> }) {
  const { t } = useTranslation();
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => form.current?.submit(), []);
  return (
    <div className="notice">
      <h2>{t("pay.goingToProvider")}</h2>
      <form ref={form} method="post" action={action}>
        {Object.entries(fields).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <button type="submit" className="button">
          {t("pay.continueToProvider")}
        </button>
      </form>
    </div>
  );
}

export default function Pay() {
  const { bills, total, tools, idempotencyKey, backTo, tooMany, ownPayments } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const { t, i18n } = useTranslation();

  if (actionData?.form) return <ProviderForm action={actionData.form.action} fields={actionData.form.fields} />;

  const nameOf = (billId: string) => bills.find((bill) => bill.id === billId)?.writeOffNumber ?? "";
  // Why a bill cannot be paid now, and what to do about it.
  const billProblem = (error: Extract<PayError, { code: "bill" }>, number: string): string => {
    if (error.reason === "in_progress" && error.ownPayment) return t("pay.errors.bill_in_progress_own", { number });
    if (error.reason === "in_progress") return t("pay.errors.bill_in_progress", { number, until: error.heldUntil ? formatTime(error.heldUntil) : "" });
    if (error.reason === "paid_elsewhere") {
      const channel = error.channel === "convenience_store" || error.channel === "bank" || error.channel === "auto_debit" ? error.channel : "agency_counter";
      return t("pay.errors.bill_paid_elsewhere", { number, channel: t(`bill.channel.${channel}`), date: error.paidAt ? formatDateTime(error.paidAt, i18n.language) : "" });
    }
    return t(`pay.errors.bill_${error.reason}`, { number });
  };
  const summary: FieldError[] = (actionData?.errors ?? []).map((error) =>
    error.code === "noTool"
      ? { fieldId: `tool-${tools.live[0] ?? "none"}`, message: t("pay.errors.noTool") }
      : error.code === "bill"
        ? { message: billProblem(error, error.number || nameOf(error.billId)) }
        : error.code === "tooMany"
          ? { message: t("pay.errors.tooMany", { max: MAX_BILLS_PER_ORDER }) }
          : { message: t(`pay.errors.${error.code}`) },
  );
  if (tooMany > 0) summary.push({ message: t("pay.errors.tooManySelected", { selected: tooMany, max: MAX_BILLS_PER_ORDER }) });

  if (bills.length === 0) {
    return (
      <>
        <ErrorSummary errors={summary} />
        <h1>{t("pay.title")}</h1>
        <p>
          {t("pay.nothingSelected")} <Link to={backTo}>{t(backTo === "/account" ? "pay.backToAccount" : "pay.backToBills")}</Link>
        </p>
      </>
    );
  }

  return (
    <>
      <ErrorSummary errors={summary} />
      <h1>{t("pay.title")}</h1>
      {ownPayments.map((payment) => (
        <div className="notice" key={payment.reference}>
          <p>
            {t("pay.ownPayment", { time: formatDateTime(payment.createdAt, i18n.language), tool: t(`paymentTools.${payment.paymentTool}`) })}{" "}
            <Link to={`/payments/${payment.reference}`}>{t("pay.ownPaymentLink")}</Link>
          </p>
        </div>
      ))}
      <p className="total">{t("pay.total", { count: bills.length, total: formatMoney(total, i18n.language) })}</p>
      <details className="bill-summary">
        <summary>{t("pay.showBills", { count: bills.length })}</summary>
        {bills.map((bill) => (
          <BillCard key={bill.id} bill={bill} headingLevel={3} />
        ))}
      </details>
      <Form method="post" noValidate>
        {bills.map((bill) => (
          <input key={bill.id} type="hidden" name="bill" value={bill.id} />
        ))}
        <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
        {tools.live.length > 0 ? (
          <fieldset className="form-group tool-choice">
            <legend>{t("pay.chooseTool")}</legend>
            {tools.live.map((tool: PaymentTool, i: number) => (
              <div className="radio" key={tool}>
                <input type="radio" id={`tool-${tool}`} name="tool" value={tool} defaultChecked={i === 0} aria-describedby={`tool-${tool}-note`} />
                <label htmlFor={`tool-${tool}`}>{t(`paymentTools.${tool}`)}</label>
                <span className="hint" id={`tool-${tool}-note`}>
                  {t(`pay.toolNotes.${tool as "line_pay" | "credit_card"}`)}
                </span>
              </div>
            ))}
          </fieldset>
        ) : (
          <p className="notice">{t("pay.noLiveTool")}</p>
        )}
        {tools.coming.length > 0 ? (
          <p className="hint">
            {t("pay.comingTools", { tools: tools.coming.map((tool: PaymentTool) => t(`paymentTools.${tool}`)).join(t("listSeparator")) })}
          </p>
        ) : null}
        {tools.live.length > 0 ? (
          <button type="submit" className="button" disabled={navigation.state === "submitting"}>
            {t("pay.submit", { total: formatMoney(total, i18n.language) })}
          </button>
        ) : null}
      </Form>
      <p>
        <Link to={backTo}>{t(backTo === "/account" ? "pay.backToAccount" : "pay.backToBills")}</Link>
      </p>
    </>
  );
}
