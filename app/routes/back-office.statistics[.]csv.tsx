import type { LoaderFunctionArgs } from "@remix-run/node";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { getLocale } from "~/base/i18n.server";
import { agenciesFor } from "~/domain/staff";
import { taipeiMonth } from "~/domain/statistics";
import { monthStatisticsCsv } from "~/statistics/statistics-csv.server";
import { chooseMonth, monthStatistics } from "~/statistics/statistics.server";

/** The statistics page's month as CSV: the same figures, within the same reach, audited as an export. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "statistics.view" });
  const reach = agenciesFor(staff.roles, "statistics.view");
  const choice = chooseMonth(new URL(request.url).searchParams, taipeiMonth());
  // The page says what is wrong with the month; a file cannot.
  if (choice.unavailable) throw new Response("Not found", { status: 404 });
  const figures = await monthStatistics(getDb(), choice.month, reach);
  await auditStaffAct(staff, {
    action: "statistics.exported",
    targetType: "statistics",
    targetId: choice.month,
    details: { agencies: reach },
  });
  const scope = reach === "all" ? "city" : reach.join("-");
  return new Response(await monthStatisticsCsv(figures, await getLocale(request)), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="statistics-${scope}-${choice.month}.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
