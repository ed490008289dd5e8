import { requireMember } from "./member-request.server";
import { openBindings } from "./bindings.server";
import type { Member, MemberSession } from "./sessions.server";
import { catalogueForChooser } from "~/bills/catalogue.server";
import { getDb, type Database } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { parseHistoryFilters, type HistoryOwner } from "~/payments/records.server";

/**
 * Whose records a member's history holds: their own payments, bills issued
 * to their identity once it is verified, and their bound numbers' bills.
 */
export async function historyOwner(db: Database, env: Parameters<typeof openBindings>[1], member: Member): Promise<HistoryOwner> {
  const bindings = await openBindings(db, env, member.id);
  const kinds = [...new Set(bindings.map((binding) => binding.kind))];
  return {
    memberId: member.id,
    nationalIdHash: member.identityVerified ? member.nationalIdHash : null,
    subjects: kinds.map((kind) => ({ kind, values: bindings.filter((binding) => binding.kind === kind).map((binding) => binding.value) })),
  };
}

/** The logged-in member, whose history it is, and the history filters of this request (the history page and its downloads share them). */
export async function historyRequest(
  request: Request,
): Promise<{ session: MemberSession; owner: HistoryOwner } & ReturnType<typeof parseHistoryFilters>> {
  const session = await requireMember(request);
  const db = getDb();
  const billTypeCodes = (await catalogueForChooser(db)).flatMap((agency) => agency.billTypes.map((billType) => billType.code));
  const owner = await historyOwner(db, getEnv(), session.member);
  return { session, owner, ...parseHistoryFilters(new URL(request.url).searchParams, billTypeCodes) };
}
