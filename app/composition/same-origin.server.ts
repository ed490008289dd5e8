import type express from "express";
import { AGENCY_API_BASE_PATH } from "~/domain/agency-api";
import { CLIENT_ERROR_TEXT, sendPlainText } from "~/base/client-errors.server";

/** Paths of the agency API (signed server-to-server calls, JSON answers only). */
export const isAgencyApiPath = (path: string) => path === AGENCY_API_BASE_PATH || path.startsWith(`${AGENCY_API_BASE_PATH}/`);

/**
 * The host the client asked for: X-Forwarded-Host only from a proxy of ours
 * (TRUST_PROXY > 0), else anyone could name the site they forge a form from.
 */
function requestHost(req: express.Request, trustProxy: number): string | undefined {
  const forwarded = trustProxy > 0 ? req.get("X-Forwarded-Host")?.split(",")[0]?.trim() : undefined;
  return forwarded || req.get("Host");
}

/** `host` as a URL of `protocol` would name it (lower case, no default port), or null. */
function normalHost(protocol: string, host: string): string | null {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return null;
  }
}

/** Whether `address` (an Origin or a Referer) is on the host the request was sent to. */
function isOnHost(address: string, host: string | undefined): boolean {
  if (!host || address === "null") return false;
  try {
    const url = new URL(address);
    return url.host === normalHost(url.protocol, host);
  } catch {
    return false;
  }
}

/**
 * Forms post only from this site. A state-changing request is accepted when
 * the browser says it comes from the portal: its Origin names this host; or,
 * without Origin, Sec-Fetch-Site is "same-origin"; or, with neither (older
 * browsers), the Referer is a page of this host (Referrer-Policy same-origin
 * keeps it on our own posts). Anything else, a request with none of them
 * too, is refused here with a clear message. Provider callbacks are mounted
 * before this and check signatures instead.
 */
export function rejectCrossSiteWrites(trustProxy: number): express.RequestHandler {
  return (req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return next();
    // Agencies' servers call the agency API: no browser, no cookie, each call signed (app/agency-api/auth.server.ts).
    if (isAgencyApiPath(req.path)) return next();
    const host = requestHost(req, trustProxy);
    const origin = req.get("Origin");
    const fetchSite = req.get("Sec-Fetch-Site");
    const referer = req.get("Referer");
    const fromPortal =
      origin !== undefined
        ? isOnHost(origin, host)
        : fetchSite !== undefined
          ? fetchSite === "same-origin"
          : referer !== undefined && isOnHost(referer, host);
    if (fromPortal) return next();
    // The Referer's origin only: its path and query can hold write-off numbers.
    const refererOrigin = referer && URL.canParse(referer) ? new URL(referer).origin : referer ? "unparsable" : undefined;
    req.log.warn({ origin, fetchSite, referer: refererOrigin, host }, "cross-site write refused");
    sendPlainText(res, 403, CLIENT_ERROR_TEXT.crossSite);
  };
}

/**
 * A Host (or trusted X-Forwarded-Host) that is no host name cannot make the
 * request's URL: the client's mistake, answered before Remix would fail on it.
 */
export function rejectUnusableHost(trustProxy: number): express.RequestHandler {
  return (req, res, next) => {
    const host = requestHost(req, trustProxy);
    // No Host at all (HTTP/1.0) still makes a URL, as it always has.
    if (host === undefined || (normalHost("http:", host) !== null && normalHost("http:", req.hostname ?? "") !== null)) return next();
    req.log.info({ host }, "request with an unusable Host refused");
    sendPlainText(res, 400, CLIENT_ERROR_TEXT.address);
  };
}
