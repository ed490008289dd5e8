import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { BillCard } from "~/components/bill-card";
import { DetailRow } from "~/components/detail-row";
import { formatDateTime, formatMoney } from "~/domain/format";
import { isPayable } from "~/domain/catalogue";
import { isSettled } from "~/domain/payment-order";
import { getPaymentContext } from "~/payments/context.server";
import { abandonPayment } from "~/payments/orders/answers.server";
import { findOrderByReference } from "~/payments/orders/order.server";
import { orderView } from "~/payments/order-view.server";
import { barcodeSvgDataUrl } from "~/payments/payment-slip.server";
import { PayLaterInstructions } from "~/components/pay-later-instructions";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getVisitorSession, grantedOrderReferences } from "~/base/session.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("payment.title") };
export const headers = routeHeaders;

/** Only the browser that started a payment follows it here (members: their history). */
async function ownOrderReference(request: Request, reference: string | undefined): Promise<string> {
  const granted = grantedOrderReferences(await getVisitorSession(request));
  if (!reference || !granted.includes(reference)) throw new Response(null, { status: 404 });
  return reference;
}

/**
 * The payer's own payment. Back from ECPay's page by its "back to the shop"
 * link (?back=1), the payment is given up if ECPay says it is unpaid: the
 * payer is told nothing was charged and can pay again at once.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const reference = await ownOrderReference(request, params.reference);
  let cameBackUnpaid = false;
  if (new URL(request.url).searchParams.has("back")) {
    const ctx = getPaymentContext(context.logger);
    const order = await findOrderByReference(ctx.db, reference);
    if (order && (order.state === "created" || order.state === "pending")) {
      cameBackUnpaid = (await abandonPayment(ctx, order, "came_back_unpaid")).state === "cancelled";
    }
  }
  const view = await orderView(getDb(), reference);
  if (!view) throw new Response(null, { status: 404 });
  // Store barcodes are drawn as the paper slip's are (Code 39), for the cashier's scanner.
  const barcodes = view.instructions?.kind === "store_barcode" ? view.instructions.barcodes.map(barcodeSvgDataUrl) : null;
  return json({ order: view, cameBackUnpaid, barcodes }, { headers: { "Cache-Control": "no-store" } });
}

/** The payer gives up a payment still open at the provider, to pay another way. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const reference = await ownOrderReference(request, params.reference);
  const ctx = getPaymentContext(context.logger);
  const order = await findOrderByReference(ctx.db, reference);
  if (!order) throw new Response(null, { status: 404 });
  await abandonPayment(ctx, order, "gave_up");
  return json({ ok: true });
}

const POLL_MS = 3_000;
// An account or code waits for days: asked less often, the money still shows within half a minute.
const AWAITING_POLL_MS = 30_000;

export default function PaymentResult() {
  const { order, cameBackUnpaid, barcodes } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const revalidator = useRevalidator();
  const open = !isSettled(order.state);

  // While the outcome is open the page asks again by itself; the live region says when it changes.
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(
      () => {
        if (revalidator.state === "idle") revalidator.revalidate();
      },
      order.state === "awaiting_payment" ? AWAITING_POLL_MS : POLL_MS,
    );
    return () => clearInterval(timer);
  }, [open, revalidator, order.state]);

  const outcome =
    order.state === "paid"
      ? "paid"
      : order.state === "awaiting_payment"
        ? "awaiting"
        : open
          ? "open"
          : order.state === "refunded"
            ? "refunded"
            : "ended";
  return (
    <>
      <div className={outcome === "paid" ? "confirmation" : "notice"} role="status" aria-live="polite">
        <h1>{t(`payment.heading.${outcome}`)}</h1>
        {order.receiptNumber ? <p className="reference">{t("payment.receiptNumber", { number: order.receiptNumber })}</p> : null}
        <p>{cameBackUnpaid ? t("payment.cameBackUnpaid") : t(`payment.text.${order.state}`)}</p>
      </div>
      {order.instructions ? (
        <PayLaterInstructions instructions={order.instructions} amount={order.totalAmount} barcodes={barcodes} />
      ) : null}
      {order.refunds.length > 0 ? (
        <div className="notice">
          <h2>{t("payment.refundsHeading")}</h2>
          {order.refunds.map((refund) => (
            <p key={refund.billId}>
              {t(`payment.refund.${refund.reason}`, {
                number: order.bills.find((bill) => bill.id === refund.billId)?.writeOffNumber ?? "",
                amount: formatMoney(refund.amount, i18n.language),
              })}
            </p>
          ))}
        </div>
      ) : null}
      <dl className="bill-details">
        <DetailRow label={t("payment.reference")} className="identifier">
          {order.reference}
        </DetailRow>
        <DetailRow label={t("payment.tool")}>{t(`paymentTools.${order.paymentTool}`)}</DetailRow>
        <DetailRow label={t("payment.amount")} className="amount">
          {formatMoney(order.totalAmount, i18n.language)}
        </DetailRow>
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
          {order.resumeUrl ? (
            <p>
              <a href={order.resumeUrl} className="button">
                {t("payment.resume")}
              </a>
            </p>
          ) : null}
          {order.state === "pending" ? (
            <Form method="post">
              <button type="submit" className="button button-secondary-dark">
                {t("payment.giveUp")}
              </button>
            </Form>
          ) : null}
          {order.state === "awaiting_payment" ? (
            <Form method="post" className="no-print">
              <p id="give-up-later-warning">{t("payment.giveUpLaterWarning")}</p>
              <button type="submit" className="button button-secondary-dark" aria-describedby="give-up-later-warning">
                {t("payment.giveUpLater")}
              </button>
            </Form>
          ) : null}
        </>
      ) : null}
      {outcome === "ended" ? (
        <p>
          {order.bills.some((bill) => isPayable(bill.status)) ? (
            <Link
              to={`/pay?${order.bills
                .filter((bill) => isPayable(bill.status))
                .map((bill) => `bill=${bill.id}`)
                .join("&")}`}
              className="button"
            >
              {t("payment.payAgain")}
            </Link>
          ) : (
            <Link to="/bills">{t("payment.tryAgain")}</Link>
          )}
        </p>
      ) : null}
      <h2>{t("payment.billsHeading")}</h2>
      {order.bills.map((bill) => (
        <BillCard key={bill.id} bill={bill} />
      ))}
    </>
  );
}
