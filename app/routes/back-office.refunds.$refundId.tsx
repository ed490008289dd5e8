import { json, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { answerRefundStep, viewRefund, type RefundStepView } from "~/back-office/refunds.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { getPaymentContext } from "~/payments/context.server";
import { ErrorSummary, TextAreaField, type FieldError } from "~/components/forms";
import { StepUpConfirmation } from "~/components/passkey";
import { RefundContentList } from "~/components/back-office/refund-content";
import { StackedCell } from "~/components/stacked-cell";
import { DetailRow } from "~/components/detail-row";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-refunds.css";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) => {
    const number = (data as { refund?: { number: string } } | undefined)?.refund?.number;
    return number ? t("refunds.detail.title", { number }) : t("refunds.title");
  },
};
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not Found", { status: 404, headers: noStore });

/** What `?done=` may say after an act: the step's outcome. */
const DONE = ["requested", "approved", "rejected", "releasing", "refunded", "unknown", "provider_refused", "stale"] as const;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "refunds.view" });
  const refund = await viewRefund(getDb(), staff, params.refundId ?? "");
  if (!refund) throw notFound();
  return json({ refund }, { headers: noStore });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "refunds.view" });
  const refundId = params.refundId ?? "";
  const state = await answerRefundStep(getPaymentContext(context.logger), staff, refundId, await readForm(request));
  if (state === "not_found") throw notFound();
  if (!state) throw new Response("Bad Request", { status: 400, headers: noStore });
  if (state.stage === "taken") return redirect(`/back-office/refunds/${refundId}?done=${state.outcome}`, { status: 303, headers: noStore });
  const refused = state.stage === "ask" && (state.errors !== undefined || state.refusal !== undefined);
  return json({ state }, { status: refused ? 400 : 200, headers: noStore });
}

function StepRow({ step, verified }: { step: RefundStepView; verified: Record<string, boolean> | undefined }) {
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  const taken = step.taken;
  const label = (key: string) => t(`refunds.detail.stepColumns.${key}` as "refunds.detail.stepColumns.step");
  return (
    <tr>
      <StackedCell label={label("step")}>
        {t(`refunds.steps.${step.step.startsWith("approve_") ? "approve" : step.step}` as "refunds.steps.request", {
          role: t(`roles.${step.role}`),
        })}
      </StackedCell>
      <StackedCell label={label("role")}>{t(`roles.${step.role}`)}</StackedCell>
      <StackedCell label={label("who")}>
        {taken
          ? taken.actingForName
            ? t("refunds.detail.actingFor", { name: taken.staffName, principal: taken.actingForName })
            : taken.staffName
          : t("refunds.detail.notYet")}
      </StackedCell>
      <StackedCell label={label("at")}>{taken ? formatDateTime(taken.at, locale) : "—"}</StackedCell>
      <StackedCell label={label("decision")}>
        {taken ? (
          <span className={`status-tag refund-decision-${taken.decision}`}>
            {t(`refunds.decisions.${step.position === 0 ? "requested" : taken.decision}`)}
          </span>
        ) : (
          "—"
        )}
      </StackedCell>
      <StackedCell label={label("note")}>{taken?.note ? <span className="refund-note">{taken.note}</span> : "—"}</StackedCell>
      <StackedCell label={label("signedAct")} className="identifier">
        {taken ? (
          <>
            {taken.signedActId}
            {verified && taken.signedActId in verified ? (
              <span className={verified[taken.signedActId] ? "refund-signature-valid" : "refund-signature-invalid"}>
                {" "}
                {verified[taken.signedActId] ? t("refunds.detail.signatureValid") : t("refunds.detail.signatureInvalid")}
              </span>
            ) : null}
          </>
        ) : (
          "—"
        )}
      </StackedCell>
    </tr>
  );
}

export default function RefundPage() {
  const { refund } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const locale = i18n.language;
  const state = answer?.state;
  const done = (DONE as readonly string[]).includes(searchParams.get("done") ?? "") ? searchParams.get("done") : null;
  const billType = { nameZh: refund.billTypeNameZh, nameEn: refund.billTypeNameEn };
  const verified = state?.stage === "verified" ? state.signatures : undefined;
  const ask = state?.stage === "ask" ? state : undefined;

  const errors: FieldError[] = [];
  if (ask?.refusal) errors.push({ message: t(`refunds.detail.refusals.${ask.refusal}`) });
  if (ask?.errors?.decision) errors.push({ fieldId: "step-decision-approve", message: t(`refunds.detail.errors.${ask.errors.decision}`) });
  if (ask?.errors?.note) errors.push({ fieldId: "step-note", message: t(`refunds.detail.errors.${ask.errors.note}`) });
  const fieldError = (id: string) => errors.find((e) => e.fieldId === id)?.message;
  const typedDecision = ask?.values?.decision;
  // The page's own address, without `?done=`: what an act reports is for the answer after that act only.
  const here = `/back-office/refunds/${refund.id}`;

  return (
    <>
      <ErrorSummary errors={errors} />
      <p>
        <Link to="/back-office/refunds">{t("refunds.detail.back")}</Link>
      </p>
      <h1>{t("refunds.detail.title", { number: refund.number })}</h1>
      {done && !answer ? (
        <p role="status" className="notice">
          {t(`refunds.detail.done.${done}` as "refunds.detail.done.requested")}
        </p>
      ) : null}

      <section aria-labelledby="refund-state-heading">
        <h2 id="refund-state-heading">{t("refunds.detail.stateHeading")}</h2>
        <p>
          <span className={`status-tag refund-state-${refund.state}`}>{t(`refunds.states.${refund.state}`)}</span>
        </p>
        <p>
          {t(`refunds.detail.outcome.${refund.state}`, {
            time: refund.refundedAt ? formatDateTime(refund.refundedAt, locale) : "",
            providerRefundId: refund.providerRefundId ?? t("refunds.detail.noProviderId"),
          })}
        </p>
        {refund.state === "stale" ? (
          <p>
            <Link to={`/back-office/refunds/new?order=${refund.orderId}&bill=${refund.billId}`}>{t("refunds.detail.requestAgain")}</Link>
          </p>
        ) : null}
      </section>

      <section aria-labelledby="refund-content-heading">
        <h2 id="refund-content-heading">{t("refunds.detail.contentHeading")}</h2>
        <RefundContentList content={refund} billType={billType} />
        <dl className="bill-details">
          <DetailRow label={t("refunds.detail.payment")} className="identifier">
            <Link to={`/back-office/payments/${refund.orderId}`}>{refund.orderReference}</Link>
          </DetailRow>
          <DetailRow label={t("refunds.request.tool")}>{common(`paymentTools.${refund.paymentTool}`)}</DetailRow>
          <DetailRow label={t("refunds.request.charged")}>{formatMoney(refund.charged, locale)}</DetailRow>
          <DetailRow label={t("refunds.detail.requestedAt")}>{formatDateTime(refund.createdAt, locale)}</DetailRow>
          {refund.releasedAt ? (
            <DetailRow label={t("refunds.detail.releasedAt")}>{formatDateTime(refund.releasedAt, locale)}</DetailRow>
          ) : null}
          {refund.refundCase ? (
            <DetailRow label={t("refunds.detail.case")}>
              <Link to="/back-office/duplicates">{t(`duplicates.reasons.${refund.refundCase.reason}`)}</Link>
            </DetailRow>
          ) : null}
          {refund.operator ? (
            <DetailRow label={t("refunds.detail.operator")}>{t("refunds.detail.breakGlass", { operator: refund.operator })}</DetailRow>
          ) : null}
        </dl>
      </section>

      <section aria-labelledby="refund-chain-heading">
        <h2 id="refund-chain-heading">{t("refunds.detail.chainHeading")}</h2>
        {refund.steps.length === 0 ? (
          <p>{t("refunds.detail.noChain")}</p>
        ) : (
          <div className="table-scroll" role="region" aria-labelledby="refund-chain-caption" tabIndex={0}>
            <table className="receipt-bills stacked-table refund-chain">
              <caption id="refund-chain-caption">{t("refunds.detail.chainCaption")}</caption>
              <thead>
                <tr>
                  {(["step", "role", "who", "at", "decision", "note", "signedAct"] as const).map((key) => (
                    <th scope="col" key={key}>
                      {t(`refunds.detail.stepColumns.${key}`)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {refund.steps.map((step) => (
                  <StepRow key={step.position} step={step} verified={verified} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {refund.steps.some((step) => step.taken) ? (
          <Form method="post" action={here}>
            <input type="hidden" name="intent" value="verify" />
            <button type="submit" className="button button-secondary">
              {t("refunds.detail.verify")}
            </button>
          </Form>
        ) : null}
        {verified ? (
          <p role="status">
            {Object.values(verified).every(Boolean) ? t("refunds.detail.allSignaturesValid") : t("refunds.detail.someSignaturesInvalid")}
          </p>
        ) : null}
      </section>

      {refund.next ? (
        <section aria-labelledby="refund-next-heading">
          <h2 id="refund-next-heading">{t("refunds.detail.nextHeading")}</h2>
          <p>{t("refunds.detail.next", { role: t(`roles.${refund.next.role}`) })}</p>
          <p>
            {refund.next.candidates.length > 0
              ? t("refunds.detail.candidates", { names: refund.next.candidates.join(common("listSeparator")) })
              : t("refunds.detail.noCandidates")}
          </p>
          {state?.stage === "confirm" ? (
            <StepUpConfirmation
              options={state.options}
              fields={
                <>
                  <input type="hidden" name="intent" value="step-confirm" />
                  <input type="hidden" name="decision" value={state.decision} />
                  <input type="hidden" name="note" value={state.note} />
                </>
              }
            >
              <ul>
                <li>
                  {t(
                    state.decision === "approve"
                      ? refund.next.step === "release"
                        ? "refunds.detail.signRelease"
                        : "refunds.detail.signApprove"
                      : "refunds.detail.signReject",
                  )}
                </li>
                {state.note ? <li>{t("refunds.detail.signNote", { note: state.note })}</li> : null}
              </ul>
              <RefundContentList content={state.content} billType={billType} />
            </StepUpConfirmation>
          ) : refund.viewer.may ? (
            <Form method="post" action={here} noValidate className="refund-step-form">
              <input type="hidden" name="intent" value="step-prepare" />
              <fieldset className={fieldError("step-decision-approve") ? "form-group form-group-error" : "form-group"}>
                <legend>{t("refunds.detail.decision")}</legend>
                {fieldError("step-decision-approve") ? (
                  <span className="field-error" id="step-decision-error">
                    <span className="visually-hidden">{common("form.errorPrefix")}</span> {fieldError("step-decision-approve")}
                  </span>
                ) : null}
                {(["approve", "reject"] as const).map((decision) => (
                  <div className="radio" key={decision}>
                    <input
                      type="radio"
                      id={`step-decision-${decision}`}
                      name="decision"
                      value={decision}
                      defaultChecked={typedDecision === decision}
                      aria-describedby={fieldError("step-decision-approve") ? "step-decision-error" : undefined}
                    />
                    <label htmlFor={`step-decision-${decision}`}>
                      {decision === "approve"
                        ? t(refund.next!.step === "release" ? "refunds.detail.release" : "refunds.detail.approve")
                        : t("refunds.detail.reject")}
                    </label>
                  </div>
                ))}
              </fieldset>
              <TextAreaField
                id="step-note"
                name="note"
                label={t("refunds.detail.note")}
                hint={t("refunds.detail.noteHint")}
                rows={3}
                defaultValue={ask?.values?.note}
                error={fieldError("step-note")}
              />
              <button type="submit" className="button">
                {t("refunds.detail.continue")}
              </button>
            </Form>
          ) : (
            <p className="notice">
              {t(`refunds.detail.mayNot.${refund.viewer.reason}` as "refunds.detail.mayNot.role_not_held", {
                role: t(`roles.${refund.next.role}`),
              })}
            </p>
          )}
        </section>
      ) : null}
    </>
  );
}
