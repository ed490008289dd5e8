import type { BrowserContext, Page } from "@playwright/test";
import { E2E_BACK_OFFICE_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { OFFICE_ADDRESS, OUTSIDE_ADDRESS, addVirtualAuthenticator, staffSignIn, staffSignOut } from "./support/back-office";
import { expect, test } from "./support/fixtures";

/*
 * The back office as staff use it: signing in through the staff provider,
 * a passkey at the first sign-in (Chromium's virtual authenticator), roles
 * that open only their own agency's work, proxies, reveals signed with the
 * passkey, the allow-list and the audit chain. One browser context for the
 * group: passkeys live in its authenticator.
 */
test.describe.configure({ mode: "serial" });
test.use({ baseURL: E2E_BACK_OFFICE_URL });

let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext({
    baseURL: E2E_BACK_OFFICE_URL,
    locale: "zh-TW",
    extraHTTPHeaders: { "X-Forwarded-For": OFFICE_ADDRESS },
  });
  page = await context.newPage();
  await addVirtualAuthenticator(page);
});

test.afterAll(async () => {
  await context.close();
});

test("answers nobody outside its networks, while residents' pages stay open", async ({ request }) => {
  const refused = await request.get("/back-office/login", { headers: { "X-Forwarded-For": OUTSIDE_ADDRESS } });
  expect(refused.status()).toBe(403);
  expect(refused.headers()["content-type"]).toContain("text/plain");
  expect(await refused.text()).toContain("The back office cannot be used from this network address.");
  const resident = await request.get("/lookup", { headers: { "X-Forwarded-For": OUTSIDE_ADDRESS } });
  expect(resident.status()).toBe(200);
});

test("a handler signs in through the staff provider and sets up a passkey at the first sign-in", async () => {
  await page.goto("/back-office");
  await expect(page).toHaveURL(/\/back-office\/login\?returnTo=%2Fback-office$/);
  await expectNoAxeViolations(page, "staff sign-in page");
  await staffSignIn(page, "police-handler", { firstTime: true });
  await expectNoAxeViolations(page, "back office home");
  const nav = page.getByRole("navigation", { name: "後台功能" });
  await expect(nav.getByRole("link", { name: "繳費紀錄" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "稽核軌跡" })).toHaveCount(0);
  await expect(page.getByRole("main")).toContainText("承辦人");
  // A page the role does not open is refused in the back office's words.
  const refused = await page.goto("/back-office/audit");
  expect(refused?.status()).toBe(403);
  await expect(page.locator("h1")).toHaveText("沒有權限");
  await page.goto("/back-office");
  await staffSignOut(page);
  await expect(page.locator("h1")).toHaveText("已登出後台");
  await page.goto("/back-office");
  await expect(page).toHaveURL(/\/back-office\/login/);
});
