import type { ServerBuild } from "@remix-run/node";
import type { RequestHandler, Response } from "express";
import { LRUCache } from "lru-cache";
import type { RouteHandle } from "~/route-handle";

/**
 * Pages that are the same for every visitor without a session (the home page,
 * the guides), kept rendered per language and host for a few seconds
 * (docs/decisions/029). Rendering one costs route matching, the loaders, i18next
 * and React (~10 ms of CPU); answering from here costs a string substitution.
 *
 * Only the CSP nonce and the request id differ between two such answers: they
 * are stored as markers and filled in with this request's values, so every
 * answer still has a nonce of its own that matches its header.
 */

const NONCE_MARK = "\u0000nonce\u0000";
const REQUEST_ID_MARK = "\u0000request-id\u0000";
/** Headers of the stored answer that are the page's own (helmet and the rest are set again for each request). */
const KEPT_HEADERS = ["content-type", "cache-control", "link", "content-language"] as const;

interface StoredPage {
  body: string;
  headers: Array<[string, string]>;
}

interface VisitorPageCache {
  serve: RequestHandler;
  /** Forgets every stored page (the catalogue they show changed). */
  clear(): void;
}

export function visitorPageCache(options: { build: Pick<ServerBuild, "routes">; ttlMs: number; max?: number }): VisitorPageCache {
  const paths = pathsOfVisitorPages(options.build.routes);
  // Keyed by what the page is rendered from: path, language cookie, Accept-Language and Host. Strange
  // Accept-Language values can only push other pages out: the cache is bounded.
  const pages = new LRUCache<string, StoredPage>({ max: options.max ?? 200, ttl: options.ttlMs });
  let generation = 0;

  const serve: RequestHandler = (req, res, next) => {
    if (req.method !== "GET" || !paths.has(req.path) || req.originalUrl !== req.path || !onlyLanguageCookie(req.headers.cookie)) {
      return next();
    }
    const key = [req.path, req.headers.cookie ?? "", req.headers["accept-language"] ?? "", req.headers.host ?? ""].join("\n");
    const nonce = res.locals.cspNonce as string;
    const requestId = String(req.id);
    const stored = pages.get(key);
    if (stored) {
      for (const [name, value] of stored.headers) res.setHeader(name, value);
      res.statusCode = 200;
      res.end(stored.body.replaceAll(NONCE_MARK, nonce).replaceAll(REQUEST_ID_MARK, requestId));
      return;
    }
    const startedIn = generation;
    captureBody(res, (body) => {
      // A proxy's short request id could also occur in the text: then the page is not kept.
      if (generation !== startedIn || !storable(res) || body.split(requestId).length > 2) return;
      const headers: Array<[string, string]> = [];
      for (const name of KEPT_HEADERS) {
        const value = res.getHeader(name);
        if (typeof value === "string") headers.push([name, value]);
      }
      pages.set(key, { body: body.replaceAll(nonce, NONCE_MARK).replaceAll(requestId, REQUEST_ID_MARK), headers });
    });
    next();
  };

  return {
    serve,
    clear() {
      generation++;
      pages.clear();
    },
  };
}

/** A visitor's language choice is part of the key; any other cookie may be a session, so the page is rendered. */
function onlyLanguageCookie(cookie: string | undefined): boolean {
  if (!cookie) return true;
  return cookie.split(";").every((pair) => pair.trim() === "" || pair.trim().startsWith("lng="));
}

function storable(res: Response): boolean {
  if (res.statusCode !== 200 || res.hasHeader("set-cookie")) return false;
  const type = res.getHeader("content-type");
  if (typeof type !== "string" || !type.startsWith("text/html")) return false;
  const cacheControl = res.getHeader("cache-control");
  return !(typeof cacheControl === "string" && /no-store|private/.test(cacheControl));
}

/** Collects what the page writes (before compression, which wraps the same methods earlier in the chain). */
function captureBody(res: Response, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  const collect = (chunk: unknown, encoding: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === "function") return;
    if (typeof chunk === "string") chunks.push(Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8"));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  res.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    collect(chunk, encoding);
    return (write as (...args: unknown[]) => boolean)(chunk, encoding, callback);
  }) as Response["write"];
  res.end = ((chunk?: unknown, encoding?: unknown, callback?: unknown) => {
    collect(chunk, encoding);
    done(Buffer.concat(chunks).toString("utf8"));
    return (end as (...args: unknown[]) => Response)(chunk, encoding, callback);
  }) as Response["end"];
}

/** The URL paths of the build's routes whose page declares `sameForEveryVisitor` (paths without parameters only). */
export function pathsOfVisitorPages(routes: ServerBuild["routes"]): Set<string> {
  const paths = new Set<string>();
  const fullPath = (id: string): string | null => {
    const route = routes[id];
    if (!route) return "";
    const parent = route.parentId ? fullPath(route.parentId) : "";
    if (parent === null) return null;
    const own = route.path ?? "";
    if (/[:*]/.test(own)) return null;
    return own ? `${parent.replace(/\/$/, "")}/${own.replace(/^\//, "")}` : parent;
  };
  for (const [id, route] of Object.entries(routes)) {
    const handle = (route.module as { handle?: RouteHandle }).handle;
    if (!handle?.sameForEveryVisitor) continue;
    const path = fullPath(id);
    if (path !== null) paths.add(path === "" ? "/" : path);
  }
  return paths;
}
