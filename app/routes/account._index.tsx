import { defer, type LoaderFunctionArgs } from "@remix-run/node";
import { Await, Link, useLoaderData } from "@remix-run/react";
import { Suspense } from "react";
import { useTranslation } from "react-i18next";
import { ErrorSummary, type FieldError } from "~/components/forms";
import { PendingBillList, SourceStatusText, type SourcePartView } from "~/components/pending-bills";
import { formatMoney } from "~/domain/format";
import { BILL_SOURCES, BINDING_SOURCE_IDS, type BindingKind, type BindingSourceId } from "~/domain/member";
import { MAX_BILLS_PER_ORDER } from "~/domain/payment-order";
import { requireMember } from "~/members/member-request.server";
import { dashboardSummary, memberDashboard } from "~/members/pending-bills.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";
import noScriptStyles from "~/styles/no-script-stream.css";

export const handle: RouteHandle = { pageTitle: (t) => t("member.dashboard.title") };
export const headers = routeHeaders;

/** A reload (the browser's, or "check again") asks every source afresh instead of showing a cached answer. */
function isRefresh(request: Request, url: URL): boolean {
  const cacheControl = `${request.headers.get("cache-control") ?? ""} ${request.headers.get("pragma") ?? ""}`.toLowerCase();
  return url.searchParams.has("refresh") || /no-cache|max-age=0/.test(cacheControl);
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireMember(request);
  const url = new URL(request.url);
  const dashboard = await memberDashboard({ db: getDb(), env: getEnv(), logger: context.logger }, session.member, {
    fresh: isRefresh(request, url),
  });
  const parts = Object.values(dashboard.sources);
  // The portal's own bills go out at once; each source's part streams in when it answers.
  return defer(
    {
      name: session.member.displayName,
      verified: session.member.identityVerified,
      hasBindings: dashboard.groups.some((group) => group.binding !== null),
      idleMinutes: getEnv().MEMBER_IDLE_MINUTES,
      // Back from paying with nothing ticked (see /pay).
      noneSelected: url.searchParams.get("none") === "1",
      groups: dashboard.groups,
      water: dashboard.sources.water ?? null,
      power: dashboard.sources.power ?? null,
      parking: dashboard.sources.parking ?? null,
      summary: Promise.all(parts).then((answered) => dashboardSummary(dashboard.groups, answered)),
    },
    { headers: { "Cache-Control": "private, no-store" } },
  );
}

const sourceOfKind = (kind: BindingKind): BindingSourceId | undefined =>
  BINDING_SOURCE_IDS.find((source) => BILL_SOURCES[source].bindingKind === kind);

export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const money = (amount: number) => formatMoney(amount, locale);
  const parts: Record<BindingSourceId, Promise<SourcePartView> | null> = { water: data.water, power: data.power, parking: data.parking };
  const errors: FieldError[] = data.noneSelected ? [{ fieldId: "bills-to-pay", message: t("member.dashboard.noneSelected") }] : [];
  const checked = data.noneSelected ? "unticked" : "ticked";
  const sourceName = (source: BindingSourceId) => t(`member.sources.${source}`);
  const asked = BINDING_SOURCE_IDS.flatMap((source) => {
    const part = parts[source];
    return part ? [{ source, part }] : [];
  });

  return (
    <>
      {/* Without JavaScript a streamed part cannot be moved into place: this shows it where it arrives. */}
      <noscript>
        <link rel="stylesheet" href={noScriptStyles} />
      </noscript>
      <ErrorSummary errors={errors} />
      <h1>{t("member.dashboard.title")}</h1>
      <p className="lead">{t("member.dashboard.greeting", { name: data.name })}</p>
      <p>{data.verified ? t("member.dashboard.verified") : t("member.dashboard.notVerified")}</p>

      {asked.length > 0 ? (
        <div className="source-statuses">
          {/* Polite: each source's answer is announced as it comes, without interrupting. */}
          <div role="status" aria-label={t("member.dashboard.sourcesLabel")}>
            <ul>
              {asked.map(({ source, part }) => (
                <li key={source}>
                  <Suspense fallback={t("member.dashboard.asking", { source: sourceName(source) })}>
                    <Await resolve={part}>{(answered) => <SourceStatusText part={answered} />}</Await>
                  </Suspense>
                </li>
              ))}
            </ul>
          </div>
          <p>
            <a href="/account?refresh=1">{t("member.dashboard.tryAgain")}</a>
          </p>
        </div>
      ) : null}

      <Suspense fallback={<p className="summary-figures">{t("member.dashboard.summaryPending")}</p>}>
        <Await resolve={data.summary}>
          {(summary) => (
            <>
              {summary.unavailable.length > 0 ? (
                <div className="notice notice-warning">
                  <h2>
                    {t("member.dashboard.unavailableHeading", {
                      sources: summary.unavailable.map(sourceName).join(t("listSeparator")),
                    })}
                  </h2>
                  <p>{t("member.dashboard.unavailableText", { count: summary.unavailable.length })}</p>
                </div>
              ) : null}
              <ul className="summary-figures" aria-label={t("member.dashboard.summaryLabel")}>
                <li>
                  {t("member.dashboard.countLabel")} <strong>{t("member.dashboard.countValue", { count: summary.count })}</strong>
                </li>
                <li>
                  {t("member.dashboard.totalLabel")} <strong>{money(summary.total)}</strong>
                </li>
                {summary.overdueCount > 0 ? (
                  <li className="overdue-note">
                    {t("member.dashboard.overdueLabel")}{" "}
                    <strong>{t("member.dashboard.countValue", { count: summary.overdueCount })}</strong>
                  </li>
                ) : null}
              </ul>
            </>
          )}
        </Await>
      </Suspense>

      {!data.hasBindings ? (
        <div className="notice">
          <h2>{t("member.dashboard.noBindingsHeading")}</h2>
          <p>{t("member.dashboard.noBindingsText")}</p>
          <p>
            <Link to="/account/bindings" className="button">
              {t("member.dashboard.addBinding")}
            </Link>
          </p>
        </div>
      ) : null}

      <form method="get" action="/pay" id="pay-form">
        <input type="hidden" name="from" value="account" />
        {data.groups.length > 0 ? <p className="hint">{t("member.dashboard.selectHint", { max: MAX_BILLS_PER_ORDER })}</p> : null}
        {/* The error summary links here; tabIndex lets the link move focus to it. */}
        <fieldset id="bills-to-pay" className="bill-choice" tabIndex={-1}>
          <legend className="visually-hidden">{t("member.dashboard.billsLegend")}</legend>
          {data.groups.map((group) => {
            const groupId = group.binding ? `group-${group.binding.id}` : "group-identity";
            const source = group.binding ? sourceOfKind(group.binding.kind) : undefined;
            const part = source ? parts[source] : null;
            const bindingId = group.binding?.id;
            const none = group.binding ? t("member.dashboard.noBillsForBinding") : t("member.dashboard.noBillsForIdentity");
            return (
              <section key={groupId} className="pending-group" aria-labelledby={`${groupId}-heading`}>
                <h2 id={`${groupId}-heading`}>
                  {group.binding ? (
                    <span>
                      {t(`member.kinds.${group.binding.kind}`)} <span className="identifier">{group.binding.valueMasked}</span>
                      {group.binding.label ? `（${group.binding.label}）` : null}
                    </span>
                  ) : (
                    <span>{t("member.dashboard.identityGroup")}</span>
                  )}
                </h2>
                {group.bills.length > 0 ? <PendingBillList bills={group.bills} groupId={groupId} checked={checked} /> : null}
                {source && part && bindingId ? (
                  <Suspense
                    fallback={
                      <p className="hint source-pending">
                        {t("member.dashboard.askingFor", { source: sourceName(source) })}
                        <noscript>
                          {" "}
                          <a href={`#source-${source}-${bindingId}`}>{t("member.dashboard.noScriptPart")}</a>
                        </noscript>
                      </p>
                    }
                  >
                    <Await resolve={part}>
                      {(answered) => {
                        const bills = answered.groups.find((candidate) => candidate.bindingId === bindingId)?.bills ?? [];
                        return (
                          <div id={`source-${source}-${bindingId}`} className="source-part">
                            <p className="hint source-note">
                              <SourceStatusText part={answered} />
                            </p>
                            {bills.length > 0 ? (
                              <PendingBillList bills={bills} groupId={groupId} checked={checked} />
                            ) : group.bills.length === 0 ? (
                              <p>{none}</p>
                            ) : null}
                          </div>
                        );
                      }}
                    </Await>
                  </Suspense>
                ) : group.bills.length === 0 ? (
                  <p>{none}</p>
                ) : null}
              </section>
            );
          })}
        </fieldset>
        {data.groups.length > 0 ? (
          <p>
            <button type="submit" className="button">
              {t("member.dashboard.paySelected")}
            </button>
          </p>
        ) : null}
      </form>

      <h2>{t("member.dashboard.moreHeading")}</h2>
      <ul>
        <li>
          <Link to="/account/bindings">{t("member.dashboard.manageBindings")}</Link>
        </li>
        <li>
          <Link to="/account/applications">{t("member.applications.navLink")}</Link>
        </li>
        <li>
          <Link to="/account/payments">{t("history.title")}</Link>
        </li>
        <li>
          <Link to="/account/email">{t("member.emailSettings.navLink")}</Link>
        </li>
        <li>
          <Link to="/lookup">{t("member.dashboard.lookUpOther")}</Link>
        </li>
      </ul>
      <p className="hint">{t("member.idleNote", { count: data.idleMinutes })}</p>
    </>
  );
}
