import { randomBytes } from "node:crypto";
import { createCookieSessionStorage, type Session } from "@remix-run/node";
import { getEnv } from "./env.server";

/**
 * The visitor's session: a signed, httpOnly cookie holding a random visitor id
 * (captchas are bound to it) and the bills this browser may show (granted by a
 * look-up with a solved captcha, or by an agency's signed QR link). Nothing is
 * written to the database for anonymous visitors.
 */

interface VisitorData {
  sid: string;
  /** [bill id, expiry in epoch seconds], newest first. */
  grants: Array<[string, number]>;
}

export type VisitorSession = Session<VisitorData>;

const GRANT_SECONDS = 30 * 60;
const MAX_GRANTS = 20;

let storage: ReturnType<typeof createCookieSessionStorage<VisitorData>> | undefined;

function sessionStorage() {
  if (!storage) {
    const env = getEnv();
    storage = createCookieSessionStorage<VisitorData>({
      cookie: {
        // Not "_session": the development identity provider uses that name on the same host.
        name: "portal_session",
        httpOnly: true,
        sameSite: "lax",
        secure: env.publicUrlIsHttps,
        path: "/",
        secrets: [env.SESSION_SECRET],
      },
    });
  }
  return storage;
}

export function getVisitorSession(request: Request): Promise<VisitorSession> {
  return sessionStorage().getSession(request.headers.get("Cookie"));
}

export function commitVisitorSession(session: VisitorSession): Promise<string> {
  return sessionStorage().commitSession(session);
}

/** The visitor's random id, created on first use. */
export function visitorId(session: VisitorSession): string {
  let sid = session.get("sid");
  if (!sid) {
    sid = randomBytes(16).toString("base64url");
    session.set("sid", sid);
  }
  return sid;
}

const nowSeconds = (now: Date) => Math.floor(now.getTime() / 1000);

/** Lets this browser show the bill for a while. */
export function grantBill(session: VisitorSession, billId: string, now = new Date()): void {
  const current = grantedBills(session, now).filter(([id]) => id !== billId);
  session.set("grants", [[billId, nowSeconds(now) + GRANT_SECONDS] as [string, number], ...current].slice(0, MAX_GRANTS));
}

function grantedBills(session: VisitorSession, now: Date): Array<[string, number]> {
  return (session.get("grants") ?? []).filter(([, expires]) => expires > nowSeconds(now));
}

/** Bills this browser may show, newest first. */
export function grantedBillIds(session: VisitorSession, now = new Date()): string[] {
  return grantedBills(session, now).map(([id]) => id);
}
