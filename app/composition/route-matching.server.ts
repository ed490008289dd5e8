import { createRequire } from "node:module";
import { LRUCache } from "lru-cache";

/**
 * Route matching worked out once per path instead of on every call
 * (docs/decisions/030). `@remix-run/router` 1.x flattens, ranks and compiles
 * every route of the table on each `matchRoutes` call, and a page request makes
 * three (Remix's request handler, its static handler, React Router's render):
 * ~10 % of the CPU of a look-up request with this portal's ~90 routes. React
 * Router 7 caches the branches (remix-run/react-router#14967); Remix v2 will not.
 *
 * The answer depends only on the table's shape (ids, paths, index and case flags,
 * in order), the pathname and the basename, so it is kept under those, as route
 * ids, and given back with the route objects of the table passed in: Remix
 * builds a new, identical table for each render.
 */

interface RouteLike {
  id?: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: RouteLike[];
}

interface RouteMatchLike<R extends RouteLike = RouteLike> {
  params: Record<string, string | undefined>;
  pathname: string;
  pathnameBase: string;
  route: R;
}

type LocationArg = string | { pathname?: string };
export type MatchRoutes = <R extends RouteLike>(routes: R[], location: LocationArg, basename?: string) => RouteMatchLike<R>[] | null;

interface RouteTable {
  /** A short name for the table's shape: tables of the same shape share answers. */
  shape: number;
  byId: Map<string, RouteLike>;
}

type StoredMatch = Omit<RouteMatchLike, "route"> & { routeId: string };

const MARK = Symbol.for("bill-portal.route-match-cache");

export function cachedMatchRoutes(original: MatchRoutes, options: { max?: number } = {}): MatchRoutes {
  const tables = new WeakMap<RouteLike[], RouteTable | null>();
  // A few shapes only: in production, the one route table (Remix's and React Router's copies of it).
  const shapes = new LRUCache<string, number>({ max: 8 });
  let nextShape = 0;
  // Paths carry parameters (a bill's number), so the answers are bounded; a miss only costs the match.
  const answers = new LRUCache<string, StoredMatch[] | { none: true }>({ max: options.max ?? 1000 });

  function tableOf(routes: RouteLike[]): RouteTable | null {
    let table = tables.get(routes);
    if (table !== undefined) return table;
    const byId = new Map<string, RouteLike>();
    let shapeKey = "";
    let usable = true;
    // Walked for each render's new table, so plain concatenation: ids and paths never hold these controls.
    const walk = (list: RouteLike[]) => {
      shapeKey += "\u0002";
      for (const route of list) {
        if (typeof route.id !== "string" || byId.has(route.id)) usable = false;
        else byId.set(route.id, route);
        shapeKey += `${route.id}\u0000${route.path ?? "\u0001"}\u0000${route.index ? 1 : 0}${route.caseSensitive ? 1 : 0}\u0000`;
        if (route.children?.length) walk(route.children);
      }
      shapeKey += "\u0003";
    };
    walk(routes);
    if (usable) {
      let shape = shapes.get(shapeKey);
      if (shape === undefined) shapes.set(shapeKey, (shape = nextShape++));
      table = { shape, byId };
    } else {
      // Routes without unique ids cannot be given back from a stored answer.
      table = null;
    }
    tables.set(routes, table);
    return table;
  }

  const matchRoutes = (<R extends RouteLike>(routes: R[], location: LocationArg, basename = "/"): RouteMatchLike<R>[] | null => {
    const table = tableOf(routes);
    const pathname = typeof location === "string" ? pathnameOf(location) : location.pathname;
    if (!table || pathname === undefined) return original(routes, location, basename);

    const key = `${table.shape}\n${basename}\n${pathname}`;
    const stored = answers.get(key);
    if (stored && "none" in stored) return null;
    if (stored) {
      const matches: RouteMatchLike<R>[] = [];
      for (const { routeId, params, pathname: matched, pathnameBase } of stored) {
        const route = table.byId.get(routeId) as R | undefined;
        if (!route) return original(routes, location, basename);
        // Callers may change what they get: each gets its own objects.
        matches.push({ params: { ...params }, pathname: matched, pathnameBase, route });
      }
      return matches;
    }

    const matches = original(routes, location, basename);
    if (!matches) {
      answers.set(key, { none: true });
    } else if (matches.every((match) => match.route.id !== undefined && table.byId.get(match.route.id) === match.route)) {
      answers.set(
        key,
        matches.map(({ route, params, pathname: matched, pathnameBase }) => ({
          routeId: route.id as string,
          params: { ...params },
          pathname: matched,
          pathnameBase,
        })),
      );
    }
    return matches;
  }) as MatchRoutes;
  return Object.assign(matchRoutes, { [MARK]: true });
}

/** The pathname of a location written as a string, as the router reads it (without search and hash). */
function pathnameOf(location: string): string {
  const end = location.search(/[?#]/);
  return end === -1 ? location : location.slice(0, end);
}

/** The packages that call `matchRoutes` through `@remix-run/router`'s export object at each request. */
const CALLERS = ["@remix-run/server-runtime", "react-router"] as const;

type RouterModule = { matchRoutes: MatchRoutes & { [MARK]?: true } };

/** The copy of `@remix-run/router` a caller loads (one, deduplicated, unless versions ever part). */
export function routerUsedBy(caller: (typeof CALLERS)[number]): RouterModule {
  const require = createRequire(import.meta.url);
  return createRequire(require.resolve(caller))("@remix-run/router") as RouterModule;
}

/**
 * Puts the cached matcher in place of `@remix-run/router`'s export. Remix's
 * server runtime and React Router call it through that export object at each
 * request, so they pick it up; the static handler's own call stays uncached.
 */
export function installRouteMatchCache(): void {
  for (const caller of CALLERS) {
    const router = routerUsedBy(caller);
    if (!router.matchRoutes[MARK]) router.matchRoutes = cachedMatchRoutes(router.matchRoutes);
  }
}
