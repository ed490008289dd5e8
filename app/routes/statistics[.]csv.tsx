import type { LoaderFunctionArgs } from "@remix-run/node";
import { addMonths, taipeiMonth } from "~/domain/statistics";
import { getDb } from "~/base/db.server";
import { getLocale } from "~/base/i18n.server";
import { citySummaryCsv } from "~/statistics/statistics-csv.server";
import { chooseMonth, publishedSummary } from "~/statistics/statistics.server";

/** The public page's figures as CSV, in the reader's language. */
export async function loader({ request }: LoaderFunctionArgs) {
  const choice = chooseMonth(new URL(request.url).searchParams, addMonths(taipeiMonth(), -1));
  // The page says what is wrong with the month; a file cannot.
  if (choice.unavailable) throw new Response("Not found", { status: 404 });
  const summary = await publishedSummary(getDb(), choice.month);
  return new Response(await citySummaryCsv(summary, await getLocale(request)), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="payment-statistics-${choice.month}.csv"`,
      "Cache-Control": "public, max-age=600",
    },
  });
}
