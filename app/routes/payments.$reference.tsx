import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { BillCard } from "~/components/bill-card";
import { DetailRow } from "~/components/detail-row";
import { formatDateTime, formatMoney } from "~/domain/format";
import { isSettled } from "~/domain/payment-order";
import { getPaymentContext } from "~/payments/context.server";
import { applyTransition, findOrderByReference, refreshFromProvider } from "~/payments/orders.server";
import { orderView } from "~/payments/order-view.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/server/db.server";
import { getVisitorSession, grantedOrderReferences } from "~/server/session.server";

export const handle: RouteHandle = { pageTitle: (t) => t("payment.title") };

/** Only the browser that started a payment follows it here (members: their history). */
async function ownOrderReference(request: Request, reference: string | undefined): Promise<string> {
  const granted = grantedOrderReferences(await getVisitorSession(request));
  if (!reference || !granted.includes(reference)) throw new Response(null, { status: 404 });
  return reference;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const view = await orderView(getDb(), await ownOrderReference(request, params.reference));
  if (!view) throw new Response(null, { status: 404 });
  return json({ order: view }, { headers: { "Cache-Control": "no-store" } });
}

/** The payer gives up a payment still open at the provider, to pay another way. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const reference = await ownOrderReference(request, params.reference);
  const ctx = getPaymentContext(context.logger);
  const order = await findOrderByReference(ctx.db, reference);
  if (!order) throw new Response(null, { status: 404 });
  // Ask the provider first: the payment may have gone through after all.
  const after = await refreshFromProvider(ctx, order, "payer");
  if (after.state === "pending") await applyTransition(ctx, after.id, "cancelled", { source: "payer", payload: { reason: "payer gave up" } });
  return json({ ok: true });
}

const POLL_MS = 3_000;

export default function PaymentResult() {
  const { order } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const revalidator = useRevalidator();
  const open = !isSettled(order.state);

  // While the outcome is open the page asks again by itself; the live region says when it changes.
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [open, revalidator]);

  const outcome = order.state === "paid" ? "paid" : open ? "open" : order.state === "refunded" ? "refunded" : "ended";
  return (
    <>
      <div className={outcome === "paid" ? "confirmation" : "notice"} role="status" aria-live="polite">
        <h1>{t(`payment.heading.${outcome}`)}</h1>
        {order.receiptNumber ? <p className="reference">{t("payment.receiptNumber", { number: order.receiptNumber })}</p> : null}
        <p>{t(`payment.text.${order.state}`)}</p>
      </div>
      <dl className="bill-details">
        <DetailRow label={t("payment.reference")} className="identifier">{order.reference}</DetailRow>
        <DetailRow label={t("payment.tool")}>{t(`paymentTools.${order.paymentTool}`)}</DetailRow>
        <DetailRow label={t("payment.amount")} className="amount">{formatMoney(order.totalAmount, i18n.language)}</DetailRow>
        {order.paidAt ? <DetailRow label={t("bill.paidAt")}>{formatDateTime(order.paidAt, i18n.language)}</DetailRow> : null}
      </dl>
      {order.receiptNumber ? (
        <p className="actions">
          <Link to={`/receipts/${order.receiptNumber}`} className="button">
            {t("payment.viewReceipt")}
          </Link>{" "}
          <a href={`/receipts/${order.receiptNumber}/pdf`} className="button button-secondary-dark" download>
            {t("payment.downloadReceipt")}
          </a>
        </p>
      ) : null}
      {open ? (
        <>
          <p>
            <a href={`/payments/${order.reference}`}>{t("payment.refresh")}</a>
          </p>
          {order.state === "pending" ? (
            <Form method="post">
              <button type="submit" className="button button-secondary-dark">
                {t("payment.giveUp")}
              </button>
            </Form>
          ) : null}
        </>
      ) : null}
      {outcome === "ended" ? (
        <p>
          <Link to="/bills">{t("payment.tryAgain")}</Link>
        </p>
      ) : null}
      <h2>{t("payment.billsHeading")}</h2>
      {order.bills.map((bill) => (
        <BillCard key={bill.id} bill={bill} />
      ))}
    </>
  );
}
