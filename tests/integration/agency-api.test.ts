import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agencyApiDocument, MAX_BODY_BYTES } from "~/agency-api/contract.server";
import { sweepRetention } from "~/base/retention.server";
import { pino } from "pino";
import { findBill } from "~/bills/bills.server";
import { findBillType } from "~/bills/catalogue.server";
import { captchaAnswer, issueCaptcha } from "~/lookup/captcha.server";
import { lookUpBill } from "~/lookup/lookup.server";
import { agencyApiReference } from "~/agency-api/reference.server";
import { createAgencySimulator } from "~/demo/agency-simulator.server";
import { demoApiKey, demoWebhookSecret } from "~/demo/keys";
import { seedDemoApiKeys } from "~/demo/data/seed.server";
import { signAgencyCall } from "~/base/signatures.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { addDays } from "~/domain/dates";
import { statementDocument, statementJson, statementSha256 } from "~/domain/statement";
import { withCheckDigit } from "~/domain/write-off-number";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { startPayment } from "~/payments/orders/answers.server";
import { installConfiguration } from "~/base/env.server";
import { schema, setAppDatabase } from "~/base/db.server";
import { insertApiKey, signedRequest, type TestApiKey } from "../support/agency-api";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";
import { followBack, payerAtLinePay, startPaymentWorld, type PaymentWorld } from "../support/payments";

const ORIGIN = "http://portal.test";
const EMPTY_STATEMENT = {
  collected: 0,
  refunded: 0,
  fees: 0,
  net: 0,
  lines: [],
  reconciliation: {
    tiesOut: true,
    settledCollected: 0,
    settledRefunded: 0,
    missingFiles: [],
    unattributed: { lines: 0, collected: 0, refunded: 0, fees: 0 },
  },
  sha256: "0".repeat(64),
};
const env = demoEnv({ AGENCY_API_RATE_LIMIT: "10000/60" });
const document = agencyApiDocument();

// Every route file under app/routes/api.agency.v1.*, as the path template it answers.
const ROUTES_DIR = path.resolve("app/routes");
const routeFiles = readdirSync(ROUTES_DIR).filter((file) => file.startsWith("api.agency.v1.") && file !== "api.agency.v1.$.tsx");
const templateOf = (file: string) =>
  "/" +
  file
    .slice("api.agency.v1.".length, -".tsx".length)
    .replaceAll("[.]", "\u0000")
    .split(".")
    .map((segment) => segment.replace(/_$/, "").replace(/^\$(.+)$/, "{$1}"))
    .join("/")
    .replaceAll("\u0000", ".");

type RouteModule = { loader?: (args: unknown) => Promise<Response> | Response; action?: (args: unknown) => Promise<Response> | Response };
const modules = new Map<string, RouteModule>();

async function route(template: string): Promise<RouteModule> {
  let module = modules.get(template);
  if (!module) {
    const file = routeFiles.find((candidate) => templateOf(candidate) === template);
    if (!file) throw new Error(`no route file for ${template}`);
    module = (await import(/* @vite-ignore */ path.join(ROUTES_DIR, file))) as RouteModule;
    modules.set(template, module);
  }
  return module;
}

/** The template a concrete path matches, with its parameters. */
function match(pathname: string): { template: string; params: Record<string, string> } {
  for (const template of Object.keys(document.paths ?? {})) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), "([^/]+)")).replaceAll(".", "\\.")}$`,
    );
    const found = pattern.exec(pathname);
    if (found) return { template, params: Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)])) };
  }
  throw new Error(`no operation for ${pathname}`);
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document as object, "openapi");
const pointer = (part: string) => encodeURIComponent(part.replaceAll("~", "~0").replaceAll("/", "~1"));

/** The answer's body, checked against the document's schema for its path, method, status and content type. */
async function checked(
  response: Response,
  template: string,
  method: string,
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const operation = (
    document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>
  )[template]?.[method];
  expect(operation, `${method} ${template} in the document`).toBeDefined();
  const documented = operation!.responses[String(response.status)];
  expect(documented, `${method} ${template} documents status ${response.status}`).toBeDefined();
  const contentType = response.headers.get("content-type")!.split(";")[0]!;
  expect(Object.keys(documented!.content ?? {})).toContain(contentType);
  const text = await response.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  const validate = ajv.getSchema(
    `openapi#/paths/${pointer(template)}/${method}/responses/${response.status}/content/${pointer(contentType)}/schema`,
  )!;
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
  return { status: response.status, body, text };
}

/** Drives the route a request's path belongs to, as Remix would, and checks the answer against the document. */
async function send(request: Request) {
  const { template, params } = match(new URL(request.url).pathname.slice("/api/agency/v1".length));
  const module = await route(template);
  const handler = request.method === "GET" ? module.loader : module.action;
  const response = await handler!({ request, params, context: {} });
  return { ...(await checked(response, template, request.method.toLowerCase())), headers: response.headers };
}

/** The API's routes behind a real HTTP server, as an agency's system meets them. */
async function startApiServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url!, "http://127.0.0.1");
        const request = new Request(url, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        const { template, params } = match(url.pathname.slice("/api/agency/v1".length));
        const module = await route(template);
        const response = await (req.method === "GET" ? module.loader : module.action)!({ request, params, context: {} });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const call = (key: TestApiKey, method: string, pathname: string, body?: unknown, options?: Parameters<typeof signedRequest>[5]) =>
  send(signedRequest(ORIGIN, key, method, pathname, body, options));

let serial = 0;
/** A new traffic-fine number (police, GF + 7 digits + mod10-137 check digit), never seeded. */
const trafficFineNumber = () =>
  withCheckDigit(`GF9${String(++serial).padStart(6, "0")}`, { prefix: "GF", length: 10, charset: "digits", check: "mod10-137" });
const pushedBill = (overrides: Record<string, unknown> = {}) => ({
  billType: "traffic-fine",
  writeOffNumber: trafficFineNumber(),
  payerName: "王小明",
  subject: "ABC-1234",
  amount: 1800,
  issuedOn: "2026-11-20",
  dueDate: "2026-12-20",
  ...overrides,
});

describeEachDatabase(
  "agency bill API",
  (database) => {
    let police: TestApiKey;
    let water: TestApiKey;
    let world: PaymentWorld;
    const db = () => database().db;

    beforeAll(async () => {
      setAppDatabase(database());
      installConfiguration(env);
      police = await insertApiKey(db(), env, "police");
      water = await insertApiKey(db(), env, "water");
      world = await startPaymentWorld(db());
    });
    afterAll(async () => {
      await world.close();
      setAppDatabase(undefined);
    });

    it("serves a valid OpenAPI 3.1 document that names every route file, and a route for every path", async () => {
      const result = await new Validator().validate(structuredClone(document) as unknown as Parameters<Validator["validate"]>[0]);
      expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
      expect(result.valid).toBe(true);
      expect(document.openapi).toBe("3.1.0");
      expect(new Set(routeFiles.map(templateOf))).toEqual(new Set(Object.keys(document.paths ?? {})));
      for (const [template, operations] of Object.entries(document.paths ?? {})) {
        for (const method of Object.keys(operations as object)) {
          const module = await route(template);
          expect(method === "get" ? module.loader : module.action, `${method} ${template}`).toBeTypeOf("function");
        }
      }
      const served = await send(new Request(`${ORIGIN}/api/agency/v1/openapi.json`));
      expect(served.body.openapi).toBe("3.1.0");
    });

    it("pushes a batch with good and bad rows: each accepted or refused on its own, a repeat unchanged, a change a conflict", async () => {
      const good = pushedBill({ payerNationalId: "A123456789" });
      const bad = [
        pushedBill({ writeOffNumber: "GF12345678" }), // wrong check digit (most likely)
        pushedBill({ billType: "water-bill", writeOffNumber: "1234567890123456" }),
        pushedBill({ billType: "no-such-type" }),
        pushedBill({ amount: 0 }),
        pushedBill({ dueDate: "2026-11-01" }),
        pushedBill({ issuedOn: "2026-02-30" }),
        { ...good },
      ];
      const first = await call(police, "POST", "/bills", { bills: [good, ...bad] });
      expect(first.status).toBe(200);
      const results = first.body.results as Array<{
        outcome: string;
        refusal?: { code: string; detail: string; writeOffNumberProblem?: unknown };
      }>;
      expect(results.map((result) => result.outcome)).toEqual([
        "created",
        "refused",
        "refused",
        "refused",
        "refused",
        "refused",
        "refused",
        "refused",
      ]);
      expect(results.slice(1).map((result) => result.refusal!.code)).toEqual([
        "bad_write_off_number",
        "bill_type_not_yours",
        "unknown_bill_type",
        "invalid",
        "invalid",
        "invalid",
        "duplicate_in_batch",
      ]);
      expect(results[1]!.refusal).toMatchObject({ writeOffNumberProblem: { code: "check_digit" } });
      expect(first.body).toMatchObject({ created: 1, unchanged: 0, refused: 7 });

      const [stored] = await db().select().from(schema.bills).where(eq(schema.bills.writeOffNumber, good.writeOffNumber));
      expect(stored).toMatchObject({ source: null, status: "unpaid", period: "1511", amount: 1800 });
      expect(stored!.payerNationalIdHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(stored)).not.toContain("A123456789");
      const audit = await db()
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.targetId, stored!.id), eq(schema.auditLog.action, "bill.pushed")));
      expect(audit).toMatchObject([{ actorType: "agency", actorId: police.id }]);

      const again = await call(police, "POST", "/bills", { bills: [good, { ...good, amount: 2400 }] });
      expect((again.body.results as Array<{ outcome: string }>).map((result) => result.outcome)).toEqual(["unchanged", "refused"]);
      const conflict = await call(police, "POST", "/bills", { bills: [{ ...good, amount: 2400, subject: "XYZ-9999" }] });
      expect(conflict.body.results).toMatchObject([{ outcome: "refused", refusal: { code: "conflict", differs: ["subject", "amount"] } }]);
    });

    it("refuses a batch of 1,001 bills, malformed JSON, a body that is no batch, and an oversized body, as problems", async () => {
      const tooMany = await call(police, "POST", "/bills", { bills: Array.from({ length: 1001 }, () => pushedBill()) });
      expect(tooMany).toMatchObject({ status: 400, body: { code: "too_many_bills" } });
      const malformed = await call(police, "POST", "/bills", '{"bills": [');
      expect(malformed).toMatchObject({ status: 400, body: { code: "malformed_json" } });
      expect(malformed.headers.get("content-type")).toBe("application/problem+json");
      const noBatch = await call(police, "POST", "/bills", { bill: {} });
      expect(noBatch).toMatchObject({ status: 400, body: { code: "invalid_request" } });
      const huge = await call(police, "POST", "/bills", "x".repeat(MAX_BODY_BYTES + 1));
      expect(huge).toMatchObject({ status: 413, body: { code: "body_too_large" } });
    });

    it("refuses a bad signature, a changed body or path, a replay, a stale timestamp, missing headers, and unknown, revoked and expired keys", async () => {
      const bill = { bills: [pushedBill()] };
      const refusal = async (request: Request) => {
        const answer = await send(request);
        expect(answer.status).toBe(401);
        expect(answer.headers.get("content-type")).toBe("application/problem+json");
        expect(String(answer.body.detail).length).toBeGreaterThan(20);
        return answer.body.code;
      };
      expect(await refusal(signedRequest(ORIGIN, { ...police, secret: "not-the-secret" }, "POST", "/bills", bill))).toBe("bad_signature");
      expect(await refusal(signedRequest(ORIGIN, police, "POST", "/bills", bill, { signedBody: JSON.stringify({ bills: [] }) }))).toBe(
        "bad_signature",
      );
      expect(await refusal(signedRequest(ORIGIN, police, "GET", "/notices?after=0", undefined, { signedPath: "/notices?after=5" }))).toBe(
        "bad_signature",
      );
      const once = signedRequest(ORIGIN, police, "GET", "/notices", undefined, { nonce: "replayed-nonce-0001" });
      expect((await send(once)).status).toBe(200);
      expect(await refusal(signedRequest(ORIGIN, police, "GET", "/notices", undefined, { nonce: "replayed-nonce-0001" }))).toBe(
        "replayed_nonce",
      );
      const stale = Math.floor(Date.now() / 1000) - 301;
      expect(await refusal(signedRequest(ORIGIN, police, "GET", "/notices", undefined, { timestamp: stale }))).toBe("stale_timestamp");
      expect(
        await refusal(signedRequest(ORIGIN, police, "GET", "/notices", undefined, { headers: { "x-agency-timestamp": "soon" } })),
      ).toBe("bad_timestamp");
      expect(await refusal(signedRequest(ORIGIN, police, "GET", "/notices", undefined, { nonce: "short" }))).toBe("bad_nonce");
      expect(await refusal(new Request(`${ORIGIN}/api/agency/v1/notices`))).toBe("missing_headers");
      expect(await refusal(signedRequest(ORIGIN, { id: "police.aaaaaaaaaaaaaaaa", secret: "x" }, "GET", "/notices"))).toBe("unknown_key");
      const revoked = await insertApiKey(db(), env, "police", { revokedAt: new Date(Date.now() - 1000) });
      expect(await refusal(signedRequest(ORIGIN, revoked, "GET", "/notices"))).toBe("key_expired");
      const expired = await insertApiKey(db(), env, "police", { expiresAt: new Date(Date.now() - 1000) });
      expect(await refusal(signedRequest(ORIGIN, expired, "GET", "/notices"))).toBe("key_expired");
    });

    it("keeps a rotated key working until its overlap ends, and stops a revoked key within seconds", async () => {
      const old = await insertApiKey(db(), env, "police", { expiresAt: new Date(Date.now() + 7 * 86_400_000) });
      const next = await insertApiKey(db(), env, "police");
      expect((await call(old, "GET", "/notices")).status).toBe(200);
      expect((await call(next, "GET", "/notices")).status).toBe(200);
      const [row] = await db().select().from(schema.agencyApiKeys).where(eq(schema.agencyApiKeys.id, old.id));
      expect(row!.lastUsedAt).not.toBeNull();
      await db().update(schema.agencyApiKeys).set({ revokedAt: new Date() }).where(eq(schema.agencyApiKeys.id, old.id));
      await new Promise((resolve) => setTimeout(resolve, 5_100));
      expect((await call(old, "GET", "/notices")).body.code).toBe("key_expired");
    });

    it("answers 429 with Retry-After past the key's rate limit", async () => {
      installConfiguration(demoEnv({ AGENCY_API_RATE_LIMIT: "3/60" }));
      try {
        const key = await insertApiKey(db(), env, "police");
        for (let i = 0; i < 3; i++) expect((await call(key, "GET", "/notices")).status).toBe(200);
        const limited = await call(key, "GET", "/notices");
        expect(limited).toMatchObject({ status: 429, body: { code: "rate_limited" } });
        expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
        // Another key of the same agency has its own allowance.
        expect((await call(await insertApiKey(db(), env, "police"), "GET", "/notices")).status).toBe(200);
      } finally {
        installConfiguration(env);
      }
    });

    it("reads one's own bill with its payments, and never another agency's", async () => {
      const bill = pushedBill();
      await call(police, "POST", "/bills", { bills: [bill] });
      const read = await call(police, "GET", `/bills/traffic-fine/${bill.writeOffNumber.slice(0, 4)}-${bill.writeOffNumber.slice(4)}`);
      expect(read).toMatchObject({ status: 200, body: { writeOffNumber: bill.writeOffNumber, status: "unpaid", payments: [] } });
      const other = await call(water, "GET", `/bills/traffic-fine/${bill.writeOffNumber}`);
      expect(other).toMatchObject({ status: 404, body: { code: "not_found" } });
      const amendOther = await call(water, "PATCH", `/bills/traffic-fine/${bill.writeOffNumber}`, { amount: 1 });
      expect(amendOther.status).toBe(404);
      expect((await call(police, "GET", "/bills/traffic-fine/GF00000000")).status).toBe(404);
      const put = await (
        await route("/bills")
      ).action!({ request: signedRequest(ORIGIN, police, "PUT", "/bills"), params: {}, context: {} });
      expect(put.status).toBe(405);
      expect(put.headers.get("allow")).toBe("POST");
      expect(put.headers.get("content-type")).toBe("application/problem+json");
    });

    it("amends and cancels while unpaid; refuses while in payment, after payment, and for a cancelled bill; audits each change", async () => {
      const [bill, other] = [pushedBill(), pushedBill()];
      await call(police, "POST", "/bills", { bills: [bill, other] });
      const amended = await call(police, "PATCH", `/bills/traffic-fine/${bill.writeOffNumber}`, {
        amount: 2400,
        dueDate: "2027-01-10",
        reason: "late fee",
      });
      expect(amended).toMatchObject({ status: 200, body: { amount: 2400, dueDate: "2027-01-10" } });
      expect((await call(police, "PATCH", `/bills/traffic-fine/${bill.writeOffNumber}`, { dueDate: "2026-01-01" })).body.code).toBe(
        "invalid",
      );
      expect((await call(police, "PATCH", `/bills/traffic-fine/${bill.writeOffNumber}`, {})).body.code).toBe("invalid_request");

      const stored = await findBill(db(), "traffic-fine", bill.writeOffNumber);
      const created = await createPaymentOrder(world.ctx, {
        billIds: [stored!.id],
        tool: "line_pay",
        idempotencyKey: `00000000-0000-4000-8000-${String(++serial).padStart(12, "0")}`,
      });
      if (created.kind !== "created") throw new Error(created.kind);
      expect((await call(police, "PATCH", `/bills/traffic-fine/${bill.writeOffNumber}`, { amount: 100 })).body.code).toBe("in_payment");
      expect((await call(police, "POST", `/bills/traffic-fine/${bill.writeOffNumber}/cancel`, {})).body.code).toBe("in_payment");
      const started = await startPayment(world.ctx, created.order);
      if (started.kind !== "redirect") throw new Error(started.kind);
      expect((await followBack(world, await payerAtLinePay(started.url, "approve")))?.state).toBe("paid");
      expect((await call(police, "PATCH", `/bills/traffic-fine/${bill.writeOffNumber}`, { amount: 100 })).body.code).toBe("already_paid");
      expect((await call(police, "POST", `/bills/traffic-fine/${bill.writeOffNumber}/cancel`, {})).body.code).toBe("already_paid");

      const cancelled = await call(police, "POST", `/bills/traffic-fine/${other.writeOffNumber}/cancel`, { reason: "withdrawn" });
      expect(cancelled).toMatchObject({ status: 200, body: { status: "cancelled" } });
      expect((await call(police, "POST", `/bills/traffic-fine/${other.writeOffNumber}/cancel`, {})).status).toBe(200);
      expect((await call(police, "PATCH", `/bills/traffic-fine/${other.writeOffNumber}`, { amount: 5 })).body.code).toBe("cancelled");
      const actions = await db()
        .select({ action: schema.auditLog.action, actorId: schema.auditLog.actorId })
        .from(schema.auditLog)
        .where(sql`${schema.auditLog.targetId} in (${stored!.id}, ${(await findBill(db(), "traffic-fine", other.writeOffNumber))!.id})`)
        .orderBy(schema.auditLog.seq);
      expect(actions.filter((entry) => entry.actorId === police.id).map((entry) => entry.action)).toEqual([
        "bill.pushed",
        "bill.pushed",
        "bill.amended",
        "bill.cancelled_at_source",
      ]);
    });

    it("a pushed bill is looked up and paid like a seeded one; its payment shows on the bill and its bill.paid notice in the feed", async () => {
      const bill = pushedBill({ amount: 3600 });
      await call(police, "POST", "/bills", { bills: [bill] });
      // As a resident finds it: the number typed from paper, with a captcha.
      const visitor = { env, clientAddress: "198.51.100.7", sessionId: "session-agency-api", logger: pino({ level: "silent" }) };
      const { token } = issueCaptcha(env.CAPTCHA_SECRET, visitor.sessionId);
      const lookup = await lookUpBill(db(), visitor, {
        billType: (await findBillType(db(), "traffic-fine"))!.billType,
        writeOffNumber: `${bill.writeOffNumber.slice(0, 5)} ${bill.writeOffNumber.slice(5)}`,
        captchaToken: token,
        captchaAnswer: captchaAnswer(env.CAPTCHA_SECRET, token.split(".")[1]!),
      });
      if (lookup.kind !== "found") throw new Error(`look-up: ${lookup.kind}`);
      const found = lookup.bill;
      expect(found).toMatchObject({ status: "unpaid", amount: 3600, payerNameMasked: "王○明" });
      const start = (await call(police, "GET", "/notices?limit=500")).body.nextCursor as number;
      const created = await createPaymentOrder(world.ctx, {
        billIds: [found!.id],
        tool: "line_pay",
        idempotencyKey: `00000000-0000-4000-8000-${String(++serial).padStart(12, "0")}`,
      });
      if (created.kind !== "created") throw new Error(created.kind);
      const started = await startPayment(world.ctx, created.order);
      if (started.kind !== "redirect") throw new Error(started.kind);
      const paid = await followBack(world, await payerAtLinePay(started.url, "approve"));
      expect(paid?.state).toBe("paid");

      const read = await call(police, "GET", `/bills/traffic-fine/${bill.writeOffNumber}`);
      expect(read.body).toMatchObject({
        status: "paid",
        payments: [{ orderReference: paid!.reference, amount: 3600, state: "paid", refunds: [] }],
      });
      const feed = await call(police, "GET", `/notices?after=${start}`);
      expect(feed.body.notices).toMatchObject([
        {
          kind: "bill.paid",
          feedSeq: start + 1,
          notice: { type: "bill.paid", writeOffNumber: bill.writeOffNumber, amount: 3600, orderReference: paid!.reference },
        },
      ]);
      expect(feed.body).toMatchObject({ nextCursor: start + 1, hasMore: false });
      // Other agencies do not see it.
      const waterFeed = await call(water, "GET", "/notices?limit=500");
      expect(JSON.stringify(waterFeed.body)).not.toContain(bill.writeOffNumber);
    });

    it("pages the feed with no gap or repeat while notices are written concurrently", async () => {
      const writers = Array.from({ length: 4 }, (_, writer) =>
        (async () => {
          for (let i = 0; i < 10; i++) {
            await db().transaction(async (tx) => {
              const [statement] = await tx
                .insert(schema.agencyStatements)
                .values({ ...EMPTY_STATEMENT, agencyCode: "police", businessDate: addDays("2025-01-01", writer * 20 + i) })
                .returning({ id: schema.agencyStatements.id });
              await tx.insert(schema.writeOffNotices).values({
                agencyCode: "police",
                kind: "statement.ready",
                statementId: statement!.id,
                payload: { type: "statement.ready", writer, i },
              });
              // Hold the transaction open a little, so commits interleave with the readers' pages.
              await tx.execute(sql`select 1`);
            });
          }
        })(),
      );
      const seen: number[] = [];
      let cursor = 0;
      let done = false;
      void Promise.all(writers).then(() => (done = true));
      for (let rounds = 0; rounds < 500; rounds++) {
        const page = await call(police, "GET", `/notices?after=${cursor}&limit=7`);
        const notices = page.body.notices as Array<{ feedSeq: number }>;
        seen.push(...notices.map((notice) => notice.feedSeq));
        cursor = page.body.nextCursor as number;
        if (done && !page.body.hasMore && notices.length === 0) break;
      }
      expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
      const [{ total }] = (await db()
        .select({ total: sql<number>`count(*)::int` })
        .from(schema.writeOffNotices)
        .where(eq(schema.writeOffNotices.agencyCode, "police"))) as [{ total: number }];
      expect(seen.length).toBe(total);
      expect(total).toBeGreaterThanOrEqual(40);
    });

    it("serves a day's statement byte for byte as the back office does, with its sha256; 404 before there is one", async () => {
      expect((await call(police, "GET", "/statements/2026-11-30")).status).toBe(404);
      const figures = {
        agency: "police",
        businessDate: "2026-11-29",
        collected: 6000,
        refunded: 0,
        fees: 60,
        net: 5940,
        lines: [
          {
            billType: "traffic-fine",
            paymentTool: "line_pay" as const,
            payments: 1,
            collected: 6000,
            refunds: 0,
            refunded: 0,
            fees: 60,
            net: 5940,
          },
        ],
        reconciliation: {
          tiesOut: true,
          settledCollected: 6000,
          settledRefunded: 0,
          missingFiles: [],
          unattributed: { lines: 0, collected: 0, refunded: 0, fees: 0 },
        },
      };
      const statement = statementDocument(figures, 1);
      await db()
        .insert(schema.agencyStatements)
        .values({
          agencyCode: "police",
          businessDate: "2026-11-29",
          collected: 6000,
          refunded: 0,
          fees: 60,
          net: 5940,
          lines: figures.lines,
          reconciliation: figures.reconciliation,
          version: 1,
          sha256: statementSha256(statement),
        });
      const answer = await call(police, "GET", "/statements/2026-11-29");
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(statementJson(statement));
      expect(answer.headers.get("x-statement-sha256")).toBe(statementSha256(statement));
      expect(answer.headers.get("repr-digest")).toBe(`sha-256=:${Buffer.from(statementSha256(statement), "hex").toString("base64")}:`);
      expect((await call(water, "GET", "/statements/2026-11-29")).status).toBe(404);
      expect((await call(police, "GET", "/statements/29-11-2026")).body.code).toBe("invalid_request");
    });

    it("answers the documented node script over real HTTP, and the simulator's pushed batch", async () => {
      const server = await startApiServer();
      try {
        const script = /```js\n([\s\S]*?)```/.exec(readFileSync("docs/agency-api.md", "utf8"))![1]!;
        const file = path.join(mkdtempSync(path.join(tmpdir(), "agency-call-")), "agency-call.mjs");
        writeFileSync(file, script);
        const run = (args: string[]) =>
          promisify(execFile)(process.execPath, [file, ...args], {
            env: { ...process.env, PORTAL_URL: server.url, AGENCY_KEY_ID: police.id, AGENCY_KEY_SECRET: police.secret },
          });
        const feed = await run([]);
        expect(feed.stdout).toMatch(/^200 \{"notices":/);
        const bill = pushedBill();
        const pushed = await run(["POST", "/api/agency/v1/bills", JSON.stringify({ bills: [bill] })]);
        expect(pushed.stdout).toContain('"outcome":"created"');

        expect(await seedDemoApiKeys(db(), env)).toBeGreaterThan(0);
        expect(await seedDemoApiKeys(db(), env)).toBe(0);
        const simulator = createAgencySimulator(demoWebhookSecret, { portalUrl: server.url, apiKeyFor: demoApiKey });
        const simulatorServer = simulator.app.listen(0, "127.0.0.1");
        await new Promise((resolve) => simulatorServer.once("listening", resolve));
        try {
          const { port } = simulatorServer.address() as AddressInfo;
          const answer = await fetch(`http://127.0.0.1:${port}/_simulator/agencies/environment/push-bills`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ count: 25 }),
          });
          expect(answer.status).toBe(200);
          const body = (await answer.json()) as { created: number; results: Array<{ billType: string; writeOffNumber: string }> };
          expect(body.created).toBe(25);
          expect(await findBill(db(), "environmental-fine", body.results[0]!.writeOffNumber)).toMatchObject({ status: "unpaid" });
        } finally {
          await new Promise((resolve) => simulatorServer.close(resolve));
        }
      } finally {
        await server.close();
      }
    });

    it("forgets nonces past their window at the retention sweep", async () => {
      await db()
        .insert(schema.agencyApiNonces)
        .values({ keyId: police.id, nonce: "old-nonce-00000001", expiresAt: new Date(Date.now() - 1000) });
      await sweepRetention(db());
      expect(await db().select().from(schema.agencyApiNonces).where(eq(schema.agencyApiNonces.nonce, "old-nonce-00000001"))).toEqual([]);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 2, residents: 2 });
  },
);

describe("agency API reference page", () => {
  it("the README's demo secret one-liner gives the demo key's secret", () => {
    const readme = readFileSync("README.md", "utf8");
    const master = /createHmac\("sha256", "(demo-only-agency-api-key-master[^"]*)"\)/.exec(readme)![1]!;
    const key = demoApiKey("police");
    expect(readme).toContain(`AGENCY_KEY_ID=${key.id}`);
    expect(createHmac("sha256", master).update(key.id).digest("base64url")).toBe(key.secret);
  });

  it("lists every operation, every refusal, and a signing example the portal's own check accepts", () => {
    const reference = agencyApiReference();
    expect(reference.operations.map((operation) => operation.id).sort()).toEqual(
      Object.values(document.paths ?? {})
        .flatMap((methods) => Object.values(methods as Record<string, { operationId: string }>).map((operation) => operation.operationId))
        .sort(),
    );
    expect(reference.refusals.map((refusal) => refusal.code)).toContain("bad_signature");
    expect(reference.refusals).toHaveLength(Object.keys((document as { "x-refusals"?: object })["x-refusals"] ?? {}).length);
    const { signing } = reference;
    expect(signing.signature).toBe(signAgencyCall(signing.secret, signing));
    expect(signing.canonical.split("\n")).toEqual([signing.timestamp, signing.nonce, "POST", "/api/agency/v1/bills", signing.bodySha256]);
  });
});
