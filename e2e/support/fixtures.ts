import { createHash } from "node:crypto";
import { test as base, expect, type Page } from "@playwright/test";
import { captchaAnswer } from "../../app/lookup/captcha.server";
import { DEMO_SECRETS } from "../../app/demo/keys";

/** A documentation address (198.18.0.0/15) derived from the test, so each test is its own client. */
function clientAddressFor(testId: string): string {
  const digest = createHash("sha256").update(testId).digest();
  return `198.${18 + (digest[0]! % 2)}.${digest[1]}.${digest[2]}`;
}

export const test = base.extend<{ clientAddress: string }>({
  clientAddress: async ({}, use, testInfo) => {
    await use(clientAddressFor(testInfo.testId));
  },
  extraHTTPHeaders: async ({ clientAddress }, use) => {
    await use({ "X-Forwarded-For": clientAddress });
  },
});

export { expect };

/** The digits of the captcha currently on the page (the test knows the demo secret). */
export async function captchaDigits(page: Page): Promise<string> {
  const token = await page.locator('input[name="captchaToken"]').inputValue();
  return captchaAnswer(DEMO_SECRETS.CAPTCHA_SECRET, token.split(".")[1]!);
}

export const CAPTCHA_LABEL = /請輸入圖片中|Type the 5 digits/;
export const NUMBER_LABEL = /^(銷帳編號|Write-off number)/;

/** Presses the look-up button and waits for the server's answer to this very submission. */
export async function submitLookup(page: Page) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/lookup/")),
    page.getByRole("button", { name: /^(查詢|Look up)$/ }).click(),
  ]);
  await page.waitForLoadState();
  return response;
}

/** Opens a page and waits until the browser has taken it over, so links and forms navigate in the page. */
export async function gotoHydrated(page: Page, path: string) {
  await page.goto(path);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
}

/** Looks a bill up through the form, as a resident does. */
export async function lookUp(page: Page, billType: string, writeOffNumber: string): Promise<void> {
  await page.goto(`/lookup/${billType}`);
  await page.getByLabel(NUMBER_LABEL).fill(writeOffNumber);
  await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
  await submitLookup(page);
}
