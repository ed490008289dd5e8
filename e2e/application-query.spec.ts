import type { Page } from "@playwright/test";
import { E2E_SOURCES_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { captchaDigits, expect, gotoHydrated, test } from "./support/fixtures";

/**
 * A visitor follows an application by the case number and check code of its
 * receipt. Only resident 3's cases (no member) are touched, and never paid:
 * the review of an accident assessment, awaiting its fee, for the query in
 * both languages; the rejected crop relief for a wrong check code and an
 * e-counter down for that case alone.
 */

interface DemoCase {
  caseNumber: string;
  checkCode: string;
  applicantName: string;
  service: { code: string };
}

async function demoCase(page: Page, service: "accident-reassessment" | "crop-disaster-relief"): Promise<DemoCase> {
  const cases = (await (await page.request.get(`${E2E_SOURCES_URL}/ecounter/_simulator/cases`)).json()) as DemoCase[];
  return cases.find((found) => found.service.code === service)!;
}

const LABELS = {
  caseNumber: /^(案件編號|Case number)/,
  checkCode: /^(查詢碼|Check code)/,
  captcha: /請輸入圖片中|Type the 5 digits/,
  submit: /^(查詢案件|Look up the application)$/,
};

/** Types the case's number and code as the receipt shows them, answers the captcha and waits for the answer. */
async function query(page: Page, caseNumber: string, checkCode: string) {
  await page.getByLabel(LABELS.caseNumber).fill(caseNumber);
  await page.getByLabel(LABELS.checkCode).fill(checkCode);
  await page.getByLabel(LABELS.captcha).fill(await captchaDigits(page));
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/applications")),
    page.getByRole("button", { name: LABELS.submit }).click(),
  ]);
  await page.waitForLoadState();
  return response;
}

const LANGUAGES = [
  {
    locale: "zh-TW",
    title: "申辦案件進度查詢",
    service: "車輛行車事故鑑定覆議申請",
    status: "待繳費",
    fee: "新臺幣 3,000 元",
    pay: /^繳費：車輛行車事故鑑定費 AC/,
    slip: "補印超商繳費單",
    payHeading: "繳費",
    slipHeading: "補印超商繳費單",
  },
  {
    locale: "en",
    title: "Follow an application",
    service: "Review of a traffic accident assessment",
    status: "Awaiting payment",
    fee: "NT$3,000",
    pay: /^Pay: Traffic accident assessment fee AC/,
    slip: "Print a payment slip",
    payHeading: "Pay",
    slipHeading: "Payment slip for convenience stores",
  },
] as const;

for (const language of LANGUAGES) {
  test.describe(`following an application (${language.locale})`, () => {
    test.use({ locale: language.locale });

    test("a visitor sees the case's status, timeline and fee, and can pay it or print its slip", async ({ page }) => {
      const found = await demoCase(page, "accident-reassessment");
      await gotoHydrated(page, "/");
      await page.getByRole("link", { name: language.title }).first().click();
      await expect(page.locator("h1")).toHaveText(language.title);
      await expectNoAxeViolations(page, "on the query form");

      // As typed from paper: lower case, a space.
      await query(page, `${found.caseNumber.slice(0, 7).toLowerCase()} ${found.caseNumber.slice(7)}`, found.checkCode);
      const result = page.locator("section.case-card");
      await expect(result.getByRole("heading", { level: 2 })).toContainText(language.service);
      await expect(result).toContainText(found.caseNumber);
      await expect(result.locator(".case-timeline li")).toHaveCount(2);
      await expect(result.locator(".case-timeline li").last()).toContainText(language.status);
      await expect(result.locator(".case-fee")).toContainText(language.fee);
      // Nothing personal: not the applicant's name.
      await expect(page.locator("main")).not.toContainText(found.applicantName);
      await expectNoAxeViolations(page, "on a case found");

      const slipHref = await result.getByRole("link", { name: language.slip }).getAttribute("href");
      expect(slipHref).toMatch(/^\/bills\/[0-9a-f-]{36}\/slip$/);

      // The fee is this browser's to pay: the checkout opens with it (and is left there, unpaid)...
      await result.getByRole("button", { name: language.pay }).click();
      await expect(page).toHaveURL(/\/pay\?from=case&bill=[0-9a-f-]{36}$/);
      await expect(page.locator("h1")).toHaveText(language.payHeading);
      await expect(page.locator(".total")).toContainText(language.fee);
      // ...and its payment slip can be printed again.
      await page.goto(slipHref!);
      await expect(page.locator("h1")).toHaveText(language.slipHeading);
      await expect(page.locator("main")).toContainText(language.fee);
    });
  });
}

test.describe("an application not found, or the e-counter down", () => {
  // Both use the crop relief case: its fault must not meet the other test's query.
  test.describe.configure({ mode: "serial" });

  test("a wrong check code gives one clear error at the top, with focus, and keeps what was typed", async ({ page }) => {
    const found = await demoCase(page, "crop-disaster-relief");
    const wrong = String((Number(found.checkCode) + 1) % 1_000_000).padStart(6, "0");
    await gotoHydrated(page, "/applications");
    const response = await query(page, found.caseNumber, wrong);
    expect(response.status()).toBe(400);
    const summary = page.locator(".error-summary");
    await expect(summary).toBeFocused();
    await expect(summary.getByRole("link")).toHaveText(["查無符合的案件。請對照申辦收據，確認案件編號與查詢碼都輸入正確"]);
    await expect(page).toHaveTitle(/^錯誤：申辦案件進度查詢/);
    await expect(page.getByLabel(LABELS.caseNumber)).toHaveValue(found.caseNumber);
    await expect(page.getByLabel(LABELS.checkCode)).toHaveValue(wrong);
    await expect(page.getByLabel(LABELS.captcha)).toHaveValue("");
    await expectNoAxeViolations(page, "with no match shown");
  });

  test.describe("in English", () => {
    test.use({ locale: "en" });

    test("with the e-counter down for the case, the page names it and keeps what was typed", async ({ page }) => {
      const found = await demoCase(page, "crop-disaster-relief");
      const behaviour = (mode: "down" | "normal") =>
        page.request.post(`${E2E_SOURCES_URL}/ecounter/_simulator/behaviour`, { data: { mode, caseNumbers: [found.caseNumber] } });
      expect((await behaviour("down")).ok()).toBe(true);
      try {
        await gotoHydrated(page, "/applications");
        const response = await query(page, found.caseNumber, found.checkCode);
        expect(response.status()).toBe(503);
        const summary = page.locator(".error-summary");
        await expect(summary).toBeFocused();
        await expect(summary).toContainText("The e-counter (the city's online applications system) is not answering");
        await expect(page.getByLabel(LABELS.caseNumber)).toHaveValue(found.caseNumber);
        await expect(page.getByLabel(LABELS.checkCode)).toHaveValue(found.checkCode);
        // The rest of the portal still works.
        await expect(page.getByRole("navigation").first()).toBeVisible();
        await expectNoAxeViolations(page, "with the e-counter down");
      } finally {
        expect((await behaviour("normal")).ok()).toBe(true);
      }
      // Back to normal, the same case is found.
      await gotoHydrated(page, "/applications");
      await query(page, found.caseNumber, found.checkCode);
      await expect(page.locator("section.case-card")).toContainText("Rejected");
    });
  });
});
