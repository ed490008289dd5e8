import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import type { EntryChannel } from "~/domain/payment-order";
import { getVisitorSession, grantedBillIds, grantedEntryChannel } from "~/base/session.server";
import { getMemberSession } from "./member-request.server";
import { billsVisibleToMember } from "./pending-bills.server";

/**
 * Which bills this browser may act on (see, print a slip for, pay): those it
 * found (captcha look-up, scan, QR link) in the last half hour, and, where
 * members count, a logged-in member's pending bills. Anyone else gets "not
 * found", as for a bill that does not exist. The one rule for every route.
 */
export async function billsThisBrowserMayActOn(
  request: Request,
  billIds: readonly string[],
  options: { members: boolean },
): Promise<Set<string>> {
  const wanted = billIds.filter((id) => /^[0-9a-f-]{36}$/.test(id));
  const granted = new Set(grantedBillIds(await getVisitorSession(request)));
  const allowed = new Set(wanted.filter((id) => granted.has(id)));
  const others = wanted.filter((id) => !granted.has(id));
  if (!options.members || others.length === 0) return allowed;
  const session = await getMemberSession(request);
  if (!session) return allowed;
  for (const id of await billsVisibleToMember({ db: getDb(), env: getEnv() }, session.member, others)) allowed.add(id);
  return allowed;
}

export async function mayShowBill(request: Request, billId: string | undefined, options: { members: boolean }): Promise<boolean> {
  return billId !== undefined && (await billsThisBrowserMayActOn(request, [billId], options)).has(billId);
}

/**
 * How the payer came to pay these bills, for the order: the member
 * dashboard's form says so (`from=account`), as do an application's fees
 * (`from=case`), otherwise the way this browser found them (look-up,
 * paper-bill link, scan, a case followed by its number).
 */
export async function entryChannelOfCheckout(request: Request, billIds: readonly string[], from: unknown): Promise<EntryChannel | null> {
  if (from === "account") return "member";
  if (from === "case") return "case";
  return grantedEntryChannel(await getVisitorSession(request), billIds);
}
