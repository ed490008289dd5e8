import { createHash, createHmac, randomInt, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taipeiDate } from "~/domain/dates";
import { signIn, type SignedIn } from "../support/back-office-browser";
import { freePort, startPortal, waitFor } from "../support/portal-process.mjs";
import { payerAtLinePay } from "../support/payments";
import { residentBrowser } from "../support/resident";
import type { SoftwareAuthenticator } from "../support/software-authenticator";

/**
 * A new agency plugs in as its integrator would, on the built portal: the
 * city administrator sets its webhook receiver and gives it a key in the
 * back office (each secret shown once, after a passkey signature); from then
 * on the integrator has only the OpenAPI document and those two secrets. It
 * signs by the document's rule (its own code, not the portal's), pushes
 * bills, sees a resident pay one through the sandbox, receives the signed
 * notice and finds it in the feed, and asks for the day's statement.
 */

const FORM = "application/x-www-form-urlencoded";
const INTEGRATION = "/back-office/catalogue/police/integration";
const ROUTE = "routes/back-office.catalogue.$agency.integration";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** The agency's own receiver: every POST kept as it came. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/write-offs`, received };
}

/** The receiver's check, as docs/agency-write-off-webhooks.md describes it: any `v1` over "<t>.<body>" under our secret. */
function signedBy(secret: string, header: string, body: string): boolean {
  const parts = header.split(",").map((part) => part.split("=", 2) as [string, string]);
  const t = parts.find(([name]) => name === "t")?.[1];
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return Math.abs(Date.now() / 1000 - Number(t)) < 300 && parts.some(([name, value]) => name === "v1" && value === expected);
}

/** A traffic-fine number under its printed rule (GF, 10 digits, mod 10 weights 1-3-7): the agency's own numbering. */
function trafficFineNumber(): string {
  const body = `GF${String(randomInt(10_000_000)).padStart(7, "0")}`;
  const weights = [1, 3, 7];
  const sum = [...body].reduce((acc, ch, i) => acc + (/\d/.test(ch) ? Number(ch) : ch.charCodeAt(0) - 55) * weights[i % 3]!, 0);
  return body + String((10 - (sum % 10)) % 10);
}

describe("an agency integrating from the OpenAPI document alone [pglite]", () => {
  let portal: Awaited<ReturnType<typeof startPortal>>;
  let origin: string;
  let admin: SignedIn;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    const port = await freePort();
    origin = `http://localhost:${port}`;
    // Jobs every half second: the outbox delivers while the test waits.
    portal = await startPortal({ PORT: String(port), PUBLIC_URL: origin, BACK_OFFICE_URL: origin, JOBS_INTERVAL_MS: "500" });
    admin = await signIn(origin, "city-admin");
  }, 180_000);
  afterAll(async () => {
    await portal?.stop();
    receiver?.server.close();
  });

  const post = (path: string, fields: Record<string, string>, data = false) =>
    admin.browser.request(`${origin}${path}${data ? `?_data=${encodeURIComponent(ROUTE)}` : ""}`, {
      method: "POST",
      headers: { origin, "content-type": FORM },
      body: new URLSearchParams(fields),
    });

  /** An act the administrator signs with their passkey; the page that shows the secret once. */
  async function signedAct(fields: Record<string, string>): Promise<{ id: string; secret: string }> {
    const prepared = await post(INTEGRATION, fields, true);
    const { answer } = (await prepared.json()) as {
      answer: { stage: string; options: Parameters<SoftwareAuthenticator["authenticate"]>[0] };
    };
    expect(answer.stage, `${fields.intent} asks for a passkey signature`).toBe("confirm");
    const credential = JSON.stringify(admin.authenticator.authenticate(answer.options));
    const shown = await post(INTEGRATION, { intent: "confirm-credential", credential });
    const page = await shown.text();
    expect(shown.status, page.slice(0, 300)).toBe(200);
    const [id, secret] = [...page.matchAll(/<dd><code class="identifier">([^<]+)<\/code><\/dd>/g)].map((m) => m[1]!);
    return { id: id!, secret: secret! };
  }

  it("pushes bills, sees one paid, receives the signed notice, follows the feed and asks for the statement", async () => {
    // ---- The city administrator connects the agency -------------------------------------
    const saved = await post(INTEGRATION, { intent: "save-receiver", url: receiver.url, enabled: "on" });
    expect(saved.status).toBeLessThan(400);
    const webhook = await signedAct({ intent: "rotate-secret", overlapDays: "0" });
    const key = await signedAct({ intent: "issue-key", label: "police billing" });
    expect(key.id).toMatch(/^police\.[a-z2-7]{16}$/);
    expect(webhook.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // ---- From here on: the document and the two secrets --------------------------------
    const document = (await (await fetch(`${origin}/api/agency/v1/openapi.json`)).json()) as {
      openapi: string;
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, { operationId: string }>>;
      components: { securitySchemes: Record<string, { type: string; in: string; name: string; description: string }> };
    };
    expect(document.openapi).toBe("3.1.0");
    const operation = (id: string) => {
      for (const [path, methods] of Object.entries(document.paths)) {
        for (const [method, op] of Object.entries(methods))
          if (op.operationId === id) return { path: document.servers[0]!.url + path, method };
      }
      throw new Error(`the document has no ${id}`);
    };
    const scheme = Object.values(document.components.securitySchemes)[0]!;
    const headerNames = [...scheme.description.matchAll(/`(X-Agency-[A-Za-z-]+|x-agency-[a-z-]+)`/g)].map((m) => m[1]!.toLowerCase());
    expect(new Set(headerNames)).toEqual(new Set(["x-agency-key-id", "x-agency-timestamp", "x-agency-nonce", "x-agency-signature"]));
    expect(scheme.name.toLowerCase()).toBe("x-agency-key-id");

    /** A call signed by the document's rule: timestamp, nonce, METHOD, path with query, SHA-256 of the body, joined by "\n". */
    const call = async (id: string, values: Record<string, string> = {}, query = "", payload?: unknown) => {
      const { path, method } = operation(id);
      const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]!)) + query;
      const body = payload === undefined ? "" : JSON.stringify(payload);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = randomUUID().replaceAll("-", "");
      const canonical = [timestamp, nonce, method.toUpperCase(), filled, createHash("sha256").update(body).digest("hex")].join("\n");
      const response = await fetch(`${origin}${filled}`, {
        method: method.toUpperCase(),
        headers: {
          "content-type": "application/json",
          "x-agency-key-id": key.id,
          "x-agency-timestamp": timestamp,
          "x-agency-nonce": nonce,
          "x-agency-signature": createHmac("sha256", key.secret).update(canonical).digest("hex"),
        },
        body: body || undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
    };

    // ---- Push: two good bills and one whose number breaks the rule --------------------
    const today = taipeiDate(new Date());
    const numbers = [trafficFineNumber(), trafficFineNumber()];
    const bill = (writeOffNumber: string, amount: number) => ({
      billType: "traffic-fine",
      writeOffNumber,
      payerName: "林小華",
      subject: "BEE-5566",
      amount,
      issuedOn: today,
      dueDate: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
    });
    const pushed = await call("pushBills", {}, "", {
      bills: [bill(numbers[0]!, 1800), bill(numbers[1]!, 900), bill("GF00000000", 600)],
    });
    expect(pushed.status).toBe(200);
    const results = pushed.body.results as Array<{ index: number; outcome: string; refusal?: { code: string } }>;
    expect(results.map((row) => row.outcome)).toEqual(["created", "created", "refused"]);
    expect(results[2]!.refusal?.code).toBe("bad_write_off_number");

    // ---- A resident pays the first through LINE Pay (the sandbox) ---------------------
    const resident = residentBrowser(origin);
    const approval = await payerAtLinePay(await resident.startLinePayPayment(numbers[0]!), "approve");
    const back = await resident.browse(`${approval.pathname}${approval.search}`);
    expect(back.status).toBeLessThan(400);

    // ---- The signed notice reaches the agency's receiver ------------------------------
    await waitFor(() => receiver.received.some((r) => r.body.includes(numbers[0]!)), 30_000);
    const notice = receiver.received.find((r) => r.body.includes(numbers[0]!))!;
    expect(signedBy(webhook.secret, String(notice.headers["x-portal-signature"]), notice.body)).toBe(true);
    expect(signedBy("not the secret", String(notice.headers["x-portal-signature"]), notice.body)).toBe(false);
    const sent = JSON.parse(notice.body) as { noticeId: string; type: string; writeOffNumber: string; amount: number };
    expect(sent).toMatchObject({ type: "bill.paid", billType: "traffic-fine", writeOffNumber: numbers[0], amount: 1800, currency: "TWD" });
    expect(notice.headers["x-portal-notice-id"]).toBe(sent.noticeId);

    // ---- The same notice in the feed; the bill with its payment -----------------------
    const feed = await call("listNotices", {}, "?after=0&limit=500");
    expect(feed.status).toBe(200);
    const items = feed.body.notices as Array<{ noticeId: string; kind: string }>;
    expect(items.find((item) => item.noticeId === sent.noticeId)?.kind).toBe("bill.paid");
    const read = await call("readBill", { billType: "traffic-fine", writeOffNumber: numbers[0]! });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).toContain('"paid"');
    // The unpaid one can still be amended; the paid one no more.
    expect((await call("amendBill", { billType: "traffic-fine", writeOffNumber: numbers[1]! }, "", { amount: 1200 })).status).toBe(200);
    const late = await call("amendBill", { billType: "traffic-fine", writeOffNumber: numbers[0]! }, "", { amount: 1200 });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("already_paid");

    // ---- The statement of a day under way is not ready: the problem says so -----------
    const statement = await call("readStatement", { date: today });
    expect(statement.status).toBe(404);
    expect(statement.headers.get("content-type")).toContain("application/problem+json");
    expect(String(statement.body.detail)).not.toBe("");
  }, 120_000);
});
