import { captchaDigits, CAPTCHA_LABEL, expect, gotoHydrated, NUMBER_LABEL, submitLookup, test } from "./support/fixtures";
import type { Page } from "@playwright/test";

/** The element a screen reader is on: its tag and text. */
async function focused(page: Page) {
  return page.evaluate(() => ({ tag: document.activeElement?.tagName ?? "", text: document.activeElement?.textContent?.trim() ?? "" }));
}

for (const { locale, lookUpLink, lookUpHeading, faqLink, faqHeading, billsHeading } of [
  {
    locale: "zh-TW",
    lookUpLink: "查詢帳單",
    lookUpHeading: "查詢帳單",
    faqLink: "常見問題",
    faqHeading: "常見問題",
    billsHeading: "查詢結果",
  },
  {
    locale: "en",
    lookUpLink: "Look up a bill",
    lookUpHeading: "Look up a bill",
    faqLink: "FAQ",
    faqHeading: /Frequently asked questions|FAQ/,
    billsHeading: "Your bills",
  },
]) {
  test.describe(`moving between pages in the browser (${locale})`, () => {
    test.use({ locale });

    test("following a menu link brings focus to the new page's heading", async ({ page }) => {
      await gotoHydrated(page, "/guide");
      await page.locator("nav.site-nav").getByRole("link", { name: lookUpLink, exact: true }).click();
      await expect(page).toHaveURL(/\/lookup$/);
      await expect(page.locator("main h1")).toBeFocused();
      expect(await focused(page)).toEqual({ tag: "H1", text: lookUpHeading });

      // Again from that page, by keyboard.
      await page.locator("nav.site-nav").getByRole("link", { name: faqLink, exact: true }).focus();
      await page.keyboard.press("Enter");
      await expect(page).toHaveURL(/\/faq$/);
      await expect(page.locator("main h1")).toBeFocused();
      await expect(page.locator("main h1")).toHaveText(faqHeading);
    });

    test("a successful look-up brings focus to the found bill's page heading; a refused one to the error summary", async ({ page }) => {
      await gotoHydrated(page, "/lookup/traffic-fine");
      await page.getByRole("button", { name: /^(查詢|Look up)$/ }).click();
      await expect(page.locator(".error-summary")).toBeFocused();

      await page.getByLabel(NUMBER_LABEL).fill("GF11500019");
      await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
      await submitLookup(page);
      await expect(page).toHaveURL(/\/bills$/);
      await expect(page.locator("main h1")).toBeFocused();
      await expect(page.locator("main h1")).toHaveText(billsHeading);
    });
  });
}
