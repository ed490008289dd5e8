import { randomBytes } from "node:crypto";
import { createCookieSessionStorage, type Session } from "@remix-run/node";
import { entryChannelOrNull, type EntryChannel } from "~/domain/payment-order";
import { getEnv } from "./env.server";

/**
 * The visitor's session: a signed, httpOnly cookie holding a random visitor id
 * (captchas are bound to it) and the bills this browser may show (granted by a
 * look-up with a solved captcha, or by an agency's signed QR link). Nothing is
 * written to the database for anonymous visitors.
 */

/** [id, expiry in epoch seconds], and for a bill how this browser came to it. */
type Grants = Array<[string, number] | [string, number, EntryChannel]>;

interface VisitorData {
  sid: string;
  /** Bills this browser may show: [bill id, expiry in epoch seconds], newest first. */
  grants: Grants;
  /** Payment orders started in this browser: [order reference, expiry], newest first. */
  orders: Grants;
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
  return visitorSessionOf(request.headers.get("Cookie"));
}

/** The session a request's Cookie header holds (a new one when it holds none). */
export function visitorSessionOf(cookieHeader: string | null): Promise<VisitorSession> {
  return sessionStorage().getSession(cookieHeader);
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

function granted(session: VisitorSession, key: "grants" | "orders", now: Date): Grants {
  return (session.get(key) ?? []).filter(([, expires]) => expires > nowSeconds(now));
}

function grant(session: VisitorSession, key: "grants" | "orders", entry: Grants[number], now: Date): void {
  const others = granted(session, key, now).filter(([existing]) => existing !== entry[0]);
  session.set(key, [entry, ...others].slice(0, MAX_GRANTS));
}

/** Lets this browser show the bill for a while; `channel` says how it found it (kept for the payment order). */
export function grantBill(session: VisitorSession, billId: string, channel: Exclude<EntryChannel, "member">, now = new Date()): void {
  grant(session, "grants", [billId, nowSeconds(now) + GRANT_SECONDS, channel], now);
}

/**
 * How this browser found these bills: the channel of the one it found last
 * (grants are kept newest first). Null when none of them was found here, or
 * the grant predates the channel being kept.
 */
export function grantedEntryChannel(session: VisitorSession, billIds: readonly string[], now = new Date()): EntryChannel | null {
  const wanted = new Set(billIds);
  const latest = granted(session, "grants", now).find(([id]) => wanted.has(id));
  return entryChannelOrNull(latest?.[2]);
}

/** Bills this browser may show, newest first. */
export function grantedBillIds(session: VisitorSession, now = new Date()): string[] {
  return granted(session, "grants", now).map(([id]) => id);
}

const ORDER_SECONDS = 24 * 60 * 60;

/** Lets this browser follow a payment it started, and see its receipt, for a day. */
export function grantOrder(session: VisitorSession, reference: string, now = new Date()): void {
  grant(session, "orders", [reference, nowSeconds(now) + ORDER_SECONDS], now);
}

export function grantedOrderReferences(session: VisitorSession, now = new Date()): string[] {
  return granted(session, "orders", now).map(([reference]) => reference);
}
