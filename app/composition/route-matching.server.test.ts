import { describe, expect, it } from "vitest";
import { cachedMatchRoutes, installRouteMatchCache, routerUsedBy, type MatchRoutes } from "./route-matching.server";

const original = routerUsedBy("@remix-run/server-runtime").matchRoutes;

interface TestRoute {
  id: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children?: TestRoute[];
}

// The shapes a Remix route table has: a root layout, index routes, nested layouts, parameters,
// optional segments, a splat and a case-sensitive path.
function routeTable(): TestRoute[] {
  return [
    {
      id: "root",
      path: "",
      children: [
        { id: "routes/_index", index: true },
        { id: "routes/lookup.$billType", path: "lookup/:billType" },
        { id: "routes/lookup.parking-fee", path: "lookup/parking-fee" },
        {
          id: "routes/admin",
          path: "admin",
          children: [
            { id: "routes/admin._index", index: true },
            { id: "routes/admin.refunds.$refundId", path: "refunds/:refundId" },
            { id: "routes/admin.reports.($year)", path: "reports/:year?" },
          ],
        },
        { id: "routes/Receipts", path: "Receipts/:paymentOrderId", caseSensitive: true },
        { id: "routes/$", path: "*" },
      ],
    },
  ];
}

const paths = [
  "/",
  "/lookup/parking-fee",
  "/lookup/traffic-fine",
  "/lookup/traffic-fine?number=1#top",
  "/lookup/%E5%81%9C%E8%BB%8A",
  "/admin",
  "/admin/",
  "/admin/refunds/42",
  "/admin/reports",
  "/admin/reports/2026",
  "/Receipts/abc",
  "/receipts/abc",
  "/nowhere/at/all",
  "",
];

function nth<T>(list: readonly T[] | null | undefined, index: number): T {
  const item = list?.[index];
  if (item === undefined) throw new Error(`nothing at ${index}`);
  return item;
}

/** The admin layout and its refund route in a table made by `routeTable`. */
function adminRoutes(table: TestRoute[]) {
  const root = nth(table, 0);
  const admin = nth(root.children, 3);
  return { root, admin, refund: nth(admin.children, 1) };
}

function counting(original: MatchRoutes) {
  const calls = { count: 0 };
  const counted = ((routes, location, basename) => {
    calls.count++;
    return original(routes, location, basename);
  }) as MatchRoutes;
  return { calls, counted };
}

describe("cached route matching", () => {
  it("gives the router's own answer for every path, from the second call on without matching", () => {
    const { calls, counted } = counting(original);
    const matchRoutes = cachedMatchRoutes(counted);
    const routes = routeTable();
    for (const path of paths) {
      const expected = original(routes, path);
      expect(matchRoutes(routes, path)).toEqual(expected);
      expect(matchRoutes(routes, path)).toEqual(expected);
      expect(matchRoutes(routes, { pathname: path.split(/[?#]/)[0] })).toEqual(expected);
    }
    // One match per distinct pathname; the query-string and object forms of a path share it.
    expect(calls.count).toBe(new Set(paths.map((path) => path.split(/[?#]/)[0])).size);
  });

  it("answers with a basename as the router does, and keeps basenames apart", () => {
    const matchRoutes = cachedMatchRoutes(original);
    const routes = routeTable();
    expect(matchRoutes(routes, "/portal/admin/refunds/7", "/portal")).toEqual(original(routes, "/portal/admin/refunds/7", "/portal"));
    expect(matchRoutes(routes, "/portal/admin/refunds/7", "/")).toEqual(original(routes, "/portal/admin/refunds/7", "/"));
    expect(matchRoutes(routes, "/elsewhere", "/portal")).toBeNull();
  });

  it("gives back the route objects of the table passed in, for a new table of the same shape", () => {
    const { calls, counted } = counting(original);
    const matchRoutes = cachedMatchRoutes(counted);
    matchRoutes(routeTable(), "/admin/refunds/42");
    const second = routeTable();
    const matches = matchRoutes(second, "/admin/refunds/42");
    expect(calls.count).toBe(1);
    const { root, admin, refund } = adminRoutes(second);
    expect(matches?.map((match) => match.route)).toEqual([root, admin, refund]);
    expect(nth(matches, 2).route).toBe(refund);
    expect(nth(matches, 2).params).toEqual({ refundId: "42" });
  });

  it("matches again for a table of another shape", () => {
    const { calls, counted } = counting(original);
    const matchRoutes = cachedMatchRoutes(counted);
    expect(matchRoutes(routeTable(), "/admin/refunds/42")?.at(-1)?.route.id).toBe("routes/admin.refunds.$refundId");
    const moved = routeTable();
    adminRoutes(moved).refund.path = "returns/:refundId";
    expect(matchRoutes(moved, "/admin/refunds/42")?.at(-1)?.route.id).toBe("routes/$");
    expect(matchRoutes(moved, "/admin/returns/42")?.at(-1)?.route.id).toBe("routes/admin.refunds.$refundId");
    expect(calls.count).toBe(3);
  });

  it("does not let a caller's change to an answer reach the next caller", () => {
    const matchRoutes = cachedMatchRoutes(original);
    const routes = routeTable();
    const first = matchRoutes(routes, "/admin/refunds/42");
    if (!first) throw new Error("no match");
    nth(first, 2).params.refundId = "changed";
    first.pop();
    expect(nth(matchRoutes(routes, "/admin/refunds/42"), 2).params).toEqual({ refundId: "42" });
  });

  it("passes a table whose routes lack unique ids straight to the router", () => {
    const { calls, counted } = counting(original);
    const matchRoutes = cachedMatchRoutes(counted);
    const routes = [{ path: "a" }, { path: "b" }] as unknown as TestRoute[];
    expect(matchRoutes(routes, "/b")).toEqual(original(routes, "/b"));
    matchRoutes(routes, "/b");
    expect(calls.count).toBe(2);
  });

  it("keeps a bounded number of answers", () => {
    const { calls, counted } = counting(original);
    const matchRoutes = cachedMatchRoutes(counted, { max: 2 });
    const routes = routeTable();
    for (const path of ["/admin/refunds/1", "/admin/refunds/2", "/admin/refunds/3", "/admin/refunds/1"]) matchRoutes(routes, path);
    expect(calls.count).toBe(4);
  });

  it("is what Remix's server runtime and React Router call once installed", () => {
    const remixRouter = routerUsedBy("@remix-run/server-runtime");
    const reactRouterRouter = routerUsedBy("react-router");
    // One copy of the router, which both load.
    expect(reactRouterRouter).toBe(remixRouter);
    const exported = remixRouter.matchRoutes;
    try {
      installRouteMatchCache();
      const installed = remixRouter.matchRoutes;
      expect(installed).not.toBe(exported);
      installRouteMatchCache();
      expect(remixRouter.matchRoutes).toBe(installed);
      const routes = routeTable();
      expect(installed(routes, "/admin/reports/2026")).toEqual(original(routes, "/admin/reports/2026"));
    } finally {
      remixRouter.matchRoutes = exported;
    }
  });
});
