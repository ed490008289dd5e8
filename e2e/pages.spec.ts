import { expect, test } from "@playwright/test";
import { expectNoAxeViolations } from "./support/axe";
import { LOCALES, PUBLIC_PAGE_PATHS } from "./support/pages";

for (const { locale, htmlLang } of LOCALES) {
  test.describe(`every page in ${locale}`, () => {
    test.use({ locale });

    for (const path of PUBLIC_PAGE_PATHS) {
      test(`${path} renders in the layout with no accessibility violations`, async ({ page }) => {
        const response = await page.goto(path);
        expect(response?.status()).toBe(200);
        await expect(page.locator("html")).toHaveAttribute("lang", htmlLang);
        await expect(page.locator("h1")).toHaveCount(1);
        await expect(page).toHaveTitle(/\S+ \| \S+/);
        await expect(page.locator("a.skip-link")).toHaveAttribute("href", "#C");
        for (const key of ["U", "C", "Z"]) {
          await expect(page.locator(`a[accesskey="${key}"]`)).toHaveText(":::");
        }
        await expectNoAxeViolations(page);
      });
    }

    test("an unknown address gets a localized 404 page in the layout", async ({ page }) => {
      const response = await page.goto("/no-such-page/anywhere");
      expect(response?.status()).toBe(404);
      await expect(page.locator("html")).toHaveAttribute("lang", htmlLang);
      await expect(page.locator("h1")).toHaveText(locale === "en" ? "Page not found" : "找不到這個網頁");
      await expect(page.locator("footer")).toBeVisible();
      await expectNoAxeViolations(page, "on the 404 page");
    });
  });
}

test.describe("the home page", () => {
  test("lists the bill catalogue grouped by issuing agency", async ({ page }) => {
    await page.goto("/");
    const catalogue = page.locator("section", { has: page.getByRole("heading", { name: "可繳費項目" }) });
    await expect(catalogue.getByRole("heading", { level: 3, name: "臺中市政府警察局" })).toBeVisible();
    await expect(catalogue.getByText("交通違規罰鍰")).toBeVisible();
    await expect(catalogue.getByRole("heading", { level: 3, name: "台灣自來水公司第四區管理處" })).toBeVisible();
    expect(await catalogue.locator(".bill-type-list > li").count()).toBeGreaterThanOrEqual(10);
  });

  test("does not carry the barcode scanner, which only the scan page loads when the camera starts", async ({ page }) => {
    const scripts: string[] = [];
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.push(response.url());
    });
    const scanner = (urls: string[]) => urls.filter((url) => /camera\.client-[A-Z0-9]+\.js$/.test(url));
    await page.goto("/");
    await page.waitForLoadState("networkidle");
    expect(scripts.length).toBeGreaterThan(0);
    expect(scanner(scripts)).toEqual([]);
    await page.getByRole("navigation", { name: "主選單" }).getByRole("link", { name: "掃描帳單" }).click();
    await page.waitForLoadState("networkidle");
    expect(scanner(scripts)).toEqual([]);
    // This browser has no camera; starting it still fetches the scanner chunk first.
    await page.getByRole("button", { name: "開啟相機" }).click();
    await expect.poll(() => scanner(scripts).length).toBe(1);
  });
});
