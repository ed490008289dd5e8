import { expect, test } from "@playwright/test";

test.describe("first visit with an English browser", () => {
  test.use({ locale: "en-US" });

  test("is answered in English", async ({ page }) => {
    await page.goto("/");
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.locator("a.skip-link")).toHaveText("Skip to main content");
  });

  test("a chosen language is remembered over the browser's", async ({ page }) => {
    await page.goto("/guide");
    await page.getByRole("button", { name: "中文" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-Hant-TW");
    await expect(page).toHaveURL(/\/guide$/);
    await page.goto("/faq");
    await expect(page.locator("h1")).toHaveText("常見問題");
  });
});

test.describe("first visit with a browser in another language", () => {
  test.use({ locale: "ja-JP" });

  test("falls back to Traditional Chinese", async ({ page }) => {
    await page.goto("/");
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-Hant-TW");
  });
});

test.describe("language switch without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("still switches and returns to the same page", async ({ page }) => {
    await page.goto("/anti-fraud");
    await page.getByRole("button", { name: "English" }).click();
    await expect(page).toHaveURL(/\/anti-fraud$/);
    await expect(page.locator("h1")).toHaveText("Avoiding fraud");
  });

  test("refuses to redirect to another site", async ({ request, baseURL }) => {
    const response = await request.post("/language", {
      headers: { Origin: baseURL! },
      form: { lng: "en", redirectTo: "//evil.example/phish" },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(303);
    expect(response.headers()["location"]).toBe("/");
  });
});
