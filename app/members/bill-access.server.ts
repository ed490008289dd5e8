import { getMemberSession } from "./member-request.server";
import { billsVisibleToMember } from "./pending-bills.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { getVisitorSession, grantedBillIds } from "~/base/session.server";

/**
 * Whether this browser may see a bill: it found the bill (captcha look-up,
 * scan, QR link) in the last half hour, or it is a member's pending bill.
 * Anyone else gets "not found", as for a bill that does not exist.
 */
export async function mayShowBill(request: Request, billId: string | undefined, options: { members: boolean }): Promise<boolean> {
  if (!billId || !/^[0-9a-f-]{36}$/.test(billId)) return false;
  if (grantedBillIds(await getVisitorSession(request)).includes(billId)) return true;
  if (!options.members) return false;
  const session = await getMemberSession(request);
  return session !== null && (await billsVisibleToMember({ db: getDb(), env: getEnv() }, session.member, [billId])).has(billId);
}
