import { matchRoutes } from "@remix-run/react";
import type { ServerBuild } from "@remix-run/node";
import type { RequestHandler } from "express";
import { httpRequestDuration } from "~/base/metrics.server";

type RouteNode = Parameters<typeof matchRoutes>[0][number];

/** The build's routes as the nested tree the router matches (built once). */
function routeTree(routes: ServerBuild["routes"]): RouteNode[] {
  const childrenOf = (parentId: string | undefined): RouteNode[] =>
    Object.values(routes)
      .filter((route) => route.parentId === parentId)
      .map((route): RouteNode => {
        if (route.index) return { id: route.id, path: route.path, index: true, caseSensitive: route.caseSensitive };
        const children = childrenOf(route.id);
        return { id: route.id, path: route.path, caseSensitive: route.caseSensitive, ...(children.length > 0 ? { children } : {}) };
      });
  return childrenOf(undefined);
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The request latency histogram: labelled by the Remix route id that answered
 * (`routes/payments.$reference`), never the path itself, which holds
 * references and numbers (and would make a series per bill). What Express
 * answers before Remix has a fixed name; anything else is "other".
 * Mark the requests handed to Remix with `answeredByRemix`.
 */
export function requestMetrics(build: Pick<ServerBuild, "routes">): { measure: RequestHandler; answeredByRemix: RequestHandler } {
  const tree = routeTree(build.routes);
  const routeOf = (pathname: string, remix: boolean): string => {
    if (pathname === "/healthz" || pathname === "/readyz") return pathname.slice(1);
    if (pathname.startsWith("/payments/callbacks/")) return "payments/callbacks";
    if (!remix) return pathname.startsWith("/build/") ? "static" : "other";
    return matchRoutes(tree, pathname)?.at(-1)?.route.id ?? "unmatched";
  };
  return {
    measure(req, res, next) {
      const end = httpRequestDuration.startTimer();
      res.once("finish", () => {
        end({
          // originalUrl: a router mounted on a prefix (the callbacks) strips it from req.path while it answers.
          route: routeOf(req.originalUrl.split("?")[0] ?? "/", res.locals.answeredByRemix === true),
          method: METHODS.has(req.method) ? req.method : "other",
          status_class: `${Math.floor(res.statusCode / 100)}xx`,
        });
      });
      next();
    },
    answeredByRemix(_req, res, next) {
      res.locals.answeredByRemix = true;
      next();
    },
  };
}
