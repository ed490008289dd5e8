import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { HistoryTable } from "~/components/history-table";
import { formatDate, formatDateTime, formatMoney } from "~/domain/format";
import { historyRequest } from "~/members/history-request.server";
import { historyQuery, memberHistoryBatches, type HistoryRecord } from "~/payments/records.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("history.printTitle") };
export const headers = routeHeaders;

/** Rows on one printable list at most; the CSV has them all. */
const PRINT_LIMIT = 1000;

/** The filtered history on one page, for printing (print styles drop the site's header, footer and buttons). */
export async function loader({ request }: LoaderFunctionArgs) {
  const { session, owner, filters } = await historyRequest(request);
  const records: HistoryRecord[] = [];
  let more = false;
  for await (const batch of memberHistoryBatches(getDb(), owner, filters, 250)) {
    records.push(...batch);
    if (records.length >= PRINT_LIMIT) {
      more = records.length > PRINT_LIMIT || batch.length === 250;
      break;
    }
  }
  return json(
    {
      name: session.member.displayName,
      filters,
      query: historyQuery(filters),
      records: records.slice(0, PRINT_LIMIT),
      more,
      printedAt: new Date().toISOString(),
      paid: records
        .slice(0, PRINT_LIMIT)
        .filter((record) => record.status === "paid")
        .reduce((sum, record) => sum + record.amount, 0),
    },
    { headers: { "Cache-Control": "private, no-store" } },
  );
}

export default function PrintableHistory() {
  const { name, filters, query, records, more, printedAt, paid } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const range =
    filters.from || filters.to
      ? t("history.printRange", {
          from: filters.from ? formatDate(filters.from, locale) : "—",
          to: filters.to ? formatDate(filters.to, locale) : "—",
        })
      : t("history.printAllDates");
  return (
    <article className="printable-history">
      <h1>{t("history.printTitle")}</h1>
      <p>{t("history.printFor", { name, printedAt: formatDateTime(printedAt, locale) })}</p>
      <p>{range}</p>
      {more ? <p className="notice">{t("history.printLimited", { count: records.length })}</p> : null}
      <HistoryTable
        records={records}
        caption={t("history.summary", { count: records.length, paid: formatMoney(paid, locale) })}
        interactive={false}
      />
      <p className="hint no-print">{t("receipt.printHint")}</p>
      <p className="no-print">
        <Link to={`/account/payments${query ? `?${query}` : ""}`}>{t("history.backToHistory")}</Link>
      </p>
    </article>
  );
}
