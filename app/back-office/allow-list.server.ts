import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { inArray } from "drizzle-orm";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { networkMatcher } from "~/base/networks.server";

/**
 * The back office answers only the networks registered for it (the seeds'
 * "registered public IP addresses"): BACK_OFFICE_NETWORKS for everyone, and
 * an agency's own networks for its staff where it registered some. The client
 * address is Express's `req.ip`, which believes exactly TRUST_PROXY proxies.
 * Refusals are a plain 403, logged and counted; residents' pages never pass here.
 */

let refusals = 0;

/** Refusals since this process started (shown to the city administrator; metrics later). */
export const allowListRefusals = () => refusals;

const BACK_OFFICE_PREFIX = "/back-office";

const decodeSegment = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * Whether Remix would route this request target to a back-office page. Read as
 * Remix reads it (the URL parser drops dot segments, the router decodes each
 * segment and ignores case), not as Express's mount path does: else
 * `/back%2Doffice/login` or `/x/../back-office` would reach the back office
 * without passing the allow-list. Decoding errs on the side of "yes".
 */
export function isBackOfficePath(target: string): boolean {
  let pathname = target.split("?")[0] ?? "";
  try {
    pathname = new URL(`http://portal.invalid${target}`).pathname;
  } catch {
    // Unparsable: checked as given.
  }
  const decoded = pathname.split("/").map(decodeSegment).join("/").toLowerCase();
  return decoded === BACK_OFFICE_PREFIX || decoded.startsWith(`${BACK_OFFICE_PREFIX}/`);
}

const REFUSAL_TEXT = "此網路位址不得使用後台。\nThe back office cannot be used from this network address.\n";

export function refusedByAllowList(logger: Logger, address: string, reason: "network" | "agency_network", agencyCode?: string): Response {
  refusals += 1;
  logger.warn({ address, reason, agencyCode, refusals }, "back office refused: address outside the allow-list");
  return new Response(REFUSAL_TEXT, { status: 403, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}

/** Express middleware for every request: it lets through residents' pages and back-office pages asked for from its networks. */
export function backOfficeAllowList(env: Pick<Env, "backOfficeNetworks">, logger: Logger): RequestHandler {
  const allowed = networkMatcher(env.backOfficeNetworks);
  return (req, res, next) => {
    if (!isBackOfficePath(req.originalUrl)) return next();
    const address = req.ip ?? req.socket.remoteAddress ?? "";
    if (allowed(address)) return next();
    const refusal = refusedByAllowList(logger, address, "network");
    res.status(refusal.status).set(Object.fromEntries(refusal.headers)).send(REFUSAL_TEXT);
  };
}

/** An agency that registered networks of its own: its staff may use only those. */
export function agencyNetworkAllows(env: Pick<Env, "backOfficeAgencyNetworks">, agencyCode: string | null, address: string): boolean {
  if (!agencyCode) return true;
  const entry = env.backOfficeAgencyNetworks.find((e) => e.agency === agencyCode);
  return entry ? networkMatcher(entry.networks)(address) : true;
}

/** Agencies named in BACK_OFFICE_AGENCY_NETWORKS that the catalogue does not know: a typo would leave the real agency unrestricted. */
export async function unknownAgencyNetworks(db: Database, env: Pick<Env, "backOfficeAgencyNetworks">): Promise<string[]> {
  const named = env.backOfficeAgencyNetworks.map((entry) => entry.agency);
  if (named.length === 0) return [];
  const known = await db.select({ code: schema.agencies.code }).from(schema.agencies).where(inArray(schema.agencies.code, named));
  return named.filter((code) => !known.some((row) => row.code === code));
}
