import type { Page } from "@playwright/test";
import { E2E_IDP_URL, E2E_SANDBOX_URL, E2E_STAFF_IDP_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, lookUp, test } from "./support/fixtures";

/**
 * The local identity provider and the sandbox payment pages are what a resident
 * meets in the demo and what the tests walk through: they keep the portal's
 * conventions and speak the visitor's language.
 */
async function expectPortalConventions(page: Page, locale: "zh-TW" | "en", where: string) {
  await expect(page.locator("html")).toHaveAttribute("lang", locale === "en" ? "en" : "zh-Hant-TW");
  // The skip link is the first thing Tab reaches, and it leads to the main content.
  await page.locator("body").focus();
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: locale === "en" ? "Skip to main content" : "跳到主要內容區塊" });
  await expect(skip).toBeFocused();
  await expect(skip).toHaveAttribute("href", "#C");
  // The ::: anchors of the three regions, with their access keys, inside the landmarks.
  for (const [key, region] of [
    ["U", "banner"],
    ["C", "main"],
    ["Z", "contentinfo"],
  ] as const) {
    const anchor = page.getByRole(region).locator(`a[accesskey="${key}"]`);
    await expect(anchor).toHaveText(":::");
    await expect(anchor).toHaveAttribute("id", key);
    await expect(anchor).toHaveAttribute("title", /.+/);
  }
  if (locale === "en") {
    // English throughout: no Chinese in the title, the heading or the buttons.
    expect(await page.title()).not.toMatch(/\p{Script=Han}/u);
    await expect(page.locator("h1")).not.toHaveText(/\p{Script=Han}/u);
    for (const text of await page.getByRole("button").allTextContents()) expect(text).not.toMatch(/\p{Script=Han}/u);
  } else {
    expect(await page.title()).toMatch(/\p{Script=Han}/u);
  }
  await expectNoAxeViolations(page, where);
}

async function startPayment(page: Page, billType: string, number: string, tool: RegExp, payButton: RegExp) {
  await lookUp(page, billType, number);
  await page.getByRole("button", { name: /^(去繳費|Pay)$/ }).click();
  await page.getByLabel(tool).check();
  await page.getByRole("button", { name: payButton }).click();
}

for (const locale of ["zh-TW", "en"] as const) {
  const english = locale === "en";
  test.describe(`the sandboxes in ${locale}`, () => {
    test.use({ locale });

    test("the city app's sign-in page", async ({ page }) => {
      await page.goto("/login");
      await expect(page).toHaveURL(new RegExp(`^${E2E_IDP_URL}/interaction/`));
      await expect(page.locator("h1")).toHaveText(english ? "Sign in to the Taichung app" : "登入臺中通");
      await expectPortalConventions(page, locale, `on the sign-in page (${locale})`);
      // A wrong password is told in the same language, and the title says so first.
      await page.getByLabel(english ? "Username" : "帳號").fill("meihsin");
      await page.getByLabel(english ? "Password" : "密碼").fill("wrong");
      await page.getByRole("button", { name: english ? "Sign in" : "登入", exact: true }).click();
      await expect(page.getByRole("alert")).toContainText(english ? "Username or password is wrong" : "帳號或密碼不正確");
      expect(await page.title()).toMatch(english ? /^Sign-in failed/ : /^登入失敗/);
    });

    test("the LINE Pay and ECPay payment pages", async ({ page }) => {
      const [linePayBill, ecpayBill] = unpaidDemoBills("school-fee", english ? 3 : 5, 2);
      const payButton = english ? /^Pay NT\$/ : /^確認付款/;
      await startPayment(page, "school-fee", linePayBill!, /^LINE Pay/, payButton);
      await expect(page).toHaveURL(/\/line-pay\/approve\//);
      await expect(page.locator("h1")).toHaveText(english ? "LINE Pay payment" : "LINE Pay 付款");
      await expectPortalConventions(page, locale, `on the LINE Pay page (${locale})`);

      // Another visitor, so only the second bill goes to checkout.
      await page.context().clearCookies();
      await startPayment(page, "school-fee", ecpayBill!, english ? /^Credit card/ : /^信用卡/, payButton);
      await expect(page).toHaveURL(/\/Cashier\/AioCheckOut\/V5$/);
      await expect(page.locator("h1")).toHaveText(english ? "Credit card payment" : "信用卡付款");
      await expectPortalConventions(page, locale, `on the ECPay page (${locale})`);
      await page.getByRole("button", { name: english ? "Approve" : "核准付款" }).click();
      await expect(page.locator("h1")).toHaveText(english ? "Payment complete" : "付款成功");
    });
  });
}

// Its login page is reached only through the back office's sign-in; here, that it is up as an issuer of its own.
test("the city's staff directory is an identity provider apart from the city app's", async ({ request }) => {
  const issuerAt = async (url: string) => {
    const discovery = await request.get(`${url}/.well-known/openid-configuration`);
    expect(discovery.ok()).toBe(true);
    return ((await discovery.json()) as { issuer: string }).issuer;
  };
  const staffIssuer = await issuerAt(E2E_STAFF_IDP_URL);
  expect(staffIssuer).toBe(E2E_STAFF_IDP_URL);
  expect(staffIssuer).not.toBe(await issuerAt(E2E_IDP_URL));
});

// The demo's receipts of application: what a resident would hold to follow a case by its number.
for (const locale of ["zh-TW", "en"] as const) {
  test(`the e-counter's receipts of application list each demo case with its check code (${locale})`, async ({ page }) => {
    await page.goto(`${E2E_SANDBOX_URL}/_sandbox/ecounter?lang=${locale}`);
    await expect(page.locator("h1")).toHaveText(locale === "en" ? "Receipts of application" : "申辦收執聯");
    const rows = page.getByRole("table").getByRole("row");
    // A header row and one per demo case, each with a case number and a six-digit check code.
    await expect(rows.nth(1).getByRole("cell").nth(1)).toHaveText(/^[A-Z]{2}\d{10}$/);
    await expect(rows.nth(1).getByRole("cell").nth(2)).toHaveText(/^\d{6}$/);
    await expectPortalConventions(page, locale, `on the e-counter's receipts (${locale})`);
  });
}
