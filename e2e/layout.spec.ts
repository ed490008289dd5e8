import type { Page } from "@playwright/test";
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

  /**
   * Tabs through the first stops of the page; for each, whether focus shows:
   * the element looks different focused than not (outline, ring, colours or
   * underline), and the difference is more than a hairline.
   */
  async function tabStops(page: Page, count: number) {
    const stops: Array<{ text: string; indicated: boolean }> = [];
    for (let i = 0; i < count; i++) {
      await page.keyboard.press("Tab");
      const stop = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const look = () => {
          const style = getComputedStyle(el);
          return {
            outline: style.outlineStyle === "none" ? "none" : `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
            outlineWidth: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
            boxShadow: style.boxShadow,
            background: style.backgroundColor,
            color: style.color,
            decoration: style.textDecorationLine,
          };
        };
        const focused = look();
        el.blur();
        const unfocused = look();
        // Back where it was: the next Tab goes on from here, and :focus-visible still holds after keyboard use.
        el.focus();
        const differs = (Object.keys(focused) as Array<keyof typeof focused>).some((key) => focused[key] !== unfocused[key]);
        const visible =
          focused.outlineWidth >= 2 || focused.boxShadow !== unfocused.boxShadow || focused.background !== unfocused.background;
        return { text: el.textContent?.trim() ?? "", indicated: differs && visible };
      });
      if (!stop) break;
      stops.push(stop);
    }
    return stops;
  }

  test("every link and button in the header can be reached with Tab and shows a focus indicator", async ({ page }) => {
    await page.goto("/");
    const stops = await tabStops(page, 16);
    for (const stop of stops) expect(stop.indicated, `focus indicator on "${stop.text}"`).toBe(true);
    expect(stops.map((stop) => stop.text)).toEqual(
      expect.arrayContaining(["跳到主要內容區塊", ":::", "會員登入", "English", "首頁", "使用說明", "聯絡我們"]),
    );

    // The check itself: with the site's focus styles taken away, it finds them missing.
    await page.goto("/");
    // Every :focus rule deleted, through the CSSOM (the page's CSP rightly refuses an inline style), and the browser's own ring off.
    await page.evaluate(() => {
      for (const sheet of [...document.styleSheets]) {
        for (let i = sheet.cssRules.length - 1; i >= 0; i--) {
          if ((sheet.cssRules[i] as CSSStyleRule).selectorText?.includes(":focus")) sheet.deleteRule(i);
        }
      }
      document.styleSheets[0]!.insertRule(":focus, :focus-visible { outline: none; }", document.styleSheets[0]!.cssRules.length);
    });
    const stripped = await tabStops(page, 16);
    expect(stripped.filter((stop) => stop.indicated)).toEqual([]);
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
