import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { commitVisitorSession, getVisitorSession, grantOrder, grantedOrderReferences } from "~/base/session.server";
import { billsByIds, type BillView } from "~/bills/bills.server";
import { BillCard } from "~/components/bill-card";
import { ErrorSummary, TextField, type FieldError } from "~/components/forms";
import { formatDateTime, formatMoney, formatTime } from "~/domain/format";
import { MAX_BILLS_PER_ORDER } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import { billsThisBrowserMayActOn, entryChannelOfCheckout } from "~/members/bill-access.server";
import { getMemberSession } from "~/members/member-request.server";
import { checkoutView, submitCheckout, type CheckoutProblem } from "~/payments/checkout.server";
import { getPaymentContext, newIdempotencyKey } from "~/payments/context.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import { getLocale } from "~/base/i18n.server";

export const handle: RouteHandle = { pageTitle: (t) => t("pay.title") };
export const headers = routeHeaders;

/** The selected bills, those this browser may act on (found by it, or a member's pending bills). */
async function accessibleBills(request: Request, ids: string[]): Promise<BillView[]> {
  const allowed = await billsThisBrowserMayActOn(request, ids, { members: true });
  return billsByIds(
    getDb(),
    ids.filter((id) => allowed.has(id)),
  );
}

const ownReferences = async (request: Request) => new Set(grantedOrderReferences(await getVisitorSession(request)));

/** The pages whose forms choose bills to pay: a choice of none goes back there, to be said in its error summary. */
const CHOOSING_PAGES = { account: "/account", bills: "/bills" } as const;

export async function loader({ request }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams;
  const selected = params.getAll("bill");
  const from = params.get("from");
  if (selected.length === 0 && (from === "account" || from === "bills")) {
    throw redirect(`${CHOOSING_PAGES[from]}?none=1`, { headers: { "Cache-Control": "no-store" } });
  }
  const member = await getMemberSession(request);
  // More than one order can take is refused as a whole: never pay a part of what was shown.
  const tooMany = selected.length > MAX_BILLS_PER_ORDER;
  const view = await checkoutView(
    getPaymentContext(),
    tooMany ? [] : await accessibleBills(request, selected),
    await ownReferences(request),
  );
  return json(
    {
      ...view,
      // One key per checkout page: a double click or a resubmission finds the same order.
      idempotencyKey: newIdempotencyKey(),
      backTo: from === "case" ? (member ? "/account/applications" : "/applications") : member ? "/account" : "/bills",
      // Carried to the order: whether the payer came from the member dashboard or an application's fees.
      from: from === "account" || from === "case" ? from : "bills",
      tooMany: tooMany ? selected.length : 0,
      // The receipt goes to the member's own address unless another is given here.
      payerEmail: member?.member.email ?? "",
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const billIds = form.getAll("bill").filter((id): id is string => typeof id === "string");
  const member = await getMemberSession(request);
  const ctx = getPaymentContext(context.logger);
  const result = await submitCheckout(ctx, {
    billIds,
    accessible: billIds.length > MAX_BILLS_PER_ORDER ? [] : await accessibleBills(request, billIds),
    tool: form.get("tool"),
    idempotencyKey: String(form.get("idempotencyKey") ?? "").slice(0, 64),
    memberId: member?.member.id ?? null,
    entryChannel: await entryChannelOfCheckout(request, billIds, form.get("from")),
    ownReferences: await ownReferences(request),
    locale: await getLocale(request),
    payerEmail: form.get("payerEmail"),
  });
  if (result.kind === "refused") {
    // What was typed and chosen comes back with the problems (a page without JavaScript is drawn anew).
    const typed = { payerEmail: String(form.get("payerEmail") ?? "").slice(0, 300), tool: String(form.get("tool") ?? "") };
    return json({ errors: result.problems, form: null, typed }, { status: result.status });
  }

  // This browser may follow the payment it started, and resume or give it up.
  const session = await getVisitorSession(request);
  grantOrder(session, result.order.reference);
  const headers = { "Set-Cookie": await commitVisitorSession(session) };
  const { start } = result;
  if (start.kind === "redirect") return redirect(start.url, { status: 303, headers });
  if (start.kind === "form")
    return json({ errors: [] as CheckoutProblem[], form: { action: start.action, fields: start.fields }, typed: null }, { headers });
  return redirect(`/payments/${result.order.reference}`, { status: 303, headers });
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

/** Tools with a note of their own under their name (the wallets not yet carried by any provider have none). */
const NOW_NOTES = ["line_pay", "credit_card", "taiwan_pay"] as const;
const hasNote = (tool: PaymentTool): tool is (typeof NOW_NOTES)[number] => (NOW_NOTES as readonly string[]).includes(tool);

/** "3 days", "72 hours", "30 minutes": how long a later tool's account or code stays open. */
function useWindowText() {
  const { t } = useTranslation();
  return (minutes: number) =>
    minutes % 1440 === 0
      ? t("pay.window.days", { count: minutes / 1440 })
      : minutes % 60 === 0
        ? t("pay.window.hours", { count: minutes / 60 })
        : t("pay.window.minutes", { count: minutes });
}

/**
 * The tools offered, in two groups: paid now at the provider, and paid later at an ATM or a
 * convenience store with the account or code issued (and until when it stays open).
 */
function ToolChoices({
  tools,
  chosen,
}: {
  tools: { now: PaymentTool[]; later: Array<{ tool: PaymentTool; minutes: number | null }> };
  /** The tool the payer chose before a refusal: kept. */
  chosen?: string;
}) {
  const { t } = useTranslation();
  const windowText = useWindowText();
  const offered: string[] = [...tools.now, ...tools.later.map((later) => later.tool)];
  const first = chosen && offered.includes(chosen) ? chosen : offered[0];
  const choice = (tool: PaymentTool, note: string | null) => (
    <div className="radio" key={tool}>
      <input
        type="radio"
        id={`tool-${tool}`}
        name="tool"
        value={tool}
        defaultChecked={tool === first}
        aria-describedby={note ? `tool-${tool}-note` : undefined}
      />
      <label htmlFor={`tool-${tool}`}>{t(`paymentTools.${tool}`)}</label>
      {note ? (
        <span className="hint" id={`tool-${tool}-note`}>
          {note}
        </span>
      ) : null}
    </div>
  );
  return (
    <>
      {tools.now.length > 0 ? (
        <fieldset className="form-group tool-choice">
          <legend>{t(tools.later.length > 0 ? "pay.chooseToolNow" : "pay.chooseTool")}</legend>
          {tools.now.map((tool) => choice(tool, hasNote(tool) ? t(`pay.toolNotes.${tool}`) : null))}
        </fieldset>
      ) : null}
      {tools.later.length > 0 ? (
        <fieldset className="form-group tool-choice">
          <legend>{t("pay.chooseToolLater")}</legend>
          <p className="hint">{t("pay.laterHold")}</p>
          {tools.later.map(({ tool, minutes }) =>
            choice(
              tool,
              t(`pay.laterNotes.${tool as "atm_transfer" | "store_code" | "store_barcode"}`, {
                window: minutes ? windowText(minutes) : t("pay.window.unknown"),
              }),
            ),
          )}
        </fieldset>
      ) : null}
    </>
  );
}

export default function Pay() {
  const { bills, total, tools, idempotencyKey, backTo, from, tooMany, ownPayments, payerEmail } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const { t, i18n } = useTranslation();

  if (actionData?.form) return <ProviderForm action={actionData.form.action} fields={actionData.form.fields} />;
  const offered = [...tools.now, ...tools.later.map((choice) => choice.tool)];

  const nameOf = (billId: string) => bills.find((bill) => bill.id === billId)?.writeOffNumber ?? "";
  // Why a bill cannot be paid now, and what to do about it.
  const billProblem = (error: Extract<CheckoutProblem, { code: "bill" }>, number: string): string => {
    if (error.reason === "in_progress" && error.ownPayment) return t("pay.errors.bill_in_progress_own", { number });
    if (error.reason === "in_progress")
      return t("pay.errors.bill_in_progress", {
        number,
        // A code paid later holds the bill for days: then the date is said too.
        until: !error.heldUntil
          ? ""
          : new Date(error.heldUntil).getTime() - Date.now() > 12 * 3600_000
            ? formatDateTime(error.heldUntil, i18n.language)
            : formatTime(error.heldUntil),
      });
    if (error.reason === "paid_elsewhere") {
      const channel =
        error.channel === "convenience_store" || error.channel === "bank" || error.channel === "auto_debit"
          ? error.channel
          : "agency_counter";
      return t("pay.errors.bill_paid_elsewhere", {
        number,
        channel: t(`bill.channel.${channel}`),
        date: error.paidAt ? formatDateTime(error.paidAt, i18n.language) : "",
      });
    }
    return t(`pay.errors.bill_${error.reason}`, { number });
  };
  const summary: FieldError[] = (actionData?.errors ?? []).map((error) =>
    error.code === "noTool"
      ? { fieldId: `tool-${offered[0] ?? "none"}`, message: t("pay.errors.noTool") }
      : error.code === "bill"
        ? { message: billProblem(error, error.number || nameOf(error.billId)) }
        : error.code === "payerEmail"
          ? { fieldId: "payerEmail", message: t("pay.email.invalid") }
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
            {t("pay.ownPayment", {
              time: formatDateTime(payment.createdAt, i18n.language),
              tool: t(`paymentTools.${payment.paymentTool}`),
            })}{" "}
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
        <input type="hidden" name="from" value={from} />
        {offered.length > 0 ? (
          <ToolChoices tools={tools} chosen={actionData?.typed?.tool} />
        ) : (
          <p className="notice">{t("pay.noLiveTool")}</p>
        )}
        {offered.length > 0 ? (
          <fieldset className="form-group payer-email">
            <legend>{t("pay.email.legend")}</legend>
            <TextField
              id="payerEmail"
              name="payerEmail"
              type="email"
              label={t("pay.email.label")}
              hint={t("pay.email.hint")}
              autoComplete="email"
              spellCheck={false}
              maxLength={254}
              defaultValue={actionData?.typed ? actionData.typed.payerEmail : payerEmail}
              error={actionData?.errors.some((error) => error.code === "payerEmail") ? t("pay.email.invalid") : undefined}
            />
          </fieldset>
        ) : null}
        {offered.length > 0 ? (
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
