import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import {
  FiguresSection,
  MonthChooser,
  PaymentsCutSection,
  largest,
  paymentColumns,
  paymentFooter,
  paymentRows,
} from "~/components/charts/figures-section";
import { addMonths, taipeiMonth, totalFigures } from "~/domain/statistics";
import { localized } from "~/i18n";
import { figureWords } from "~/lib/statistics-words";
import { getDb } from "~/base/db.server";
import { chooseMonth, publishedSummary } from "~/statistics/statistics.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/statistics.css";

export const handle: RouteHandle = { pageTitle: (t) => t("statistics.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

/** 繳費統計: the city's monthly figures, complete months only (a month under way is not published). */
export async function loader({ request }: LoaderFunctionArgs) {
  const choice = chooseMonth(new URL(request.url).searchParams, addMonths(taipeiMonth(), -1));
  return json({ ...choice, summary: await publishedSummary(getDb(), choice.month) });
}

export default function Statistics() {
  const { month, months, unavailable, summary } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const words = figureWords(t);
  const name = words.month(month);
  const year = paymentRows(
    summary.months,
    (row) => row.month,
    (row) => words.month(row.month),
    locale,
  );
  const agencies = paymentRows(
    summary.byAgency,
    (row) => row.agency,
    (row) => localized(row, locale),
    locale,
  );
  const categories = paymentRows(
    summary.byCategory,
    (row) => row.category,
    (row) => words.category(row.category),
    locale,
  );
  const range = { from: words.month(summary.months[0]!.month), to: name };
  return (
    <>
      <h1>{t("statistics.title")}</h1>
      <p className="lead">{t("statistics.intro")}</p>
      <p>{t("statistics.definitions")}</p>
      <MonthChooser month={month} months={months} unavailable={unavailable} />
      <p className="statistics-downloads">
        <a href={`/statistics.csv?month=${month}`} download>
          {t("statistics.download", { month: name })}
        </a>
      </p>
      <FiguresSection
        id="statistics-year"
        heading={t("statistics.yearHeading")}
        description={
          totalFigures(summary.months).payments === 0
            ? t("statistics.yearEmpty")
            : t("statistics.yearDescription", { ...range, ...largest(year) })
        }
        caption={t("statistics.yearCaption", range)}
        columns={paymentColumns(t, t("statistics.columns.month"))}
        rows={year}
        footer={paymentFooter(t, totalFigures(summary.months), locale)}
        empty={t("statistics.chartEmpty")}
      />
      <PaymentsCutSection
        id="statistics-agency"
        cut="agency"
        heading={t("statistics.agencyHeading", { month: name })}
        caption={t("statistics.agencyCaption", { month: name })}
        month={name}
        rows={agencies}
        total={totalFigures(summary.byAgency)}
      />
      <PaymentsCutSection
        id="statistics-category"
        cut="category"
        heading={t("statistics.categoryHeading", { month: name })}
        caption={t("statistics.categoryCaption", { month: name })}
        month={name}
        rows={categories}
        total={totalFigures(summary.byCategory)}
      />
    </>
  );
}
