import { request as httpRequest } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capturedLogger, listen } from "../../tests/support/payments";
import { rejectCrossSiteWrites } from "./same-origin.server";

/** A post to an app that has only the check, with exactly these headers (Host included). */
function post(url: string, headers: Record<string, string>, path = "/form"): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } },
      (res) => {
        res.resume();
        resolve(res.statusCode!);
      },
    );
    req.once("error", reject);
    req.end("a=1");
  });
}

for (const trustProxy of [0, 1]) {
  describe(`the cross-site write check, TRUST_PROXY=${trustProxy}`, () => {
    const { logs, logger } = capturedLogger("info");
    let server: Awaited<ReturnType<typeof listen>>;
    beforeAll(async () => {
      const app = express();
      app.set("trust proxy", trustProxy);
      app.use((req, _res, next) => {
        (req as unknown as { log: typeof logger }).log = logger;
        next();
      });
      app.use(rejectCrossSiteWrites(trustProxy));
      app.post("/form", (_req, res) => void res.send("ok"));
      app.post("/api/agency/v1/bills", (_req, res) => void res.send("ok"));
      app.post("/api/agency/v1-not/bills", (_req, res) => void res.send("ok"));
      server = await listen(app);
    });
    afterAll(() => server.server.close());

    it("accepts what a browser sends from the portal's own page", async () => {
      const host = new URL(server.url).host;
      expect(await post(server.url, { origin: server.url })).toBe(200);
      expect(await post(server.url, { "sec-fetch-site": "same-origin" })).toBe(200);
      expect(await post(server.url, { referer: `${server.url}/contact?x=1` })).toBe(200);
      // Host names are compared as URLs name them: case and the default port do not matter.
      expect(await post(server.url, { host: "PORTAL.example:80", origin: "http://portal.example" })).toBe(200);
      expect(await post(server.url, { host: host.toUpperCase(), origin: server.url })).toBe(200);
    });

    it("refuses a post the browser does not place on the portal, logged as a warning", async () => {
      const refused: Array<Record<string, string>> = [
        {},
        { origin: "null" },
        { origin: "https://evil.example" },
        { origin: "not a url" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "none", referer: `${server.url}/contact` },
        { referer: "https://evil.example/contact" },
        { host: "portal.example", origin: "http://portal.example.evil" },
      ];
      for (const headers of refused) {
        expect(await post(server.url, headers), JSON.stringify(headers)).toBe(403);
      }
      const refusals = logs.filter((entry) => entry.msg === "cross-site write refused");
      expect(refusals.length).toBeGreaterThanOrEqual(8);
      expect(refusals.every((entry) => entry.level === 40)).toBe(true);
      // The Referer is logged as its origin only: its path and query can hold write-off numbers.
      expect(JSON.stringify(refusals)).not.toContain("/contact");
    });

    it("lets agencies' servers call the agency API (signed, no browser), and nothing else past the check", async () => {
      expect(await post(server.url, {}, "/api/agency/v1/bills")).toBe(200);
      expect(await post(server.url, { origin: "https://agency.example" }, "/api/agency/v1/bills")).toBe(200);
      expect(await post(server.url, {}, "/api/agency/v1-not/bills")).toBe(403);
    });

    it(
      trustProxy > 0 ? "believes X-Forwarded-Host from the proxy in front" : "does not believe X-Forwarded-Host without a proxy of ours",
      async () => {
        const forged = { origin: "https://evil.example", "x-forwarded-host": "evil.example" };
        expect(await post(server.url, forged)).toBe(trustProxy > 0 ? 200 : 403);
        // Behind the proxy the host is the public one, not the address the proxy connected to.
        expect(await post(server.url, { origin: server.url, "x-forwarded-host": "portal.example" })).toBe(trustProxy > 0 ? 403 : 200);
      },
    );
  });
}
