import { expect, test } from "@playwright/test";
import { expectNoAxeViolations } from "./support/axe";
import { pressAccessKey } from "./support/keyboard";
import { PUBLIC_PAGE_PATHS } from "./support/pages";

test.describe("keyboard use of the layout", () => {
  test("the skip link is the first stop, visible, and moves focus to the main content", async ({ page }) => {
    await page.goto("/faq");
    await page.keyboard.press("Tab");
    const skip = page.locator("a.skip-link");
    await expect(skip).toBeFocused();
    await expect(skip).toHaveText("跳到主要內容區塊");
    await expect(skip).toBeInViewport();
    await page.keyboard.press("Enter");
    await expect(page.locator("#C")).toBeFocused();
    // The next Tab continues inside the main content, not back at the header.
    await page.keyboard.press("Tab");
    const inMain = await page.evaluate(() => document.activeElement?.closest("main") !== null);
    expect(inMain).toBe(true);
  });

  for (const [key, region] of [
    ["U", "header"],
    ["C", "main"],
    ["Z", "footer"],
  ] as const) {
    test(`access key Alt+${key} jumps to the ${region} region`, async ({ page }) => {
      await page.goto("/guide");
      await pressAccessKey(page, key);
      await expect(page).toHaveURL(new RegExp(`#${key}$`));
      const anchorRegion = await page.evaluate(
        (id) => document.getElementById(id)?.closest("header, main, footer")?.tagName.toLowerCase(),
        key,
      );
      expect(anchorRegion).toBe(region);
      await expect(page.locator(`#${key}`)).toBeFocused();
    });
  }

  test("every link and button in the header can be reached with Tab and shows a focus indicator", async ({ page }) => {
    await page.goto("/");
    const seen: string[] = [];
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press("Tab");
      const info = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return null;
        const style = getComputedStyle(el);
        const indicated =
          (style.outlineStyle !== "none" && style.outlineWidth !== "0px") ||
          style.boxShadow !== "none" ||
          style.backgroundColor !== "rgba(0, 0, 0, 0)";
        return { text: el.textContent?.trim() ?? "", indicated };
      });
      if (!info) break;
      expect(info.indicated, `focus indicator on "${info.text}"`).toBe(true);
      seen.push(info.text);
    }
    expect(seen).toEqual(expect.arrayContaining(["跳到主要內容區塊", ":::", "會員登入", "English", "首頁", "使用說明", "聯絡我們"]));
  });

  test("the language switch works from the keyboard and keeps the page", async ({ page }) => {
    await page.goto("/faq");
    await page.getByRole("button", { name: "English" }).focus();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/faq$/);
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.locator("h1")).toHaveText("Frequently asked questions");
  });
});

test.describe("small screens and zoom", () => {
  for (const width of [320, 640]) {
    test(`at ${width} px wide nothing needs sideways scrolling`, async ({ page }) => {
      await page.setViewportSize({ width, height: 800 });
      for (const path of PUBLIC_PAGE_PATHS) {
        await page.goto(path);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `horizontal overflow on ${path}`).toBeLessThanOrEqual(0);
      }
      await expectNoAxeViolations(page, `at ${width}px`);
    });
  }
});
