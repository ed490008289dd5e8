import type { Page } from "@playwright/test";
import { taipeiDate } from "../app/domain/dates";
import { generateDemoData } from "../app/demo/data/generate";
import { expectNoAxeViolations } from "./support/axe";
import { unpaidDemoBills } from "./support/demo-bills";
import { CAPTCHA_LABEL, NUMBER_LABEL, captchaDigits, expect, submitLookup, test } from "./support/fixtures";
import { pressAccessKey } from "./support/keyboard";
import { loginAtProvider } from "./support/members";
import { PUBLIC_PAGE_PATHS } from "./support/pages";
import { checkout, payWithLinePay } from "./support/payments";

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

/**
 * What one page at the current viewport does that a 320 px screen cannot
 * take (WCAG 1.4.10): the page wider than the screen, a box inside it that
 * scrolls sideways (columns cut off behind a scrollbar), and long numbers
 * (write-off, receipt, order numbers, barcodes) broken into pieces too short
 * to read: a number may stay on one line or break into groups of 4 or more
 * characters, never one character per line.
 */
async function reflowProblems(page: Page) {
  return page.evaluate(() => {
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.classList.length ? `.${[...el.classList].join(".")}` : ""}`;
    const scrollers = [...document.querySelectorAll("body *")]
      .filter((el) => {
        const style = getComputedStyle(el);
        return ["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
      })
      .map((el) => `${name(el)} scrolls ${el.scrollWidth} px in ${el.clientWidth} px`);
    const brokenNumbers: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // A number-like token: letters, digits and dashes with at least six digits (GF11500019, 1150200000000018, R1151201-00001).
      for (const match of node.textContent!.matchAll(/[0-9A-Z][0-9A-Za-z-]{7,}/g)) {
        if ((match[0].match(/\d/g) ?? []).length < 6) continue;
        // The line each character sits on (the bottom of its box).
        const lineOf: Array<number | undefined> = [];
        for (let i = 0; i < match[0].length; i++) {
          const range = document.createRange();
          range.setStart(node, match.index + i);
          range.setEnd(node, match.index + i + 1);
          const rect = range.getBoundingClientRect();
          lineOf.push(rect.width > 0 ? Math.round(rect.bottom) : undefined);
        }
        // Dashes group a number (04-12345678-5): a break after one is between groups; inside a group, each piece keeps 4 or more.
        let offset = 0;
        for (const group of match[0].split("-")) {
          const pieces = new Map<number, number>();
          for (let i = offset; i < offset + group.length; i++)
            if (lineOf[i] !== undefined) pieces.set(lineOf[i]!, (pieces.get(lineOf[i]!) ?? 0) + 1);
          const counts = [...pieces.values()];
          if (counts.length > 1 && Math.min(...counts) < 4) {
            brokenNumbers.push(`${match[0]} broken ${counts.join("+")} at ${group} in ${name(node.parentElement!)}`);
          }
          offset += group.length + 1;
        }
      }
    }
    // What sticks out past the screen's edge (the innermost such elements), to say what made the page wide.
    const edge = document.documentElement.clientWidth + 1;
    const beyond = (el: Element) => el.getBoundingClientRect().right > edge;
    const sticksOut = [...document.querySelectorAll("body *")]
      .filter((el) => beyond(el) && ![...el.children].some(beyond))
      .slice(0, 3)
      .map((el) => `${name(el)} reaches ${Math.round(el.getBoundingClientRect().right)} px`);
    return { width: document.documentElement.scrollWidth, scrollers, brokenNumbers, sticksOut };
  });
}

/**
 * Stacked into cards, the history is still a table to a screen reader: the
 * browser's own accessibility tree has its column headers and cells (some
 * browsers drop a table's roles when its CSS display changes).
 */
async function expectTableForScreenReaders(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send("Accessibility.getFullAXTree");
    const named = (role: string) =>
      nodes.filter((node) => !node.ignored && node.role?.value === role).map((node) => String(node.name?.value ?? "").trim());
    expect(named("table").length, "tables").toBeGreaterThan(0);
    expect(named("columnheader")).toEqual(expect.arrayContaining([expect.stringMatching(/^(銷帳編號|Write-off number)$/)]));
    expect(
      named("cell").some((name) => /^\d{16}$/.test(name)),
      "a cell named by its write-off number alone",
    ).toBe(true);
  } finally {
    await cdp.detach();
  }
}

/** Visits each page in the page's language and gathers what does not reflow; axe runs on each at this size too. */
async function checkReflow(page: Page, language: "zh-TW" | "en", paths: string[]) {
  if (language === "en") {
    await page.goto("/");
    await page.getByRole("button", { name: "English" }).click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
  }
  const widths: Record<string, number> = {};
  const problems: string[] = [];
  for (const path of paths) {
    await page.goto(path);
    const found = await reflowProblems(page);
    widths[path] = found.width;
    if (found.width > 320) problems.push(`${path}: ${found.width} px wide (${found.sticksOut.join(", ")})`);
    for (const problem of [...found.scrollers, ...found.brokenNumbers]) problems.push(`${path}: ${problem}`);
    if (path.startsWith("/account/payments")) await expectTableForScreenReaders(page);
    await expectNoAxeViolations(page, `at 320 px in ${language}`);
  }
  await test
    .info()
    .attach(`page widths at 320 px in ${language}`, { body: JSON.stringify(widths, null, 2), contentType: "application/json" });
  expect(problems, `pages at 320 px in ${language}`).toEqual([]);
}

/**
 * Goes where a resident goes, in Chinese (the helpers speak it), and returns
 * the pages reached: a member with a bound account pays a bill with a 16-digit
 * number (the longest the portal shows), opens its receipt and history; then
 * an unpaid bill's records and reprinted slip; and the error pages.
 */
async function walkThePortal(page: Page, take: number) {
  // Resident 6's numbers are these walks' own: other tests bind the first residents' numbers.
  const { residents } = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 7 });
  const [paid, unpaid] = unpaidDemoBills("parking-fee", 20 + 2 * take, 2);
  const paths: string[] = [];

  await page.goto("/login?returnTo=%2Faccount%2Fbindings");
  // A member of these walks' own: the members tests count what 王小明 has bound.
  await loginAtProvider(page, "member-d");
  await expect(page.locator("h1")).toHaveText("綁定車牌、水號、電號");
  // Each walk binds an account of its own: the two languages' walks run side by side as the same member.
  await page.getByRole("radio", { name: take === 0 ? /^電號/ : /^水號/ }).check();
  await page.getByLabel(/^號碼/).fill(take === 0 ? residents[6]!.electricityAccount : residents[6]!.waterAccount);
  await page.getByLabel(/^名稱/).fill("爸媽家");
  await page.getByRole("button", { name: "新增綁定" }).click();
  await expect(page.locator(".confirmation")).toHaveText("已新增綁定。");
  paths.push("/account", "/account/bindings", "/logout");

  await checkout(page, "parking-fee", [paid!]);
  paths.push(`${new URL(page.url()).pathname}${new URL(page.url()).search}`, "/bills");
  await payWithLinePay(page);
  paths.push(new URL(page.url()).pathname);
  await page
    .getByRole("link", { name: /繳費證明/ })
    .first()
    .click();
  await expect(page.locator("h1")).toHaveText("繳費證明");
  paths.push(new URL(page.url()).pathname);
  const verify = new URL((await page.locator('a[href*="/receipts/verify"]').getAttribute("href"))!);
  paths.push(`${verify.pathname}${verify.search}`, "/account/payments", "/account/payments/print");

  await page.goto("/lookup/parking-fee?for=records");
  await page.getByLabel(NUMBER_LABEL).fill(unpaid!);
  await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
  await submitLookup(page);
  await expect(page.locator("h1")).toHaveText("帳單繳費紀錄");
  paths.push(new URL(page.url()).pathname);
  await page.getByRole("link", { name: "補印超商繳費單" }).click();
  await expect(page.locator("h1")).toHaveText("補印超商繳費單");
  paths.push(new URL(page.url()).pathname);

  // Error pages: not found, a receipt that is not genuine, a paper bill's link that is not, a login that did not complete.
  paths.push(
    "/no-such-page/anywhere",
    "/receipts/verify?n=R000&s=forged",
    `/q?t=parking-fee&n=${unpaid}&e=2099-12-31&k=parking-demo&s=forged`,
    "/auth/callback?code=x&state=y",
  );
  return paths;
}

const STATIC_PATHS = [...PUBLIC_PAGE_PATHS, "/lookup/parking-fee", "/lookup/parking-fee?for=records", "/contact/thanks", "/logged-out"];

test.describe("every page at 320 px wide (WCAG 1.4.10 reflow)", () => {
  test.use({ viewport: { width: 320, height: 640 } });

  for (const [take, language] of (["zh-TW", "en"] as const).entries()) {
    test(`the public pages in ${language}: nothing scrolls sideways or hides behind a scrollbar, long numbers stay readable`, async ({
      page,
    }) => {
      // Some 15 pages each with axe: room for a loaded machine.
      test.setTimeout(180_000);
      await checkReflow(page, language, STATIC_PATHS);
    });

    test(`a member's, a payment's, a bill's and the error pages in ${language}: the same`, async ({ page }) => {
      // A login, a payment and a look-up, then some 20 pages each with axe: room for a loaded machine.
      test.setTimeout(240_000);
      await checkReflow(page, language, await walkThePortal(page, take));
    });
  }
});
