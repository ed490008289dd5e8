import { expect, test } from "@playwright/test";
import { gotoHydrated } from "./support/fixtures";
import { expectNoAxeViolations } from "./support/axe";
import { PAGE_PATHS, PUBLIC_PAGE_PATHS } from "./support/pages";

test("no page links to a page that does not exist", async ({ page }) => {
  const checked = new Map<string, number>();
  for (const path of PUBLIC_PAGE_PATHS) {
    await page.goto(path);
    const hrefs = await page.$$eval("a[href]", (links) => links.map((link) => link.getAttribute("href")!));
    for (const href of hrefs) {
      if (href.startsWith("#") || /^[a-z]+:/i.test(href)) continue;
      const target = href.split("#")[0]!;
      // As the visitor who sees the link: a captcha's audio link is of that visitor's session only.
      if (!checked.has(target)) checked.set(target, (await page.request.get(target)).status());
    }
  }
  const broken = [...checked].filter(([, status]) => status !== 200);
  expect(broken).toEqual([]);
  expect(checked.size).toBeGreaterThanOrEqual(PUBLIC_PAGE_PATHS.length);
});

test("the sitemap lists every page and explains the access keys", async ({ page }) => {
  await page.goto("/sitemap");
  const main = page.locator("main");
  for (const path of PAGE_PATHS) {
    await expect(main.locator(`a[href="${path}"]`).first()).toBeVisible();
  }
  await expect(main.getByText(/Alt\+U/)).toBeVisible();
  await expect(main.getByText(/Alt\+C/)).toBeVisible();
  await expect(main.getByText(/Alt\+Z/)).toBeVisible();
});

test("the anti-fraud page shows the official address prominently", async ({ page, baseURL }) => {
  await page.goto("/anti-fraud");
  await expect(page.locator(".official-address")).toHaveText(baseURL!);
  await expect(page.locator(".official-banner")).toContainText(new URL(baseURL!).host);
});

test.describe("security headers and the content security policy", () => {
  test("pages carry an enforced CSP with a fresh nonce that the page's scripts use", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const first = await page.goto("/");
    const csp = first!.headers()["content-security-policy"]!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    const inlineScripts = await page.$$eval("script:not([src])", (scripts) => scripts.length);
    expect(inlineScripts).toBeGreaterThan(0);
    // Hydration worked under the policy: a client-side navigation happens without a reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.getByRole("navigation", { name: "主選單" }).getByRole("link", { name: "常見問題" }).click();
    await expect(page.locator("h1")).toHaveText("常見問題");
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(violations).toEqual([]);

    const second = await page.request.get("/");
    expect(/'nonce-([^']+)'/.exec(second.headers()["content-security-policy"]!)![1]).not.toBe(nonce);
  });

  test("responses carry a request id and the usual protective headers", async ({ request }) => {
    const response = await request.get("/guide");
    const headers = response.headers();
    expect(headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("same-origin");
    expect(headers["x-powered-by"]).toBeUndefined();
    // Plain http (this test server): HSTS would be ignored and is not sent.
    expect(headers["strict-transport-security"]).toBeUndefined();
  });

  test("pages about a visitor's own bills and payments tell caches not to keep them, as the document too", async ({ request }) => {
    for (const path of ["/bills", "/pay", "/receipts/verify?n=R20260101-ABCDEF&s=x"]) {
      const response = await request.get(path);
      expect(response.headers()["content-type"], path).toContain("text/html");
      expect(response.headers()["cache-control"], path).toContain("no-store");
    }
  });

  test("fingerprinted assets are cached for a year, pages are not", async ({ page, request }) => {
    await page.goto("/");
    const stylesheet = await page.locator('link[rel="stylesheet"]').getAttribute("href");
    expect(stylesheet).toMatch(/^\/build\/.+-[A-Z0-9]{8}\.css$/);
    const asset = await request.get(stylesheet!);
    expect(asset.headers()["cache-control"]).toContain("immutable");
    expect(asset.headers()["cache-control"]).toContain("max-age=31536000");
  });

  test("a form posted from another site is refused with a clear message, not a server error", async ({ request }) => {
    for (const origin of ["https://evil.example", "null"]) {
      const response = await request.post("/contact", {
        headers: { Origin: origin },
        form: { topic: "other", name: "x", email: "x@example.com", message: "0123456789ab" },
      });
      expect(response.status()).toBe(403);
      expect(await response.text()).toContain("Forms must be sent from this website");
    }
  });

  test("the health check reports the database", async ({ request }) => {
    const response = await request.get("/healthz");
    expect(response.status()).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", database: "ok" });
    expect(response.headers()["cache-control"]).toBe("no-store");
  });
});

test("an error met while navigating in the browser quotes the failing request's reference, never the page's own", async ({ page }) => {
  await gotoHydrated(page, "/");
  const documentId = await page.locator('meta[name="request-id"]').getAttribute("content");
  expect(documentId).toBeTruthy();
  // The server's part (the id added to a failed data request) is tested against a real
  // database outage in tests/server/process.test.ts; here the browser's part.
  let tagged = true;
  await page.route(/\/lookup\?_data=/, (route) =>
    route.fulfill({
      status: 500,
      headers: { "Content-Type": "application/json", "X-Remix-Error": "yes" },
      body: JSON.stringify({ message: tagged ? "Unexpected Server Error [ref e2e-data-request-0001]" : "Unexpected Server Error" }),
    }),
  );
  await page.locator('a[href="/lookup"]').first().click();
  await expect(page.locator("h1")).toHaveText("系統暫時無法處理您的要求");
  await expect(page.getByText("錯誤代碼：e2e-data-request-0001")).toBeVisible();
  await expect(page.getByText(documentId!)).toHaveCount(0);
  await expectNoAxeViolations(page, "on the error page");

  // Without a reference of its own, the error page quotes none rather than the document's.
  tagged = false;
  await gotoHydrated(page, "/");
  await page.locator('a[href="/lookup"]').first().click();
  await expect(page.locator("h1")).toHaveText("系統暫時無法處理您的要求");
  await expect(page.getByText(/錯誤代碼：/)).toHaveCount(0);
  await expect(page.getByText("請稍後再試；若問題持續，請聯絡我們並說明發生的時間。")).toBeVisible();
});
