import { json, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatMoney } from "~/domain/format";
import { REFUND_REASONS } from "~/domain/refund";
import { answerRefundRequest, refundRequestPage } from "~/back-office/refunds.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { getPaymentContext } from "~/payments/context.server";
import { ErrorSummary, SelectField, TextAreaField, TextField, type FieldError } from "~/components/forms";
import { StepUpConfirmation } from "~/components/passkey";
import { RefundContentList } from "~/components/back-office/refund-content";
import { DetailRow } from "~/components/detail-row";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-refunds.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("refunds.request.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not Found", { status: 404, headers: noStore });

/** The bill asked for (`?order=…&bill=…`), if it is the staff member's to refund. */
async function requestedBill(request: Request, staff: Awaited<ReturnType<typeof requireStaff>>) {
  const query = new URL(request.url).searchParams;
  const page = await refundRequestPage(getDb(), staff, (query.get("order") ?? "").slice(0, 40), (query.get("bill") ?? "").slice(0, 40));
  if (!page) throw notFound();
  return page;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "refunds.request" });
  return json({ page: await requestedBill(request, staff) }, { headers: noStore });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "refunds.request" });
  const page = await requestedBill(request, staff);
  const state = await answerRefundRequest(getPaymentContext(context.logger), staff, page, await readForm(request));
  if (!state) throw new Response("Bad Request", { status: 400, headers: noStore });
  if (state.stage === "filed") return redirect(`/back-office/refunds/${state.refundId}?done=requested`, { status: 303, headers: noStore });
  const refused = state.stage === "ask" && (state.errors !== undefined || state.refusal !== undefined);
  return json({ state }, { status: refused ? 400 : 200, headers: noStore });
}

export default function RefundRequestPage() {
  const { page } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const locale = i18n.language;
  const state = answer?.state;
  const billType = { nameZh: page.billTypeNameZh, nameEn: page.billTypeNameEn };
  const refundable = formatMoney(page.refundable, locale);

  const summary = (
    <section aria-labelledby="refund-bill-heading">
      <h2 id="refund-bill-heading">{t("refunds.request.billHeading")}</h2>
      <dl className="bill-details">
        <DetailRow label={t("refunds.content.orderReference")} className="identifier">
          <Link to={`/back-office/payments/${page.orderId}`}>{page.orderReference}</Link>
        </DetailRow>
        <DetailRow label={t("refunds.content.billType")}>{localized(billType, locale)}</DetailRow>
        <DetailRow label={t("refunds.content.writeOffNumber")} className="identifier">
          {page.writeOffNumber}
        </DetailRow>
        <DetailRow label={t("refunds.request.tool")}>{common(`paymentTools.${page.paymentTool}`)}</DetailRow>
        <DetailRow label={t("refunds.request.charged")}>{formatMoney(page.charged, locale)}</DetailRow>
        <DetailRow label={t("refunds.request.refundableNow")}>{refundable}</DetailRow>
        <DetailRow label={t("refunds.request.chain")}>
          {page.chain.map((role) => t(`roles.${role}` as "roles.handler")).join(" → ")}
        </DetailRow>
      </dl>
      {page.refundCase ? (
        <p className="notice">
          {t("refunds.request.fromCase", {
            reason: t(`duplicates.reasons.${page.refundCase.reason}`),
            amount: formatMoney(page.refundCase.amount, locale),
          })}
        </p>
      ) : null}
    </section>
  );

  if (state?.stage === "confirm") {
    return (
      <>
        <h1>{t("refunds.request.title")}</h1>
        {summary}
        <StepUpConfirmation
          options={state.options}
          fields={
            <>
              <input type="hidden" name="intent" value="refund-confirm" />
              <input type="hidden" name="amount" value={state.values.amount} />
              <input type="hidden" name="reason" value={state.values.reason} />
              <input type="hidden" name="reasonText" value={state.values.reasonText} />
            </>
          }
        >
          <p>{t("refunds.request.signing")}</p>
          <RefundContentList content={state.content} billType={billType} />
        </StepUpConfirmation>
        <Form method="post">
          <input type="hidden" name="intent" value="refund-edit" />
          <input type="hidden" name="amount" value={state.values.amount} />
          <input type="hidden" name="reason" value={state.values.reason} />
          <input type="hidden" name="reasonText" value={state.values.reasonText} />
          <button type="submit" className="button button-secondary">
            {t("refunds.request.change")}
          </button>
        </Form>
      </>
    );
  }

  const ask = state?.stage === "ask" ? state : undefined;
  const message = (problem: string) => t(`refunds.request.errors.${problem}` as "refunds.request.errors.amountRequired", { refundable });
  const errors: FieldError[] = [];
  if (ask?.refusal) errors.push({ message: t(`refunds.request.refusals.${ask.refusal}`) });
  for (const field of ["amount", "reason", "reasonText"] as const) {
    const problem = ask?.errors?.[field];
    if (problem) errors.push({ fieldId: `refund-${field}`, message: message(problem) });
  }
  const fieldError = (field: string) => errors.find((e) => e.fieldId === `refund-${field}`)?.message;
  const values = ask?.values ?? { amount: page.prefill.amount, reason: page.prefill.reason, reasonText: "" };

  return (
    <>
      <ErrorSummary errors={errors} />
      <p>
        <Link to={`/back-office/payments/${page.orderId}`}>{t("refunds.request.back")}</Link>
      </p>
      <h1>{t("refunds.request.title")}</h1>
      <p>{t("refunds.request.intro")}</p>
      {summary}
      {page.refundable === 0 ? (
        <p className="notice">{t("refunds.request.nothingLeft")}</p>
      ) : (
        <Form method="post" noValidate className="refund-request-form">
          <input type="hidden" name="intent" value="refund-prepare" />
          <TextField
            id="refund-amount"
            name="amount"
            label={t("refunds.request.amount")}
            hint={t("refunds.request.amountHint", { refundable })}
            inputMode="numeric"
            autoComplete="off"
            maxLength={20}
            defaultValue={values.amount}
            error={fieldError("amount")}
            required
          />
          <SelectField
            id="refund-reason"
            name="reason"
            label={t("refunds.request.reason")}
            placeholder="—"
            defaultValue={values.reason}
            error={fieldError("reason")}
            options={REFUND_REASONS.map((reason) => ({ value: reason, label: t(`refunds.reasons.${reason}`) }))}
            required
          />
          <TextAreaField
            id="refund-reasonText"
            name="reasonText"
            label={t("refunds.request.reasonText")}
            hint={t("refunds.request.reasonTextHint")}
            rows={4}
            defaultValue={values.reasonText}
            error={fieldError("reasonText")}
          />
          <button type="submit" className="button">
            {t("refunds.request.submit")}
          </button>
        </Form>
      )}
    </>
  );
}
