import type { Database } from "~/base/db.server";
import { getVisitorSession, grantedOrderReferences } from "~/base/session.server";
import { claimOrders } from "~/payments/records.server";
import { recordMemberEvent } from "./sessions.server";

/**
 * At login, the payments this browser made before (those its signed session
 * lets it follow, for a day) join the member's history. What another browser
 * or another member paid is never taken: the references come only from this
 * browser's cookie, and an order that already has a member keeps it.
 */
export async function claimBrowserPayments(db: Database, memberId: string, request: Request, requestId: string | null): Promise<string[]> {
  const claimed = await claimOrders(db, memberId, grantedOrderReferences(await getVisitorSession(request)));
  if (claimed.length > 0)
    await recordMemberEvent(db, { memberId, action: "member.payments_claimed", requestId, details: { orders: claimed } });
  return claimed;
}
