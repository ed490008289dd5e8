import type { Page } from "@playwright/test";
import { E2E_SOURCES_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { expect, test } from "./support/fixtures";
import { loginAtProvider } from "./support/members";
import { payWithLinePay } from "./support/payments";

/**
 * "My applications" (issue 18): a verified member's cases from the e-counter
 * (服務e櫃檯) simulator, with their fees payable in place. The tests share one
 * simulator with every other test: each touches only its own member's cases,
 * and breaks the e-counter for those cases alone.
 */

const SIMULATOR = `${E2E_SOURCES_URL}/ecounter/_simulator`;

interface DemoCase {
  caseNumber: string;
  applicantName: string;
  service: { code: string };
}

async function demoCases(page: Page): Promise<DemoCase[]> {
  return (await (await page.request.get(`${SIMULATOR}/cases`)).json()) as DemoCase[];
}

async function setEcounterFor(page: Page, caseNumbers: string[], mode: "normal" | "down") {
  const response = await page.request.post(`${SIMULATOR}/behaviour`, { data: { mode, caseNumbers } });
  expect(response.ok()).toBe(true);
}

const caseCards = (page: Page) => page.locator("section.case-card");

test("a verified member sees her three cases across two services, pays the accident assessment's fee and sees the case move to paid", async ({
  page,
}) => {
  await page.goto("/login?returnTo=/account/applications");
  await loginAtProvider(page, "meihsin");
  await expect(page).toHaveURL(/\/account\/applications$/);
  await expect(page.locator("h1")).toHaveText("我的申辦案件");

  await expect(caseCards(page)).toHaveCount(3);
  await expect(page.getByRole("heading", { level: 2, name: /^車輛行車事故鑑定申請/ })).toHaveCount(2);
  await expect(page.getByRole("heading", { level: 2, name: /^寵物登記申請/ })).toHaveCount(1);
  // Status in words, next to what is asked of her; the timeline a list in order.
  const owed = caseCards(page).filter({ has: page.getByRole("heading", { name: /^車輛行車事故鑑定申請 待繳費$/ }) });
  await expect(owed).toHaveCount(1);
  await expect(owed.locator("ol.case-timeline > li")).toHaveText([/已申請$/, /待繳費$/]);
  await expect(owed).toContainText(/請於 民國\d+年\d+月\d+日 前繳納 新臺幣 3,000 元。/);
  const documents = caseCards(page).filter({ hasText: "寵物登記申請" });
  await expect(documents).toContainText("請補附寵物晶片植入證明影本。");
  await expect(documents).toContainText(/前到服務e櫃檯補送所列文件/);
  const closed = caseCards(page).filter({ has: page.getByRole("heading", { name: /已結案$/ }) });
  await expect(closed).toContainText("已於");
  await expect(closed.getByRole("button", { name: /^繳費/ })).toHaveCount(0);
  await expect(owed.getByRole("link", { name: "補印超商繳費單" })).toHaveAttribute("href", /^\/bills\/[0-9a-f-]{36}\/slip$/);
  await expectNoAxeViolations(page, "on my applications");

  const caseNumber = (await owed.locator("dd.identifier").first().textContent())!;
  await owed.getByRole("button", { name: /^繳費/ }).click();
  await expect(page.locator("h1")).toHaveText("繳費");
  await expect(page.locator("article.bill-card")).toContainText("車輛行車事故鑑定");
  await payWithLinePay(page);

  // The write-off notice reaches the agency's simulator, which tells the e-counter: the case moves on.
  await expect(async () => {
    await page.goto("/account/applications");
    const paid = caseCards(page).filter({ hasText: caseNumber });
    await expect(paid.getByRole("heading", { level: 2 })).toHaveText(/已繳費$/, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  const paid = caseCards(page).filter({ hasText: caseNumber });
  await expect(paid.locator("ol.case-timeline > li")).toHaveText([/已申請$/, /待繳費$/, /已繳費$/]);
  await expect(paid.getByRole("button", { name: /^繳費/ })).toHaveCount(0);
  await expect(paid).toContainText("目前不需要您做什麼");
  await expectNoAxeViolations(page, "on my applications, paid");
});

test.describe("in English", () => {
  test.use({ locale: "en" });

  test("another verified member sees only their own cases, and a down e-counter is named while the account still works", async ({
    page,
  }) => {
    const cases = await demoCases(page);
    const meihsinsName = cases.find((found) => found.service.code === "pet-registration")!.applicantName;
    const theirs = cases.filter((found) => found.service.code === "labor-fine-instalments")[0]!.applicantName;
    const mine = cases.filter((found) => found.applicantName === theirs).map((found) => found.caseNumber);
    const meihsins = cases.filter((found) => found.applicantName === meihsinsName).map((found) => found.caseNumber);
    expect(mine).toHaveLength(2);

    await page.goto("/login?returnTo=/account/applications");
    await loginAtProvider(page, "member-c");
    await expect(page).toHaveURL(/\/account\/applications$/);
    await expect(page.locator("h1")).toHaveText("My applications");
    await expect(caseCards(page)).toHaveCount(2);
    for (const caseNumber of mine) await expect(page.getByText(caseNumber, { exact: true })).toBeVisible();
    for (const caseNumber of meihsins) await expect(page.getByText(caseNumber)).toHaveCount(0);
    await expect(page.getByRole("heading", { level: 2, name: /Withdrawn$/ })).toBeVisible();
    await expect(page.getByText("The case is closed: nothing more to do.")).toBeVisible();
    await expectNoAxeViolations(page, "on my applications in English");

    await setEcounterFor(page, mine, "down");
    try {
      await page.goto("/account/applications");
      await expect(page.getByRole("heading", { name: "The City e-counter is not responding right now" })).toBeVisible();
      await expect(caseCards(page)).toHaveCount(0);
      await expect(page.getByRole("link", { name: "Check my applications again" })).toHaveAttribute("href", "/account/applications");
      await expectNoAxeViolations(page, "with the e-counter down");
      await page.getByRole("link", { name: "Back to my bills" }).click();
      await expect(page.locator("h1")).toHaveText("My pending bills");
      await expect(page.getByRole("link", { name: "My applications (City e-counter)" })).toBeVisible();
    } finally {
      await setEcounterFor(page, mine, "normal");
    }
    await page.goto("/account/applications");
    await expect(caseCards(page)).toHaveCount(2);
  });
});
