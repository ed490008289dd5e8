import { json, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useActionData, useLoaderData, type ShouldRevalidateFunction } from "@remix-run/react";
import type { TFunction } from "i18next";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { answerPaymentReveal, viewPayment, type TimelineEntry } from "~/back-office/payments.server";
import { refundsOfPayment, type PaymentBillRefunds } from "~/back-office/refunds.server";
import { forbidden, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { RevealPanel } from "~/components/back-office/reveal-panel";
import { DetailRow } from "~/components/detail-row";
import { formatDateTime, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-payments.css";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) =>
    t("payments.detail.title", { reference: (data as { order?: { reference: string } } | undefined)?.order?.reference ?? "" }),
};
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not found", { status: 404, headers: noStore });

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "payments.view" });
  const order = await viewPayment(getDb(), staff, params.orderId ?? "");
  // Another agency's payment is answered as one that does not exist.
  if (!order) throw notFound();
  const refunds = await refundsOfPayment(
    getDb(),
    staff,
    order.id,
    order.bills.map((bill) => bill.id),
  );
  return json({ order, refunds }, { headers: noStore });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "payments.view" });
  const answer = await answerPaymentReveal(getDb(), staff, params.orderId ?? "", await readForm(request));
  if (answer.kind === "not_found") throw notFound();
  if (answer.kind === "forbidden") throw forbidden();
  return json({ reveal: answer.state, names: answer.names }, { headers: noStore });
}

// The reveal's steps change nothing on the page's data: no second "viewed" entry per step.
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod === "POST" ? false : defaultShouldRevalidate;

function eventWhat(entry: Extract<TimelineEntry, { kind: "event" }>, t: TFunction<"backOffice">): string {
  const state = (value: string | null) => (value ? t(`payments.states.${value}` as "payments.states.paid") : "");
  if (entry.refundChange) {
    const { number, from, to } = entry.refundChange;
    const refundState = (value: string) => t(`refunds.states.${value}` as "refunds.states.refunded");
    return t("payments.detail.event.refund", {
      number,
      from: from ? refundState(from) : t("payments.detail.event.refundNew"),
      to: refundState(to),
    });
  }
  if (entry.refund === "done") return t("payments.detail.event.refundDone");
  if (entry.refund === "refused") return t("payments.detail.event.refundRefused");
  if (entry.eventKind === "transition")
    return entry.fromState
      ? t("payments.detail.event.transition", { from: state(entry.fromState), to: state(entry.toState) })
      : t("payments.detail.event.created", { to: state(entry.toState) });
  return t(`payments.detail.event.${entry.eventKind}`);
}

function TimelineRow({ entry }: { entry: TimelineEntry }) {
  const { t } = useTranslation("backOffice");
  const { t: residents, i18n } = useTranslation();
  const locale = i18n.language;
  const notice = (kind: string) => t(`payments.detail.noticeKinds.${kind}` as "payments.detail.noticeKinds.bill.paid");
  const noticeState = (state: string) => t(`payments.detail.noticeStates.${state}` as "payments.detail.noticeStates.pending");
  let what: string;
  let details: ReactNode = null;
  switch (entry.kind) {
    case "event":
      what = eventWhat(entry, t);
      details = (
        <>
          <p>{t("payments.detail.event.source", { source: t(`payments.detail.sources.${entry.source}`) })}</p>
          <details>
            <summary>{t("payments.detail.payload")}</summary>
            <pre>{entry.payload}</pre>
          </details>
        </>
      );
      break;
    case "notice_queued":
      what = t("payments.detail.noticeQueued", {
        kind: notice(entry.noticeKind),
        number: entry.writeOffNumber,
        state: noticeState(entry.noticeState),
      });
      break;
    case "notice_attempt":
      what = t("payments.detail.noticeAttempt", { kind: notice(entry.noticeKind), number: entry.writeOffNumber });
      details = (
        <ul>
          <li>{t("payments.detail.attemptUrl", { url: entry.url })}</li>
          <li>
            {entry.statusCode !== null
              ? t("payments.detail.attemptStatus", { status: entry.statusCode })
              : t("payments.detail.attemptError", { error: entry.error ?? "" })}
          </li>
          {entry.statusCode !== null && entry.error ? <li>{t("payments.detail.attemptError", { error: entry.error })}</li> : null}
          <li>{t("payments.detail.attemptDuration", { ms: entry.durationMs })}</li>
          <li>{t("payments.detail.noticeNow", { state: noticeState(entry.noticeState) })}</li>
        </ul>
      );
      break;
    case "refund_case_opened":
    case "refund_case_closed":
      what =
        entry.kind === "refund_case_opened"
          ? t("payments.detail.refundCaseOpened", {
              number: entry.writeOffNumber,
              reason: t(`payments.detail.refundReasons.${entry.reason}`),
            })
          : t("payments.detail.refundCaseClosed", {
              number: entry.writeOffNumber,
              state: t(`payments.detail.refundStates.${entry.state}`),
            });
      details = (
        <>
          <p>{t("payments.detail.refundCaseAmount", { amount: formatMoney(entry.amount, locale) })}</p>
          <details>
            <summary>{t("payments.detail.payload")}</summary>
            <pre>{entry.details}</pre>
          </details>
        </>
      );
      break;
    case "source_settlement":
      what = t("payments.detail.sourceSettlement", { source: entry.source, number: entry.writeOffNumber });
      details = (
        <ul>
          {entry.channel ? (
            <li>
              {t("payments.detail.settlementChannel", { channel: residents(`bill.channel.${entry.channel}` as "bill.channel.bank") })}
            </li>
          ) : null}
          {entry.settledAt ? <li>{t("payments.detail.settledAt", { time: formatDateTime(entry.settledAt, locale) })}</li> : null}
        </ul>
      );
      break;
  }
  return (
    <tr>
      <td>{formatDateTime(entry.at, locale)}</td>
      <td>{what}</td>
      <td>{details}</td>
    </tr>
  );
}

/** What is left to refund of a bill, its refunds, and the way to ask for one (for staff who may). */
function BillRefundCells({
  refunds,
  writeOffNumber,
  orderId,
}: {
  refunds: PaymentBillRefunds | undefined;
  writeOffNumber: string;
  orderId: string;
}) {
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  if (!refunds)
    return (
      <>
        <td className="numeric">—</td>
        <td>—</td>
      </>
    );
  return (
    <>
      <td className="numeric">{formatMoney(refunds.refundable, locale)}</td>
      <td>
        {refunds.refunds.length > 0 ? (
          <ul className="bill-refunds">
            {refunds.refunds.map((refund) => (
              <li key={refund.id}>
                {refunds.mayView ? (
                  <Link to={`/back-office/refunds/${refund.id}`} className="identifier">
                    {refund.number}
                  </Link>
                ) : (
                  <span className="identifier">{refund.number}</span>
                )}{" "}
                {formatMoney(refund.amount, locale)} · {t(`refunds.states.${refund.state}`)}
              </li>
            ))}
          </ul>
        ) : null}
        {refunds.mayRequest ? (
          <Link to={`/back-office/refunds/new?order=${orderId}&bill=${refunds.billId}`}>
            {t("payments.detail.requestRefund", { number: writeOffNumber })}
          </Link>
        ) : refunds.refunds.length === 0 ? (
          t("payments.detail.noRefunds")
        ) : null}
      </td>
    </>
  );
}

export default function PaymentOrderDetail() {
  const { order, refunds } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t } = useTranslation("backOffice");
  const { t: residents, i18n } = useTranslation();
  const locale = i18n.language;
  const names = answer?.reveal.stage === "revealed" ? answer.names : null;
  const none = t("payments.detail.none");
  const when = (moment: string | null) => (moment ? formatDateTime(moment, locale) : none);

  return (
    <>
      <p>
        <Link to="/back-office/payments">{t("payments.detail.back")}</Link>
      </p>
      <h1>{t("payments.detail.title", { reference: order.reference })}</h1>
      {names ? (
        <div className="notice" role="status">
          <p>{t("reveal.revealedNotice")}</p>
        </div>
      ) : null}

      <section aria-labelledby="order-heading">
        <h2 id="order-heading">{t("payments.detail.orderHeading")}</h2>
        <dl className="bill-details">
          <DetailRow label={t("payments.detail.reference")} className="identifier">
            {order.reference}
          </DetailRow>
          <DetailRow label={t("payments.detail.state")}>
            <span className={`status-tag order-state-${order.state}`}>{t(`payments.states.${order.state}`)}</span>
          </DetailRow>
          <DetailRow label={t("payments.detail.totalAmount")}>{formatMoney(order.totalAmount, locale)}</DetailRow>
          <DetailRow label={t("payments.detail.tool")}>{residents(`paymentTools.${order.paymentTool}`)}</DetailRow>
          <DetailRow label={t("payments.detail.provider")}>{t(`payments.providers.${order.provider}`)}</DetailRow>
          <DetailRow label={t("payments.detail.providerTransactionId")} className="identifier">
            {order.providerTransactionId ?? none}
          </DetailRow>
          <DetailRow label={t("payments.detail.channel")}>{t(`payments.channels.${order.entryChannel ?? "none"}`)}</DetailRow>
          <DetailRow label={t("payments.detail.createdAt")}>{when(order.createdAt)}</DetailRow>
          <DetailRow label={t("payments.detail.expiresAt")}>{when(order.expiresAt)}</DetailRow>
          <DetailRow label={t("payments.detail.paidAt")}>{when(order.paidAt)}</DetailRow>
          <DetailRow label={t("payments.detail.refundedAt")}>{when(order.refundedAt)}</DetailRow>
          <DetailRow label={t("payments.detail.updatedAt")}>{when(order.updatedAt)}</DetailRow>
          <DetailRow label={t("payments.detail.receiptNumber")} className="identifier">
            {order.receiptNumber ?? none}
          </DetailRow>
          <DetailRow label={t("payments.detail.member")}>
            {order.memberNameMasked === null ? t("payments.detail.noMember") : (names?.memberName ?? order.memberNameMasked)}
          </DetailRow>
        </dl>
      </section>

      <section aria-labelledby="bills-heading">
        <h2 id="bills-heading">{t("payments.detail.billsHeading")}</h2>
        <div className="table-scroll" role="region" aria-labelledby="bills-caption" tabIndex={0}>
          <table className="receipt-bills">
            <caption id="bills-caption">{t("payments.detail.billsCaption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("payments.detail.billColumns.type")}</th>
                <th scope="col">{t("payments.detail.billColumns.writeOffNumber")}</th>
                <th scope="col" className="numeric">
                  {t("payments.detail.billColumns.amount")}
                </th>
                <th scope="col">{t("payments.detail.billColumns.status")}</th>
                <th scope="col">{t("payments.detail.billColumns.payer")}</th>
                <th scope="col" className="numeric">
                  {t("payments.detail.billColumns.refundable")}
                </th>
                <th scope="col">{t("payments.detail.billColumns.refunds")}</th>
              </tr>
            </thead>
            <tbody>
              {order.bills.map((bill) => (
                <tr key={bill.id}>
                  <td>{localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale)}</td>
                  <td className="identifier">{bill.writeOffNumber}</td>
                  <td className="numeric">{formatMoney(bill.amount, locale)}</td>
                  <td>{residents(`bill.status.${bill.status}`)}</td>
                  <td>{names?.payerNames[bill.id] ?? bill.payerNameMasked}</td>
                  <BillRefundCells
                    refunds={refunds.find((r) => r.billId === bill.id)}
                    writeOffNumber={bill.writeOffNumber}
                    orderId={order.id}
                  />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {order.otherBills > 0 ? <p className="hint">{t("payments.detail.otherBills", { count: order.otherBills })}</p> : null}
      </section>

      {order.mayReveal && !names ? (
        <RevealPanel
          fieldsLabel={t("payments.detail.revealFields")}
          state={answer?.reveal.stage === "revealed" ? undefined : answer?.reveal}
        />
      ) : null}

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">{t("payments.detail.timelineHeading")}</h2>
        <p>{t("payments.detail.timelineIntro")}</p>
        {order.timeline.length === 0 ? (
          <p className="payment-search-empty">{t("payments.detail.emptyTimeline")}</p>
        ) : (
          <div className="table-scroll" role="region" aria-labelledby="timeline-caption" tabIndex={0}>
            <table className="receipt-bills payment-timeline">
              <caption id="timeline-caption">{t("payments.detail.timelineCaption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("payments.detail.timelineColumns.at")}</th>
                  <th scope="col">{t("payments.detail.timelineColumns.what")}</th>
                  <th scope="col">{t("payments.detail.timelineColumns.details")}</th>
                </tr>
              </thead>
              <tbody>
                {order.timeline.map((entry, index) => (
                  <TimelineRow key={`${entry.kind}-${index}`} entry={entry} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
