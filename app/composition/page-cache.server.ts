import type { ServerBuild } from "@remix-run/node";
import type { RequestHandler, Response } from "express";
import { LRUCache } from "lru-cache";
import type { VisitorCaptcha } from "~/lookup/captcha.server";
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
const CAPTCHA_MARK = "\u0000captcha\u0000";
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

export function visitorPageCache(options: {
  build: Pick<ServerBuild, "routes">;
  ttlMs: number;
  max?: number;
  /** Makes a captcha and a new visitor's session, for pages kept apart from their captcha. */
  visitorCaptcha?: (cookieHeader: string | null) => Promise<VisitorCaptcha>;
}): VisitorPageCache {
  const visitorPages = visitorPagesOf(options.build.routes);
  // Keyed by what the page is rendered from: path, language cookie, Accept-Language and Host. Strange
  // Accept-Language values can only push other pages out: the cache is bounded.
  const pages = new LRUCache<string, StoredPage>({ max: options.max ?? 200, ttl: options.ttlMs });
  let generation = 0;

  const serve: RequestHandler = (req, res, next) => {
    if (req.method !== "GET" || req.originalUrl !== req.path || !onlyLanguageCookie(req.headers.cookie)) return next();
    const kind = visitorPages.kindOf(req.path);
    if (!kind || (kind === "apart-from-captcha" && !options.visitorCaptcha)) return next();
    const key = [req.path, req.headers.cookie ?? "", req.headers["accept-language"] ?? "", req.headers.host ?? ""].join("\n");
    const nonce = res.locals.cspNonce as string;
    const requestId = String(req.id);
    const stored = pages.get(key);
    const answer = (captcha: VisitorCaptcha | null) => {
      if (stored) {
        for (const [name, value] of stored.headers) res.setHeader(name, value);
        if (captcha) res.setHeader("set-cookie", captcha.setCookie);
        res.statusCode = 200;
        let body = stored.body.replaceAll(NONCE_MARK, nonce).replaceAll(REQUEST_ID_MARK, requestId);
        if (captcha) body = body.replaceAll(CAPTCHA_MARK, captcha.token);
        res.end(body);
        return;
      }
      // Rendered with this captcha, so the page knows which token to keep as a marker.
      if (captcha) res.locals.visitorCaptcha = captcha;
      const startedIn = generation;
      captureBody(res, (body) => {
        if (generation !== startedIn || !storable(res, captcha)) return;
        // A proxy's short request id could also occur in the text: then the page is not kept.
        if (body.split(requestId).length > 2) return;
        let template = body.replaceAll(nonce, NONCE_MARK).replaceAll(requestId, REQUEST_ID_MARK);
        if (captcha) {
          // Kept only when every trace of this visitor's challenge became the marker (its random id is in
          // every form of the token), so no visitor is ever given another's captcha.
          const challengeId = captcha.token.split(".")[1] ?? captcha.token;
          template = template.replaceAll(captcha.token, CAPTCHA_MARK);
          if (!template.includes(CAPTCHA_MARK) || template.includes(challengeId)) return;
        }
        const headers: Array<[string, string]> = [];
        for (const name of KEPT_HEADERS) {
          const value = res.getHeader(name);
          if (typeof value === "string") headers.push([name, value]);
        }
        pages.set(key, { body: template, headers });
      });
      next();
    };
    if (kind === "same") return answer(null);
    options.visitorCaptcha!(req.headers.cookie ?? null).then(answer, next);
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

/**
 * A 200 HTML page, private to nobody. A page kept apart from its captcha may set exactly the session
 * cookie it was given and say no-store (to browsers: each answer is the visitor's own); nothing else.
 */
function storable(res: Response, captcha: VisitorCaptcha | null): boolean {
  if (res.statusCode !== 200) return false;
  const type = res.getHeader("content-type");
  if (typeof type !== "string" || !type.startsWith("text/html")) return false;
  const cookies = res.getHeader("set-cookie");
  const cacheControl = res.getHeader("cache-control");
  if (captcha) {
    const only = Array.isArray(cookies) ? (cookies.length === 1 ? cookies[0] : undefined) : cookies;
    return only === captcha.setCookie && !(typeof cacheControl === "string" && /private/.test(cacheControl));
  }
  if (cookies !== undefined) return false;
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

type VisitorPageKind = "same" | "apart-from-captcha";

/**
 * The URL paths of the build's routes whose page declares `sameForEveryVisitor`: static paths, and
 * paths with named parameters (`/lookup/:billType`, each value a page of its own); never a splat or
 * an optional segment.
 */
export function visitorPagesOf(routes: ServerBuild["routes"]): {
  paths: Map<string, VisitorPageKind>;
  kindOf(path: string): VisitorPageKind | null;
} {
  const paths = new Map<string, VisitorPageKind>();
  const patterns: Array<{ pattern: RegExp; kind: VisitorPageKind }> = [];
  const fullPath = (id: string): string | null => {
    const route = routes[id];
    if (!route) return "";
    const parent = route.parentId ? fullPath(route.parentId) : "";
    if (parent === null) return null;
    const own = route.path ?? "";
    if (/[*?]/.test(own)) return null;
    return own ? `${parent.replace(/\/$/, "")}/${own.replace(/^\//, "")}` : parent;
  };
  for (const [id, route] of Object.entries(routes)) {
    const declared = (route.module as { handle?: RouteHandle }).handle?.sameForEveryVisitor;
    if (!declared) continue;
    const kind: VisitorPageKind = declared === "apart-from-captcha" ? "apart-from-captcha" : "same";
    const path = fullPath(id);
    if (path === null) continue;
    const full = path === "" ? "/" : path;
    paths.set(full, kind);
    if (full.includes(":")) {
      const segments = full.split("/").map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.+^${}()|[\]\\]/g, "\\$&")));
      patterns.push({ pattern: new RegExp(`^${segments.join("/")}$`), kind });
    }
  }
  return {
    paths,
    kindOf: (path) => paths.get(path) ?? patterns.find(({ pattern }) => pattern.test(path))?.kind ?? null,
  };
}
