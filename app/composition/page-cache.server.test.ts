import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import type { VisitorCaptcha } from "~/lookup/captcha.server";
import { visitorPageCache, visitorPagesOf } from "./page-cache.server";

const route = (
  id: string,
  parentId: string | undefined,
  path: string | undefined,
  sameForEveryVisitor: boolean | "apart-from-captcha" = false,
  index = false,
) => ({
  id,
  parentId,
  path,
  index,
  module: { handle: sameForEveryVisitor ? { sameForEveryVisitor } : {} },
});

const routes = {
  root: route("root", undefined, ""),
  "routes/_index": route("routes/_index", "root", undefined, true, true),
  "routes/faq": route("routes/faq", "root", "faq", true),
  "routes/lookup.$billType": route("routes/lookup.$billType", "root", "lookup/:billType", "apart-from-captcha"),
  "routes/guide.$": route("routes/guide.$", "root", "guide/*", true),
  "routes/notes.$id": route("routes/notes.$id", "root", "notes/:id", true),
  "routes/contact": route("routes/contact", "root", "contact"),
} as unknown as ServerBuild["routes"];

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A page that shows its nonce and request id like the portal's, counting its renders; `extra` decides per request. */
async function portal(extra: (req: express.Request, res: express.Response) => void = () => {}) {
  const renders = { count: 0 };
  const pages = visitorPageCache({ build: { routes }, ttlMs: 60_000, visitorCaptcha: newVisitorCaptcha });
  const app = express();
  app.use((req, res, next) => {
    (req as unknown as { id: string }).id = randomUUID();
    res.locals.cspNonce = randomBytes(16).toString("base64");
    res.setHeader("Content-Security-Policy", `script-src 'nonce-${res.locals.cspNonce}'`);
    next();
  });
  app.use(compression());
  app.all("*", pages.serve, (req, res) => {
    renders.count++;
    // As the look-up page's loader does: the captcha it is given, or one of its own.
    const captcha = req.path.startsWith("/lookup/")
      ? ((res.locals.visitorCaptcha as VisitorCaptcha | undefined) ?? newVisitorCaptchaNow())
      : undefined;
    if (captcha) {
      res.setHeader("Set-Cookie", captcha.setCookie);
      res.setHeader("Cache-Control", "no-store");
    }
    extra(req, res);
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    if (captcha) res.write(`<img src="/captcha?token=${captcha.token}"><input name="captchaToken" value="${captcha.token}">`);
    res.write(String(res.locals.extraBody ?? ""));
    res.write(`<meta name="request-id" content="${String((req as unknown as { id: string }).id)}"/>`);
    res.end(
      `<p>${req.headers["accept-language"] ?? "-"} #${renders.count}</p><script nonce="${res.locals.cspNonce}"></script>${"<p>text</p>".repeat(200)}`,
    );
  });
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server!.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { renders, pages, get: (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers }) };
}

function newVisitorCaptchaNow(): VisitorCaptcha {
  const id = randomBytes(12).toString("base64url");
  return {
    token: `v1.${id}.1999999999.${randomBytes(6).toString("base64url")}`,
    setCookie: `portal_session=${randomBytes(9).toString("hex")}; Path=/; HttpOnly`,
  };
}
const newVisitorCaptcha = async () => newVisitorCaptchaNow();

const tokenIn = (body: string) => /name="captchaToken" value="([^"]+)"/.exec(body)?.[1];

function nonceOf(response: Response) {
  return /'nonce-([^']+)'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
}

describe("pages the same for every visitor", () => {
  it("finds the paths of the routes that declare it, with named parameters but never a splat", () => {
    const pages = visitorPagesOf(routes);
    expect(Object.fromEntries([...pages.paths].sort())).toEqual({
      "/": "same",
      "/faq": "same",
      "/lookup/:billType": "apart-from-captcha",
      "/notes/:id": "same",
    });
    expect(pages.kindOf("/lookup/traffic-fine")).toBe("apart-from-captcha");
    expect(pages.kindOf("/notes/7")).toBe("same");
    expect([pages.kindOf("/lookup/a/b"), pages.kindOf("/guide/x"), pages.kindOf("/contact"), pages.kindOf("/faq/")]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });

  it("renders once, then answers with this request's nonce and request id, matching its header", async () => {
    const site = await portal();
    const first = await site.get("/", { "accept-language": "en" });
    const second = await site.get("/", { "accept-language": "en" });
    const [firstBody, secondBody] = [await first.text(), await second.text()];
    expect(site.renders.count).toBe(1);
    expect(secondBody).toContain("#1");
    expect(secondBody).toContain(`nonce="${nonceOf(second)}"`);
    expect(nonceOf(second)).not.toBe(nonceOf(first));
    expect(secondBody).not.toContain(nonceOf(first)!);
    const ids = [firstBody, secondBody].map((body) => /request-id" content="([^"]+)"/.exec(body)?.[1]);
    expect(ids[0]).not.toBe(ids[1]);
    expect(second.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  it("keeps one page per language and host, and compresses what it answers from memory", async () => {
    const site = await portal();
    await site.get("/", { "accept-language": "en" });
    const zh = await site.get("/", { "accept-language": "zh-TW" });
    expect(await zh.text()).toContain("zh-TW #2");
    await site.get("/", { "accept-language": "en", cookie: "lng=zh-TW" });
    expect(site.renders.count).toBe(3);
    const gzipped = await site.get("/", { "accept-language": "zh-TW", "accept-encoding": "gzip" });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    expect(await gzipped.text()).toContain("zh-TW #2");
    expect(site.renders.count).toBe(3);
  });

  it("always renders for a session cookie, a query string, another path or method", async () => {
    const site = await portal();
    for (let i = 0; i < 2; i++) {
      await site.get("/", { cookie: "portal_member=abc" });
      await site.get("/", { cookie: "lng=en; visitor=1" });
      await site.get("/?_data=root");
      await site.get("/contact");
      await site.get("/lookup/traffic-fine", { cookie: "portal_session=abc" });
    }
    expect(site.renders.count).toBe(10);
  });

  it("never keeps an answer that sets a cookie, is private, or is not a 200", async () => {
    let call = 0;
    const site = await portal((_req, res) => {
      call++;
      if (call === 1) res.setHeader("Set-Cookie", "captcha=1");
      else if (call === 2) res.setHeader("Cache-Control", "private, no-store");
      else if (call === 3) res.status(503);
    });
    for (let i = 0; i < 4; i++) await site.get("/faq");
    expect(site.renders.count).toBe(4);
    await site.get("/faq");
    expect(site.renders.count).toBe(4);
  });

  it("gives every visitor of a page kept apart from its captcha a captcha and a session of its own", async () => {
    const site = await portal();
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const response = await site.get("/lookup/traffic-fine", { "accept-language": "en" });
      answers.push({
        body: await response.text(),
        cookie: response.headers.get("set-cookie"),
        cache: response.headers.get("cache-control"),
      });
    }
    expect(site.renders.count).toBe(1);
    const tokens = answers.map((answer) => tokenIn(answer.body));
    expect(new Set(tokens).size).toBe(3);
    expect(new Set(answers.map((answer) => answer.cookie)).size).toBe(3);
    for (const [i, answer] of answers.entries()) {
      expect(answer.body).toContain(`/captcha?token=${tokens[i]}"`);
      expect(answer.body).toContain("en #1");
      expect(answer.cookie).toMatch(/^portal_session=[0-9a-f]+; Path=\/; HttpOnly$/);
      expect(answer.cache).toBe("no-store");
      for (const other of tokens.filter((token) => token !== tokens[i])) expect(answer.body).not.toContain(other!.split(".")[1]);
    }
    // Each bill type is a page of its own.
    await site.get("/lookup/parking-fee", { "accept-language": "en" });
    expect(site.renders.count).toBe(2);
  });

  it("never keeps a captcha page that shows its challenge in another form, or sets another cookie", async () => {
    let call = 0;
    const site = await portal((_req, res) => {
      call++;
      const captcha = res.locals.visitorCaptcha as VisitorCaptcha;
      if (call === 1) res.locals.extraBody = `<a href="/captcha?id=${captcha.token.split(".")[1]}">`;
      else if (call === 2) res.setHeader("Set-Cookie", [captcha.setCookie, "other=1"]);
    });
    for (let i = 0; i < 3; i++) await site.get("/lookup/traffic-fine");
    expect(site.renders.count).toBe(3);
    await site.get("/lookup/traffic-fine");
    expect(site.renders.count).toBe(3);
  });

  it("forgets every page when cleared (the catalogue changed)", async () => {
    const site = await portal();
    await site.get("/");
    site.pages.clear();
    expect(await (await site.get("/")).text()).toContain("#2");
  });
});
