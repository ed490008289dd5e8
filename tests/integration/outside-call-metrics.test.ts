import type { Server } from "node:http";
import express from "express";
import { afterAll, beforeAll, expect, it } from "vitest";
import { metricsRegistry } from "~/base/metrics.server";
import { BillSourceUnavailable, fetchSourceBills } from "~/bills/sources.server";
import { EcounterUnavailable, fetchCaseStatus, type EcounterConfig } from "~/cases/ecounter.server";
import { listen } from "../support/payments";
import { freePort } from "../support/portal-process.mjs";

/** A bill source and an e-counter that answer badly, as the metrics should see them: by source or operation and reason. */

let server: Server;
let url: string;
beforeAll(async () => {
  const app = express();
  app.post("/pending-bills", (_req, res) => void res.json({ bills: [] }));
  app.post("/case-status", (_req, res) => void res.status(502).send("bad gateway"));
  ({ server, url } = await listen(app));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it("times each call to a bill source and the e-counter and counts its failures by reason, never naming a case or a subject", async () => {
  metricsRegistry.resetMetrics();
  const secret = "s".repeat(32);
  expect(await fetchSourceBills({ source: "water", url, keyId: "portal", secret }, ["A123"], 1000)).toMatchObject({ bills: [] });
  const nobody = `http://127.0.0.1:${await freePort()}`;
  await expect(fetchSourceBills({ source: "power", url: nobody, keyId: "portal", secret }, ["B456"], 1000)).rejects.toBeInstanceOf(
    BillSourceUnavailable,
  );
  const ecounter: EcounterConfig = { source: "ecounter", url, keyId: "portal", secret, applicantKey: secret, timeoutMs: 1000 };
  await expect(fetchCaseStatus(ecounter, "1130001234", "ABCD")).rejects.toBeInstanceOf(EcounterUnavailable);

  const text = await metricsRegistry.metrics();
  expect(text).toMatch(/bill_portal_bill_source_request_duration_seconds_count\{source="water",outcome="ok"\} 1\n/);
  expect(text).toMatch(/bill_portal_bill_source_request_duration_seconds_count\{source="power",outcome="failed"\} 1\n/);
  expect(text).toContain('bill_portal_bill_source_failures_total{source="power",reason="network"} 1\n');
  expect(text).toMatch(/bill_portal_ecounter_request_duration_seconds_count\{operation="case-status",outcome="failed"\} 1\n/);
  expect(text).toContain('bill_portal_ecounter_failures_total{operation="case-status",reason="http_error"} 1\n');
  expect(text).not.toMatch(/1130001234|A123|B456/);
});
