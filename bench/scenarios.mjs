import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";

/**
 * Benchmark scenarios. Every scenario runs against the portal and is reported
 * as a ratio to the home page measured in the same run. Plain GET scenarios
 * (`baseline: true`) are also compared with a bare Node server answering the
 * same bytes. A scenario either has a `path`, or `requests` (an autocannon
 * request sequence per connection), and a `verify` that runs it once first so
 * a benchmark never measures the wrong outcome (a captcha failure instead of a
 * not-found, say).
 */

// The bench server runs in demo mode: the demo captcha secret (app/base/env.server.ts)
// and the derivation of app/lookup/captcha.server.ts `captchaAnswer`.
const DEMO_CAPTCHA_SECRET = "demo-only-captcha-secret-do-not-use-in-production-01";
const captchaAnswer = (token) => {
  const digest = createHmac("sha256", DEMO_CAPTCHA_SECRET)
    .update(`captcha-answer|${token.split(".")[1]}`)
    .digest();
  return Array.from(digest.subarray(0, 5), (byte) => String(byte % 10)).join("");
};
const tokenIn = (html) => /name="captchaToken" value="([^"]+)"/.exec(html)?.[1];
const cookieFrom = (setCookie) => (Array.isArray(setCookie) ? setCookie : [setCookie]).map((c) => c.split(";")[0]).join("; ");

/** Environment the bench server runs with: limits high enough not to be what is measured. */
export const BENCH_SERVER_ENV = {
  RATE_LIMIT_LOOKUPS_PER_ADDRESS: "100000000/600",
  RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "100000000/600",
  RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: "100000000/600",
};

// A parking-fee number with a valid check digit that no demo bill has.
const NOT_FOUND_NUMBER = "1150299999999995";

/** A GET of the look-up page, then the POST of a look-up of a number no bill has. */
/** A look-up as a browser posts it from the page: with its Origin, which the portal requires. */
function notFoundLookup(origin) {
  const path = "/lookup/parking-fee";
  return [
    {
      method: "GET",
      path,
      onResponse: (status, body, context, headers) => {
        context.token = tokenIn(body);
        context.cookie = cookieFrom(headers["set-cookie"]);
      },
    },
    {
      method: "POST",
      path,
      setupRequest: (request, context) => ({
        ...request,
        headers: { ...request.headers, cookie: context.cookie, origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          intent: "lookup",
          writeOffNumber: NOT_FOUND_NUMBER,
          captchaToken: context.token,
          captchaAnswer: captchaAnswer(context.token),
        }).toString(),
      }),
    },
  ];
}

async function verifyNotFound(baseUrl) {
  const page = await fetch(`${baseUrl}/lookup/parking-fee`);
  const token = tokenIn(await page.text());
  const response = await fetch(`${baseUrl}/lookup/parking-fee`, {
    method: "POST",
    headers: { cookie: cookieFrom(page.headers.getSetCookie()), origin: baseUrl, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      intent: "lookup",
      writeOffNumber: NOT_FOUND_NUMBER,
      captchaToken: token,
      captchaAnswer: captchaAnswer(token),
    }),
  });
  const html = await response.text();
  if (response.status !== 400 || !html.includes("查無這個銷帳編號"))
    throw new Error(`not-found look-up answered ${response.status} without the not-found message`);
}

export function scenarios({ root, baseUrl }) {
  const qrLink = execFileSync(
    process.execPath,
    [
      "cli.js",
      "bill-link",
      "--bill-type",
      "traffic-fine",
      "--number",
      "GF11500019",
      "--expires",
      "2099-12-31",
      "--key",
      "police-demo",
      "--base-url",
      "http://bench",
    ],
    { cwd: root, encoding: "utf8" },
  ).trim();
  const qrPath = qrLink.replace("http://bench", "");
  return [
    { name: "home", path: "/", headers: { "accept-language": "zh-TW" }, baseline: true },
    { name: "healthz", path: "/healthz", baseline: true },
    { name: "lookup-page", path: "/lookup/traffic-fine", headers: { "accept-language": "zh-TW" } },
    {
      name: "qr-link-lookup",
      path: qrPath,
      expectStatus: 303,
      verify: async (baseUrl) => {
        const response = await fetch(baseUrl + qrPath, { redirect: "manual" });
        if (response.status !== 303 || response.headers.get("location") !== "/bills")
          throw new Error(`QR link answered ${response.status}`);
      },
    },
    { name: "not-found-lookup", requests: notFoundLookup(baseUrl), verify: verifyNotFound, note: "GET page + POST look-up per round" },
  ];
}
