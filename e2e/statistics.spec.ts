import type { BrowserContext, Page } from "@playwright/test";
import { E2E_BACK_OFFICE_URL, E2E_PORTAL_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { OFFICE_ADDRESS, addVirtualAuthenticator, staffSignIn } from "./support/back-office";
import { expect, test } from "./support/fixtures";

/*
 * Monthly statistics as staff and residents read them: the month chosen
 * with a GET form (no script needed), each chart an image named and
 * described with its data table beside it, the CSV download, and no
 * accessibility violations, in both languages.
 */
test.describe.configure({ mode: "serial" });

let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext({
    baseURL: E2E_BACK_OFFICE_URL,
    locale: "en",
    extraHTTPHeaders: { "X-Forwarded-For": OFFICE_ADDRESS },
  });
  page = await context.newPage();
  await addVirtualAuthenticator(page);
});

test.afterAll(async () => {
  await context?.close();
});

test("an agency head reads a month's statistics of their agency, each chart beside its table, and downloads them", async () => {
  // A staff member no other spec signs in: their first sign-in sets up the passkey, whichever spec runs first.
  await staffSignIn(page, "water-head", { firstTime: true });
  await page.getByRole("navigation", { name: "Back office" }).getByRole("link", { name: "Statistics", exact: true }).click();
  await expect(page.locator("h1")).toHaveText("Statistics");
  await expect(page.getByText(/^Figures of your agencies' bills only: /)).toBeVisible();
  for (const chart of await page.locator('svg[role="img"]').all()) {
    const named = await chart.getAttribute("aria-labelledby");
    await expect(page.locator(`[id="${named}"]`)).not.toHaveText("");
  }
  await expect(page.locator("table caption").first()).toBeVisible();
  await expectNoAxeViolations(page, "on the statistics page");

  const months = page.getByLabel("Month", { exact: true });
  const earlier = await months.locator("option").nth(1).getAttribute("value");
  await months.selectOption(earlier!);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`month=${earlier}`));
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: /Download the figures of/ }).click();
  expect((await download).suggestedFilename()).toBe(`statistics-water-${earlier}.csv`);

  await page.goto("/back-office/statistics?month=1999-99");
  await expect(page.getByRole("alert")).toContainText("There are no figures for the month asked for");
  await expectNoAxeViolations(page, "with the month refused");
});

for (const locale of ["zh-TW", "en"] as const)
  test(`the public statistics page publishes the city's year in ${locale}, with a month chooser that works without script`, async ({
    browser,
  }) => {
    // Without script: the chooser is a plain GET form.
    const resident = await browser.newContext({ baseURL: E2E_PORTAL_URL, locale, javaScriptEnabled: false });
    const publicPage = await resident.newPage();
    await publicPage.goto("/statistics");
    await expect(publicPage.locator("h1")).toHaveText(locale === "en" ? "Payment statistics" : "繳費統計");
    // The year's chart and table always; the month's by agency and category when it had payments.
    await expect(publicPage.locator('svg[role="img"]').first()).toBeVisible();
    expect(await publicPage.locator("table").count()).toBe(await publicPage.locator('svg[role="img"]').count());
    const months = publicPage.getByLabel(locale === "en" ? "Month" : "月份", { exact: true });
    const earlier = await months.locator("option").nth(2).getAttribute("value");
    await months.selectOption(earlier!);
    await publicPage.getByRole("button", { name: locale === "en" ? "Show" : "查看" }).click();
    await expect(publicPage).toHaveURL(new RegExp(`/statistics\\?month=${earlier}`));
    await expect(
      publicPage.getByRole("contentinfo").getByRole("link", { name: locale === "en" ? "Payment statistics" : "繳費統計" }),
    ).toBeVisible();
    await resident.close();
    // With script, for axe: the chosen month's page.
    const checked = await browser.newContext({ baseURL: E2E_PORTAL_URL, locale });
    const checkedPage = await checked.newPage();
    await checkedPage.goto(`/statistics?month=${earlier}`);
    await expectNoAxeViolations(checkedPage);
    await checked.close();
  });
