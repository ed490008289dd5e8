import { requireMember } from "./member-request.server";
import type { MemberSession } from "./sessions.server";
import { catalogueForChooser } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";
import { parseHistoryFilters } from "~/payments/records.server";

/** The logged-in member and the history filters of this request (the history page and its downloads share them). */
export async function historyRequest(request: Request): Promise<{ session: MemberSession } & ReturnType<typeof parseHistoryFilters>> {
  const session = await requireMember(request);
  const billTypeCodes = (await catalogueForChooser(getDb())).flatMap((agency) => agency.billTypes.map((billType) => billType.code));
  return { session, ...parseHistoryFilters(new URL(request.url).searchParams, billTypeCodes) };
}
