import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FEEDBACK_STATUSES, FEEDBACK_TOPICS, inboxReach } from "~/domain/feedback";
import { formatDateTime } from "~/domain/format";
import { agencyName } from "~/back-office/area.server";
import { listInbox, parseInboxFilters } from "~/back-office/inbox.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { getLocale } from "~/base/i18n.server";
import { SelectField } from "~/components/forms";
import { Pager } from "~/components/back-office/pager";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import inboxStyles from "~/styles/back-office-inbox.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("inbox.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "inbox.view" });
  const filters = parseInboxFilters(new URL(request.url).searchParams);
  const list = await listInbox(getDb(), staff, filters);
  const reach = inboxReach(staff.roles, "inbox.view");
  const locale = await getLocale(request);
  const agencies = reach.agencies === "all" ? [] : await Promise.all(reach.agencies.map((code) => agencyName(getDb(), code, locale)));
  return json(
    { ...list, filters, reach: { everything: reach.agencies === "all", agencies, unrouted: reach.unrouted } },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export default function Inbox() {
  const { items, total, page, pageCount, filters, reach } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const locale = i18n.language;
  return (
    <>
      <h1>{t("inbox.title")}</h1>
      <p>
        {reach.everything
          ? t("inbox.scopeEverything")
          : [
              reach.agencies.length > 0 ? t("inbox.scopeAgencies", { agencies: reach.agencies.join(common("listSeparator")) }) : null,
              reach.unrouted ? t("inbox.scopeUnrouted") : null,
            ]
              .filter(Boolean)
              .join(" ")}
      </p>
      <Form method="get" className="back-office-filters" aria-labelledby="inbox-filters-heading">
        <h2 id="inbox-filters-heading">{t("inbox.filtersHeading")}</h2>
        <SelectField
          id="inbox-filter-status"
          name="status"
          label={t("inbox.status")}
          placeholder={t("inbox.any")}
          defaultValue={filters.status ?? ""}
          options={FEEDBACK_STATUSES.map((status) => ({ value: status, label: t(`inbox.statuses.${status}`) }))}
        />
        <SelectField
          id="inbox-filter-topic"
          name="topic"
          label={t("inbox.topic")}
          placeholder={t("inbox.any")}
          defaultValue={filters.topic ?? ""}
          options={FEEDBACK_TOPICS.map((topic) => ({ value: topic, label: common(`pages.contact.topics.${topic}`) }))}
        />
        <button type="submit" className="button">
          {t("inbox.filter")}
        </button>
      </Form>
      <p role="status">{t("inbox.count", { count: total })}</p>
      {items.length === 0 ? (
        <p>{t("inbox.empty")}</p>
      ) : (
        <table className="receipt-bills stacked-table back-office-list">
          <caption>{t("inbox.tableCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("inbox.receivedAt")}</th>
              <th scope="col">{t("inbox.reference")}</th>
              <th scope="col">{t("inbox.topic")}</th>
              <th scope="col">{t("inbox.agency")}</th>
              <th scope="col">{t("inbox.status")}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id}>
                <td>
                  <span className="cell-label">{t("inbox.receivedAt")}</span>
                  <span className="cell-value">{formatDateTime(item.createdAt, locale)}</span>
                </td>
                <td className="identifier">
                  <span className="cell-label">{t("inbox.reference")}</span>
                  <span className="cell-value">
                    <Link to={`/back-office/inbox/${item.id}`}>{item.reference}</Link>
                  </span>
                </td>
                <td>
                  <span className="cell-label">{t("inbox.topic")}</span>
                  <span className="cell-value">{common(`pages.contact.topics.${item.topic}`)}</span>
                </td>
                <td>
                  <span className="cell-label">{t("inbox.agency")}</span>
                  <span className="cell-value">
                    {item.agencyNameZh && item.agencyNameEn
                      ? localized({ nameZh: item.agencyNameZh, nameEn: item.agencyNameEn }, locale)
                      : t("inbox.portalTeam")}
                  </span>
                </td>
                <td>
                  <span className="cell-label">{t("inbox.status")}</span>
                  <span className="cell-value">{t(`inbox.statuses.${item.status}`)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager
        page={page}
        pageCount={pageCount}
        filters={{ status: filters.status, topic: filters.topic }}
        labels={{ previous: t("inbox.previous"), next: t("inbox.next"), pageOf: t("inbox.pageOf", { page, pages: pageCount }) }}
      />
    </>
  );
}
