import type { Server } from "node:http";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import { afterAll, beforeAll, expect, it } from "vitest";
import { metricsRegistry } from "~/base/metrics.server";
import { requestMetrics } from "./request-metrics.server";

// The shape of the build's route table (a parent, an index, a page with an id in its path, a splat).
const routes = {
  root: { id: "root", path: "", module: {} },
  "routes/_index": { id: "routes/_index", parentId: "root", index: true, module: {} },
  "routes/payments.$reference": { id: "routes/payments.$reference", parentId: "root", path: "payments/:reference", module: {} },
  "routes/$": { id: "routes/$", parentId: "root", path: "*", module: {} },
} as unknown as ServerBuild["routes"];

let server: Server;
let url: string;
beforeAll(async () => {
  const metrics = requestMetrics({ routes });
  const app = express();
  app.use(metrics.measure);
  app.get("/healthz", (_req, res) => void res.send("ok"));
  app.use("/build", (_req, res) => void res.send("asset"));
  app.all("*", metrics.answeredByRemix, (req, res) => void res.status(req.path === "/payments/PAY20261202AB12" ? 200 : 404).send("page"));
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it("labels request latency by the route id that answered, the method and the status class, never the raw path", async () => {
  metricsRegistry.resetMetrics();
  // Each answer read to its end: a request is measured once its answer is sent.
  const read = async (path: string, init?: RequestInit) => (await fetch(`${url}${path}`, init)).text();
  await read("/payments/PAY20261202AB12?lang=en");
  await read("/payments/PAY20261202CD34", { method: "POST" });
  await read("/");
  await read("/no/such/page");
  await read("/healthz");
  await read("/build/_assets/app-1234.js");
  const text = await metricsRegistry.metrics();
  const count = (labels: string) => text.match(new RegExp(`bill_portal_http_request_duration_seconds_count\\{${labels}\\} (\\d+)`))?.[1];
  expect(count('route="routes/payments.\\$reference",method="GET",status_class="2xx"')).toBe("1");
  expect(count('route="routes/payments.\\$reference",method="POST",status_class="4xx"')).toBe("1");
  expect(count('route="routes/_index",method="GET",status_class="4xx"')).toBe("1");
  expect(count('route="routes/\\$",method="GET",status_class="4xx"')).toBe("1");
  expect(count('route="healthz",method="GET",status_class="2xx"')).toBe("1");
  expect(count('route="static",method="GET",status_class="2xx"')).toBe("1");
  expect(text).not.toContain("PAY2026");
  expect(text).not.toContain("no/such");
});
