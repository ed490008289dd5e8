import type { LoaderFunctionArgs } from "@remix-run/node";
import { auditCsvStream, filtersForAudit, parseAuditSearch } from "~/back-office/audit-view.server";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { taipeiDate } from "~/domain/dates";

/** The audit page's search as CSV, oldest first, with every entry's hashes (streamed). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "audit.view" });
  const search = parseAuditSearch(new URL(request.url).searchParams);
  // The page says what is wrong with the search; a file cannot.
  if (search.problems.length) throw new Response("Bad request", { status: 400 });
  await auditStaffAct(staff, { action: "audit.exported", targetType: "audit_log", details: { filters: filtersForAudit(search.filters) } });
  return new Response(auditCsvStream(getDb(), search.filters), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="audit-trail-${taipeiDate()}.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
