import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { PendingBillList } from "~/components/pending-bills";
import { formatMoney } from "~/domain/format";
import { MAX_BILLS_PER_ORDER } from "~/domain/payment-order";
import { requireMember } from "~/members/member-request.server";
import { memberPendingBills } from "~/members/pending-bills.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.dashboard.title") };
export const headers = routeHeaders;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireMember(request);
  const pending = await memberPendingBills({ db: getDb(), env: getEnv(), logger: context.logger }, session.member);
  return json(
    {
      name: session.member.displayName,
      verified: session.member.identityVerified,
      hasBindings: pending.groups.some((group) => group.binding !== null),
      idleMinutes: getEnv().MEMBER_IDLE_MINUTES,
      ...pending,
    },
    { headers: { "Cache-Control": "private, no-store" } },
  );
}

export default function Dashboard() {
  const data = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const money = (amount: number) => formatMoney(amount, locale);
  const sourceNames = data.unavailable.map((source) => t(`member.sources.${source}`)).join(t("listSeparator"));

  return (
    <>
      <h1>{t("member.dashboard.title")}</h1>
      <p className="lead">{t("member.dashboard.greeting", { name: data.name })}</p>
      <p>{data.verified ? t("member.dashboard.verified") : t("member.dashboard.notVerified")}</p>

      {data.unavailable.length > 0 ? (
        <div className="notice notice-warning" role="status">
          <h2>{t("member.dashboard.unavailableHeading", { sources: sourceNames })}</h2>
          <p>{t("member.dashboard.unavailableText", { count: data.unavailable.length })}</p>
          <p>
            <a href="/account">{t("member.dashboard.tryAgain")}</a>
          </p>
        </div>
      ) : null}

      <ul className="summary-figures" aria-label={t("member.dashboard.summaryLabel")}>
        <li>
          {t("member.dashboard.countLabel")} <strong>{t("member.dashboard.countValue", { count: data.count })}</strong>
        </li>
        <li>
          {t("member.dashboard.totalLabel")} <strong>{money(data.total)}</strong>
        </li>
        {data.overdueCount > 0 ? (
          <li className="overdue-note">
            {t("member.dashboard.overdueLabel")} <strong>{t("member.dashboard.countValue", { count: data.overdueCount })}</strong>
          </li>
        ) : null}
      </ul>

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

      <form method="get" action="/pay">
        {data.count > 0 ? <p className="hint">{t("member.dashboard.selectHint", { max: MAX_BILLS_PER_ORDER })}</p> : null}
        {data.groups.map((group) => {
          const groupId = group.binding ? `group-${group.binding.id}` : "group-identity";
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
                {group.bills.length > 0 ? (
                  <span className="pending-group-total">
                    {t("member.dashboard.groupTotal", { count: group.bills.length, total: money(group.total) })}
                  </span>
                ) : null}
              </h2>
              {group.bills.length > 0 ? (
                <PendingBillList bills={group.bills} groupId={groupId} />
              ) : (
                <p>{group.binding ? t("member.dashboard.noBillsForBinding") : t("member.dashboard.noBillsForIdentity")}</p>
              )}
            </section>
          );
        })}
        {data.count > 0 ? (
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
          <Link to="/account/payments">{t("history.title")}</Link>
        </li>
        <li>
          <Link to="/lookup">{t("member.dashboard.lookUpOther")}</Link>
        </li>
      </ul>
      <p className="hint">{t("member.idleNote", { count: data.idleMinutes })}</p>
    </>
  );
}
