import { AsyncLocalStorage } from "node:async_hooks";
import type { RequestHandler } from "express";

/**
 * Values computed once per HTTP request. Remix runs the root loader and the
 * page's loader in parallel, each with its own copy of the Request, so a
 * value both need (the member's session: a query, sometimes an update) would
 * otherwise be looked up twice. Only for values the request itself does not
 * change before it answers (actions that change the session answer with a
 * redirect or from a resource route). Outside a request (tests, the CLI)
 * nothing is kept and every call computes.
 */
const scope = new AsyncLocalStorage<Map<string, unknown>>();

export const requestScope: RequestHandler = (_req, _res, next) => scope.run(new Map(), next);

export function oncePerRequest<T>(key: string, compute: () => T): T {
  const values = scope.getStore();
  if (!values) return compute();
  if (!values.has(key)) values.set(key, compute());
  return values.get(key) as T;
}
