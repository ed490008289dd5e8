import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import {
  FiguresSection,
  MonthChooser,
  largest,
  PaymentsCutSection,
  paymentRows,
  type FigureRow,
} from "~/components/charts/figures-section";
import { FigureTable } from "~/components/charts/figure-table";
import { formatMoney } from "~/domain/format";
import { agenciesFor } from "~/domain/staff";
import { sharePercent, taipeiMonth } from "~/domain/statistics";
import { localized } from "~/i18n";
import { figureWords } from "~/lib/statistics-words";
import { agenciesInReach } from "~/money/statements.server";
import { chooseMonth, monthStatistics } from "~/statistics/statistics.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/statistics.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("statistics.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

/** A month's statistics: city-wide for the city's roles, an agency's own for its staff. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "statistics.view" });
  const reach = agenciesFor(staff.roles, "statistics.view");
  const choice = chooseMonth(new URL(request.url).searchParams, taipeiMonth());
  const [figures, agencies] = await Promise.all([monthStatistics(getDb(), choice.month, reach), agenciesInReach(getDb(), reach)]);
  await auditStaffAct(staff, {
    action: "statistics.viewed",
    targetType: "statistics",
    targetId: choice.month,
    details: { agencies: reach },
  });
  return json({ ...choice, figures, agencies, all: reach === "all" }, { headers: { "Cache-Control": "no-store" } });
}

export default function BackOfficeStatistics() {
  const { month, months, unavailable, figures, agencies, all } = useLoaderData<typeof loader>();
  const { t } = useTranslation("backOffice");
  const { t: common, i18n } = useTranslation();
  const locale = i18n.language;
  const words = figureWords(common);
  const name = words.month(month);
  const digits = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const money = (amount: number) => formatMoney(amount, locale);

  const byAgency = paymentRows(
    figures.byAgency,
    (row) => row.agency,
    (row) => localized(row, locale),
    locale,
  );
  const byBillType = paymentRows(
    figures.byBillType,
    (row) => row.billType,
    (row) => localized(row, locale),
    locale,
  );
  const byTool = paymentRows(
    figures.byTool,
    (row) => row.tool,
    (row) => words.tool(row.tool),
    locale,
  );
  const byChannel = paymentRows(
    figures.byChannel,
    (row) => row.channel ?? "none",
    (row) => words.channel(row.channel),
    locale,
  );
  const refunds: FigureRow[] = figures.refunds.byAgency.map((row) => ({
    key: row.agency,
    label: localized(row, locale),
    bar: { value: row.amount, display: money(row.amount) },
    cells: [digits.format(row.count), digits.format(row.amount)],
  }));
  const ways: FigureRow[] = figures.lookups.byWay.map((way) => ({
    key: way.way,
    label: words.way(way.way),
    bar: { value: way.count, display: digits.format(way.count) },
    cells: [],
  }));
  const late = figures.onTime.payments - figures.onTime.onTime;
  const percentOf = (part: number) => {
    const share = sharePercent(part, figures.onTime.payments);
    return share === null ? "" : `${share}%`;
  };
  const onTime: FigureRow[] = [
    { key: "on-time", label: t("statistics.onTimeOnTime"), count: figures.onTime.onTime },
    { key: "late", label: t("statistics.onTimeLate"), count: late },
  ].map((row) => ({
    key: row.key,
    label: row.label,
    bar: { value: row.count, display: `${digits.format(row.count)} (${percentOf(row.count)})` },
    cells: [digits.format(row.count), percentOf(row.count)],
  }));

  return (
    <>
      <h1>{t("statistics.title")}</h1>
      <p className="lead">{t("statistics.intro")}</p>
      <p>
        {all
          ? t("statistics.scopeAll")
          : t("statistics.scopeAgencies", { agencies: agencies.map((a) => localized(a, locale)).join(common("listSeparator")) })}
      </p>
      <p>{common("statistics.definitions")}</p>
      <MonthChooser month={month} months={months} unavailable={unavailable} />
      <p className="statistics-downloads">
        <a href={`/back-office/statistics.csv?month=${month}`} download>
          {common("statistics.download", { month: name })}
        </a>
      </p>

      <section aria-labelledby="statistics-totals-heading">
        <h2 id="statistics-totals-heading">{t("statistics.totalsHeading")}</h2>
        <FigureTable
          id="statistics-totals"
          caption={t("statistics.totalsCaption", { month: name })}
          columns={[
            { header: common("statistics.csv.section") },
            { header: common("statistics.columns.orders"), numeric: true },
            { header: common("statistics.columns.payments"), numeric: true },
            { header: common("statistics.columns.amount"), numeric: true },
            { header: common("statistics.columns.count"), numeric: true },
            { header: common("statistics.columns.percent"), numeric: true },
          ]}
          rows={[
            {
              key: "payments",
              cells: [
                common("statistics.csv.sections.total"),
                digits.format(figures.total.orders),
                digits.format(figures.total.payments),
                digits.format(figures.total.amount),
                "",
                "",
              ],
            },
            {
              key: "refunds",
              cells: [
                common("statistics.csv.sections.refunds"),
                "",
                "",
                digits.format(figures.refunds.amount),
                digits.format(figures.refunds.count),
                "",
              ],
            },
            { key: "lookups", cells: [common("statistics.csv.sections.lookups"), "", "", "", digits.format(figures.lookups.total), ""] },
            {
              key: "on-time",
              cells: [
                common("statistics.csv.sections.onTime"),
                "",
                digits.format(figures.onTime.payments),
                "",
                digits.format(figures.onTime.onTime),
                figures.onTime.percent === null ? "" : String(figures.onTime.percent),
              ],
            },
          ]}
        />
      </section>

      <PaymentsCutSection
        id="statistics-agency"
        cut="agency"
        heading={common("statistics.agencyHeading", { month: name })}
        caption={common("statistics.agencyCaption", { month: name })}
        month={name}
        rows={byAgency}
        total={{ payments: figures.total.payments, amount: figures.total.amount }}
      />
      <PaymentsCutSection
        id="statistics-bill-type"
        cut="billType"
        heading={t("statistics.billTypeHeading", { month: name })}
        caption={t("statistics.billTypeCaption", { month: name })}
        month={name}
        rows={byBillType}
      />
      <PaymentsCutSection
        id="statistics-tool"
        cut="tool"
        heading={t("statistics.toolHeading", { month: name })}
        caption={t("statistics.toolCaption", { month: name })}
        month={name}
        rows={byTool}
        total={figures.total}
      />
      <PaymentsCutSection
        id="statistics-channel"
        cut="channel"
        heading={t("statistics.channelHeading", { month: name })}
        caption={t("statistics.channelCaption", { month: name })}
        month={name}
        rows={byChannel}
        total={figures.total}
      />
      <FiguresSection
        id="statistics-refunds"
        heading={t("statistics.refundsHeading", { month: name })}
        description={t("statistics.refundsDescription", largest(refunds))}
        caption={t("statistics.refundsCaption", { month: name })}
        columns={[
          { header: common("statistics.columns.agency") },
          { header: common("statistics.columns.count"), numeric: true },
          { header: common("statistics.columns.amount"), numeric: true },
        ]}
        rows={refunds}
        footer={[common("statistics.total"), digits.format(figures.refunds.count), digits.format(figures.refunds.amount)]}
        empty={t("statistics.refundsNone")}
      />
      <LookupsSection month={name} ways={ways} figures={figures.lookups} all={all} />
      <FiguresSection
        id="statistics-on-time"
        heading={t("statistics.onTimeHeading", { month: name })}
        description={
          figures.onTime.percent === null
            ? t("statistics.onTimeNone")
            : t("statistics.onTimeText", {
                onTime: digits.format(figures.onTime.onTime),
                payments: digits.format(figures.onTime.payments),
                percent: figures.onTime.percent,
              })
        }
        caption={t("statistics.onTimeCaption", { month: name })}
        columns={[
          { header: common("statistics.columns.outcome") },
          { header: common("statistics.columns.payments"), numeric: true },
          { header: common("statistics.columns.percent"), numeric: true },
        ]}
        rows={figures.onTime.payments ? onTime : []}
        empty={t("statistics.onTimeNone")}
      />
    </>
  );
}

/** Look-ups: the chart by way, the table by way and outcome. */
function LookupsSection({
  month,
  ways,
  figures,
  all,
}: {
  month: string;
  ways: FigureRow[];
  figures: { total: number; byWay: Array<{ way: string; count: number; outcomes: Array<{ outcome: string; count: number }> }> };
  all: boolean;
}) {
  const { t } = useTranslation("backOffice");
  const { t: common, i18n } = useTranslation();
  const words = figureWords(common);
  const digits = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 0 });
  return (
    <>
      <FiguresSection
        id="statistics-lookups"
        heading={t("statistics.lookupsHeading", { month })}
        description={t("statistics.lookupsDescription", largest(ways))}
        caption={t("statistics.lookupsCaption", { month })}
        columns={[
          { header: common("statistics.columns.way") },
          { header: common("statistics.columns.outcome") },
          { header: common("statistics.columns.count"), numeric: true },
        ]}
        bars={ways.map((way) => ({ label: way.label, ...way.bar }))}
        rows={
          figures.total === 0
            ? []
            : figures.byWay.flatMap((way) =>
                way.outcomes.map((outcome) => ({
                  key: `${way.way}-${outcome.outcome}`,
                  label: words.way(way.way),
                  bar: { value: outcome.count, display: digits.format(outcome.count) },
                  cells: [words.outcome(outcome.outcome), digits.format(outcome.count)],
                })),
              )
        }
        footer={[common("statistics.total"), "", digits.format(figures.total)]}
        empty={t("statistics.lookupsNone")}
      />
      {all ? null : <p>{t("statistics.lookupsScope")}</p>}
    </>
  );
}
