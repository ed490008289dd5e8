import { expect, it } from "vitest";
import { composeConvenienceBarcodes } from "~/domain/convenience-barcode";
import { taipeiDate } from "~/domain/dates";
import { rawRequest, send } from "../fuzz/fuzz.mjs";
import { describeEachPortal, type RunningPortal } from "../support/databases";
import { waitFor } from "../support/portal-process.mjs";

/**
 * Client mistakes met by the built server: each gets a 4xx with a message its
 * reader understands (a localized page for a browser, a short body for a
 * provider), logged below error level, on a connection that stays usable.
 */

const BAD_REQUEST = { "zh-TW": "無法處理這個要求", en: "We could not handle this request" };

/** The log lines of one request, by the id the portal answered with, once its last line is in. */
async function logOf(portal: RunningPortal, response: Response): Promise<string[]> {
  const id = response.headers.get("x-request-id")!;
  const lines = () =>
    portal
      .output()
      .split("\n")
      .filter((line) => line.includes(id));
  await waitFor(() => lines().some((line) => /"msg":"request (completed|errored)"/.test(line)), 5_000);
  return lines();
}
const errorLevel = (lines: string[]) => lines.filter((line) => /"level":(50|60)/.test(line));

describeEachPortal("bad input", { RATE_LIMIT_FEEDBACK_PER_ADDRESS: "2/3600", RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: "2/900" }, (portal) => {
  /** A browser's form post from the portal's own page (it names its origin). */
  const post = (path: string, init: RequestInit = {}) =>
    fetch(portal().url + path, {
      method: "POST",
      redirect: "manual",
      ...init,
      headers: { origin: portal().url, "content-type": "application/x-www-form-urlencoded", ...(init.headers as Record<string, string>) },
    });

  const UNREADABLE: Array<[string, string, string]> = [
    ["JSON", "application/json", '{"lng":"en","writeOffNumber":"GF11500019"}'],
    ["plain text", "text/plain", "lng=en\r\nwriteOffNumber=GF11500019"],
    ["XML", "application/xml", '<?xml version="1.0"?><form><lng>en</lng></form>'],
    [
      "multipart with another boundary",
      "multipart/form-data; boundary=aaa",
      '--bbb\r\nContent-Disposition: form-data; name="lng"\r\n\r\nen\r\n--bbb--\r\n',
    ],
    ["multipart without a boundary", "multipart/form-data", '--x\r\nContent-Disposition: form-data; name="lng"\r\n\r\nen\r\n--x--\r\n'],
    ["multipart cut short", "multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="lng"\r\n\r\nen'],
  ];

  it.each(["/lookup/traffic-fine", "/lookup/water-bill?for=records", "/applications", "/pay", "/contact", "/language", "/scan"])(
    "%s answers a body that is not a form with the localized bad-request page, logged as info",
    async (path) => {
      for (const [name, type, body] of UNREADABLE) {
        const response = await post(path, { headers: { "content-type": type }, body });
        expect(response.status, `${name} to ${path}`).toBe(400);
        expect(await response.text(), `${name} to ${path}`).toContain(BAD_REQUEST["zh-TW"]);
        expect(errorLevel(await logOf(portal(), response)), `${name} to ${path}`).toEqual([]);
      }
      const english = await post(path, { headers: { "content-type": "application/json", "accept-language": "en" }, body: "{}" });
      expect(english.status).toBe(400);
      expect(await english.text()).toContain(BAD_REQUEST.en);
    },
  );

  it("refuses a form body over the limit with 413 and reads it all, so the connection stays usable", async () => {
    const { hostname, port, host } = new URL(portal().url);
    const server = { host: hostname, port: Number(port) };
    const body = Buffer.from(`topic=other&message=${"x".repeat(1_500_000)}`);
    for (const keepAlive of [true, false]) {
      const answer = await send(
        server,
        rawRequest({
          method: "POST",
          path: "/contact",
          headers: [
            ["Host", host],
            ["Origin", portal().url],
            ["Content-Type", "application/x-www-form-urlencoded"],
          ],
          body,
          keepAlive,
        }),
      );
      expect(answer, `keep-alive ${keepAlive}`).toEqual({ status: 413, dropped: null });
    }
  });

  it("redirects /language to any local path, whatever its characters, with a header-safe Location", async () => {
    const cases: Array<[string, string]> = [
      ["/中文?q=繳費", "/%E4%B8%AD%E6%96%87?q=%E7%B9%B3%E8%B2%BB"],
      ["/💸", "/%F0%9F%92%B8"],
      ["/bills?x=%E4%B8%AD", "/bills?x=%E4%B8%AD"],
      ["/a b", "/a%20b"],
      ["/\uD800", "/%EF%BF%BD"],
      ["/\r\nSet-Cookie: x=1", "/"],
      ["//evil.example", "/"],
    ];
    for (const [redirectTo, location] of cases) {
      const response = await post("/language", { body: new URLSearchParams({ lng: "en", redirectTo }) });
      expect(response.status, redirectTo).toBe(303);
      expect(response.headers.get("location"), redirectTo).toBe(location);
    }
  });

  it("answers NUL bytes and broken UTF-8 in provider callbacks with a short 4xx, never reaching the database", async () => {
    const notify = await fetch(`${portal().url}/payments/callbacks/ecpay/notify`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "MerchantTradeNo=%00&RtnCode=1&CheckMacValue=00",
    });
    expect(notify.status).toBe(400);
    expect(await notify.text()).toBe("0|bad request");
    const notifyField = await fetch(`${portal().url}/payments/callbacks/ecpay/notify`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "MerchantTradeNo=P2601010000000000A&RtnMsg=a%00b&CheckMacValue=00",
    });
    expect(notifyField.status).toBe(400);
    const result = await fetch(`${portal().url}/payments/callbacks/ecpay/return`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "MerchantTradeNo=P26%00&RtnCode=1",
    });
    expect(result.status).toBe(400);
    expect(await result.text()).toContain("Bad request");
    for (const path of [
      "/line-pay/cancel?order=%00",
      "/line-pay/return?transactionId=1&orderId=P26%00",
      "/line-pay/return?transactionId=%00&orderId=P26",
    ]) {
      const response = await fetch(`${portal().url}/payments/callbacks${path}`, { redirect: "manual" });
      expect(response.status, path).toBe(400);
      expect(await response.text(), path).toContain("Bad request");
      expect(errorLevel(await logOf(portal(), response)), path).toEqual([]);
    }
    // Not UTF-8: read as the replacement character, so simply no such order.
    const notUtf8 = await fetch(`${portal().url}/payments/callbacks/line-pay/cancel?order=%C3%28%FF`, { redirect: "manual" });
    expect(notUtf8.status).toBe(404);
    const tooLarge = await fetch(`${portal().url}/payments/callbacks/ecpay/notify`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `MerchantTradeNo=P26&x=${"y".repeat(30_000)}`,
    });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toContain("Request too large");
  });

  it("answers a Host header that is not a host name with 400, not a server error", async () => {
    const { hostname, port } = new URL(portal().url);
    for (const host of ["中文 example", "a b", "[::1"]) {
      const answer = await send(
        { host: hostname, port: Number(port) },
        rawRequest({ method: "GET", path: "/faq", headers: [["Host", host]] }),
      );
      expect(answer.status, host).toBe(400);
      expect(answer.dropped, host).toBeNull();
    }
  });

  it("keeps the connection when an answer comes before the body: a refused cross-site post, a post to a page without a form, an address too long", async () => {
    const { hostname, port, host } = new URL(portal().url);
    const server = { host: hostname, port: Number(port) };
    const big = Buffer.from(`lng=en&redirectTo=/&x=${"y".repeat(600_000)}`);
    for (const keepAlive of [true, false]) {
      const refused = await send(
        server,
        rawRequest({
          method: "POST",
          path: "/language",
          headers: [
            ["Host", host],
            ["Origin", "https://evil.example"],
            ["Content-Type", "application/x-www-form-urlencoded"],
          ],
          body: big,
          keepAlive,
        }),
      );
      expect(refused, `cross-site, keep-alive ${keepAlive}`).toEqual({ status: 403, dropped: null });
      const noAction = await send(
        server,
        rawRequest({
          method: "POST",
          path: "/faq",
          headers: [
            ["Host", host],
            ["Origin", portal().url],
            ["Content-Type", "application/x-www-form-urlencoded"],
          ],
          body: big,
          keepAlive,
        }),
      );
      expect(noAction, `page without a form, keep-alive ${keepAlive}`).toEqual({ status: 405, dropped: null });
      const longAddress = await send(
        server,
        rawRequest({ method: "GET", path: `/q?n=${"9".repeat(200_000)}`, headers: [["Host", host]], keepAlive }),
      );
      expect(longAddress.dropped, `long address, keep-alive ${keepAlive}`).toBeNull();
      expect(longAddress.status).toBe(431);
    }
  });

  it("refuses a write whose origin the browser does not vouch for, and trusts no X-Forwarded-Host without TRUST_PROXY", async () => {
    const form = new URLSearchParams({ lng: "en", redirectTo: "/faq" });
    const attempt = (headers: Record<string, string>) =>
      fetch(`${portal().url}/language`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: form,
      });
    const refused: Array<Record<string, string>> = [
      { origin: "http://evil.example", "x-forwarded-host": "evil.example" },
      {},
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { referer: "https://evil.example/page" },
      { referer: `${portal().url.replace("127.0.0.1", "localhost")}/faq` },
      { origin: "null", referer: `${portal().url}/faq` },
    ];
    for (const headers of refused) {
      const response = await attempt(headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(await response.text()).toContain("Forms must be sent from this website");
      const lines = await logOf(portal(), response);
      expect(
        lines.some((line) => line.includes('"level":40') && line.includes("cross-site write refused")),
        lines.join("\n"),
      ).toBe(true);
      expect(errorLevel(lines)).toEqual([]);
    }
    const accepted: Array<Record<string, string>> = [
      { origin: portal().url },
      { "sec-fetch-site": "same-origin" },
      { referer: `${portal().url}/anti-fraud?x=1` },
    ];
    for (const headers of accepted) {
      const response = await attempt(headers);
      expect(response.status, JSON.stringify(headers)).toBe(303);
      expect(response.headers.get("location")).toBe("/faq");
    }
  });

  it("tells a browser without JavaScript when to try again: Retry-After on every 429, and the time on the page", async () => {
    const minutesIn = (response: Response) => {
      const seconds = Number(response.headers.get("retry-after"));
      expect(seconds).toBeGreaterThan(0);
      return Math.ceil(seconds / 60);
    };

    const message = { topic: "other", name: "測試", email: "retry@example.tw", message: "同一個地址送出的訊息。" };
    for (let i = 0; i < 2; i++) expect((await post("/contact", { body: new URLSearchParams(message) })).status).toBe(303);
    const contact = await post("/contact", { body: new URLSearchParams(message) });
    expect(contact.status).toBe(429);
    expect(await contact.text()).toContain(`請於 ${minutesIn(contact)} 分鐘後再試`);
    const contactEn = await post("/contact", { headers: { "accept-language": "en" }, body: new URLSearchParams(message) });
    const minutes = minutesIn(contactEn);
    expect(await contactEn.text()).toContain(`try again in ${minutes} minute${minutes === 1 ? "" : "s"}`);

    // Two failed look-ups of one number, then it is refused for a while (the captcha is not even read).
    const lookup = () =>
      post("/lookup/traffic-fine", {
        body: new URLSearchParams({ intent: "lookup", writeOffNumber: "GF11500022", captchaToken: "x", captchaAnswer: "0" }),
      });
    for (let i = 0; i < 2; i++) expect((await lookup()).status).toBe(400);
    const refused = await lookup();
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain(`查詢失敗次數過多，請於 ${minutesIn(refused)} 分鐘後再試`);

    // An application's case number has the same budget: wrong answers to it, then it waits.
    const caseQuery = () =>
      post("/applications", {
        body: new URLSearchParams({
          intent: "query",
          caseNumber: "AR1151100011",
          checkCode: "123456",
          captchaToken: "x",
          captchaAnswer: "0",
        }),
      });
    for (let i = 0; i < 2; i++) expect((await caseQuery()).status).toBe(400);
    const caseRefused = await caseQuery();
    expect(caseRefused.status).toBe(429);
    expect(await caseRefused.text()).toContain(`查詢失敗次數過多，請於 ${minutesIn(caseRefused)} 分鐘後再試`);

    // Scanning shares the limit: guessing a bill's amount is refused the same way.
    const deadline = taipeiDate(new Date(Date.now() + 20 * 86_400_000));
    const guess = (amount: number) => {
      const [barcode1, barcode2, barcode3] = composeConvenienceBarcodes({
        deadline,
        collectionItemCode: "HB8",
        writeOffNumber: "HF115000010",
        period: "1150",
        amount,
      });
      return post("/scan", { body: new URLSearchParams({ barcode1, barcode2, barcode3, source: "manual" }) });
    };
    for (let i = 1; i <= 2; i++) expect((await guess(i)).status).toBe(400);
    const scan = await guess(3);
    expect(scan.status).toBe(429);
    expect(await scan.text()).toContain(`查詢失敗次數過多，請於 ${minutesIn(scan)} 分鐘後再試`);
  });

  it("explains a mistyped case number and check code in either language, keeping what was typed", async () => {
    const typed = { intent: "query", caseNumber: "ar-115 11", checkCode: "12a456", captchaToken: "x", captchaAnswer: "" };
    const chinese = await post("/applications", { body: new URLSearchParams(typed) });
    expect(chinese.status).toBe(400);
    const page = await chinese.text();
    expect(page).toContain("案件編號是 2 個英文字母加 10 位數字，請對照申辦收據");
    expect(page).toContain("查詢碼是 6 位數字，請對照申辦收據");
    expect(page).toContain('value="ar-115 11"');
    expect(page).toContain('value="12a456"');
    const english = await post("/applications", {
      headers: { "accept-language": "en" },
      body: new URLSearchParams({ ...typed, caseNumber: "" }),
    });
    expect(english.status).toBe(400);
    const englishPage = await english.text();
    expect(englishPage).toContain("Enter the case number");
    expect(englishPage).toContain("The check code is 6 digits: compare it with your receipt of application");
    expect(englishPage).toContain('value="12a456"');
    // "New image" without JavaScript: a new challenge, and the two fields as typed.
    const refreshed = await post("/applications", { body: new URLSearchParams({ ...typed, intent: "refresh" }) });
    expect(refreshed.status).toBe(200);
    const refreshedPage = await refreshed.text();
    expect(refreshedPage).toContain('value="ar-115 11"');
    expect(refreshedPage).toContain('value="12a456"');
    expect(refreshedPage).not.toContain('value="x"');
  });
});
