import { expect, it } from "vitest";
import { demoApiKey } from "~/demo/keys";
import { withCheckDigit } from "~/domain/write-off-number";
import { signedRequest } from "../support/agency-api";
import { describeEachPortal } from "../support/databases";

/**
 * The agency API as the built portal serves it (node server.js, the Express
 * composition in front of Remix): a server-to-server client with no Origin
 * and no cookie gets through, every answer is JSON (problem+json when
 * refused), never the site's HTML pages, and the route files answer the
 * paths the OpenAPI document names.
 */
const police = demoApiKey("police");
const RULE = { prefix: "GF", length: 10, charset: "digits", check: "mod10-137" } as const;

describeEachPortal("agency API over HTTP", {}, (portal) => {
  const send = (method: string, path: string, body?: unknown) => fetch(signedRequest(portal().url, police, method, path, body));

  it("takes a signed push from a client with no Origin or cookie, and answers each call with JSON", async () => {
    const number = withCheckDigit("GF9876543", RULE);
    const bill = {
      billType: "traffic-fine",
      writeOffNumber: number,
      payerName: "王小明",
      subject: "ABC-1234",
      amount: 1800,
      issuedOn: "2026-12-01",
      dueDate: "2026-12-31",
    };
    const pushed = await send("POST", "/bills", { bills: [bill] });
    expect(pushed.status).toBe(200);
    expect(pushed.headers.get("set-cookie")).toBeNull();
    expect(await pushed.json()).toMatchObject({ created: 1, results: [{ outcome: "created" }] });

    const read = await send("GET", `/bills/traffic-fine/${number}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ writeOffNumber: number, status: "unpaid" });
    const cancelled = await send("POST", `/bills/traffic-fine/${number}/cancel`, { reason: "test" });
    expect(await cancelled.json()).toMatchObject({ status: "cancelled" });
    expect((await send("GET", "/notices?after=0")).status).toBe(200);
    expect((await send("GET", "/statements/2026-11-30")).status).toBe(404);

    const document = await fetch(`${portal().url}/api/agency/v1/openapi.json`);
    expect(document.headers.get("content-type")).toContain("application/json");
    expect(((await document.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("shows the reference page, made from the document, in both languages", async () => {
    for (const [language, title] of [
      ["en", "Agency bill API reference"],
      ["zh-TW", "機關帳單介接 API 參考文件"],
    ]) {
      const page = await fetch(`${portal().url}/developers/agency-api`, { headers: { "Accept-Language": language! } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(`<h1>${title}</h1>`);
      expect(html).toContain('id="refusal-bad_signature"');
      expect(html).toContain('id="operation-pushBills"');
      expect(html).toContain("/api/agency/v1/bills/{billType}/{writeOffNumber}/cancel");
    }
  });

  it("answers malformed JSON, an oversized body, an unknown path and an unsigned call with problem+json", async () => {
    const malformed = await send("POST", "/bills", "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("content-type")).toBe("application/problem+json");
    expect(await malformed.json()).toMatchObject({ code: "malformed_json" });

    const huge = await send("POST", "/bills", `{"bills":["${"x".repeat(3 * 1024 * 1024)}"]}`);
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ code: "body_too_large" });

    const unknown = await send("GET", "/no-such-call");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "route_not_found" });

    const undecodable = await send("GET", "/bills/traffic-fine/%E0%A4%A");
    expect(undecodable.headers.get("content-type")).toMatch(/^application\/(problem\+)?json/);
    expect(undecodable.status).toBeLessThan(500);

    const unsigned = await fetch(`${portal().url}/api/agency/v1/bills`, {
      method: "POST",
      body: "{}",
      headers: { "Content-Type": "application/json" },
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: "missing_headers" });
  });
});
