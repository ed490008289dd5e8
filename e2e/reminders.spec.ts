import type { Page } from "@playwright/test";
import { addDays, taipeiDate } from "../app/domain/dates";
import { formatDate } from "../app/domain/format";
import { maskSubject } from "../app/domain/masking";
import { REMINDER_SHOWCASE_RESIDENT, generateDemoData } from "../app/demo/data/generate";
import { E2E_MAILS_URL, E2E_SANDBOX_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { expect, test } from "./support/fixtures";
import { loginAtProvider } from "./support/members";

/**
 * E-mail reminders (issue 17), as a member sets them up: binding a number
 * the power simulator reports two bills for (one due in two days), leaving
 * an address and choosing the kinds on the account page by keyboard only,
 * in Chinese and in English. The tests share member-e, so they run in order.
 * The reminder job and the mail it sends are the outbox's to show: a step
 * reading the mail back from the demo SMTP server follows the last test.
 */
test.describe.configure({ mode: "serial" });

const showcase = generateDemoData({ today: taipeiDate(), billsPerType: 1 }).residents[REMINDER_SHOWCASE_RESIDENT]!;
const ADDRESS = "yating.chang@example.tw";

async function logIn(page: Page) {
  await page.goto("/login?returnTo=%2Faccount");
  await loginAtProvider(page, "member-e");
  await expect(page).toHaveURL(/\/account$/);
}

/** Presses Tab until `target` has focus (at most `limit` times), as a keyboard user moves through the page. */
async function tabTo(page: Page, target: ReturnType<Page["getByRole"]>, limit = 40) {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error("never reached by Tab");
}

test("a member binds the number of three power bills and pays the one due tomorrow before leaving any address", async ({ page }) => {
  await logIn(page);
  await page.goto("/account/bindings");
  await page.getByRole("radio", { name: /^電號/ }).check();
  await page.getByLabel(/^號碼/).fill(showcase.electricityAccount);
  await page.getByRole("button", { name: "新增綁定" }).click();
  await expect(page.getByRole("heading", { name: maskSubject(showcase.electricityAccount, "electricity_account") })).toBeVisible();
  await page.goto("/account");
  const power = page.getByRole("region", { name: `電號 ${maskSubject(showcase.electricityAccount, "electricity_account")}` });
  // The simulator's three (besides the portal's own overdue bill for this number).
  const sourceBills = power.getByRole("checkbox", { name: /11517\d{11}/ });
  await expect(sourceBills).toHaveCount(3);
  for (const box of await page.getByRole("checkbox").all()) await box.uncheck();
  const tomorrow = formatDate(addDays(taipeiDate(), 1), "zh-TW");
  const dueTomorrow = power.getByRole("checkbox", { name: new RegExp(`11517\\d{11} 繳費期限 ${tomorrow}$`) });
  await dueTomorrow.check();
  await page.getByRole("button", { name: "繳納勾選的帳單" }).click();
  await page.getByLabel("LINE Pay").check();
  await page.getByRole("button", { name: /^確認付款/ }).click();
  await page.getByRole("button", { name: /核准付款/ }).click();
  await expect(page.locator("h1")).toHaveText("付款成功");
  await page.goto("/account");
  await expect(sourceBills).toHaveCount(2);
  await expect(dueTomorrow).toHaveCount(0);
});

test("a member leaves an address and chooses the kinds by keyboard; a mistyped address is explained and kept", async ({ page }) => {
  await logIn(page);
  const settingsLink = page.getByRole("link", { name: "電子郵件通知設定" });
  await tabTo(page, settingsLink);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/account\/email$/);
  await expect(page.locator("h1")).toHaveText("電子郵件通知");
  await expect(page.getByText("目前沒有留下電子郵件地址，不會寄送任何通知。")).toBeVisible();
  await expectNoAxeViolations(page, "on the e-mail settings page");

  const address = page.getByLabel(/^電子郵件地址/);
  const receipt = page.getByRole("checkbox", { name: "繳費證明" });
  const due = page.getByRole("checkbox", { name: "繳費期限提醒" });
  await tabTo(page, address);
  await page.keyboard.type("yating.chang@example");
  // Every kind starts chosen: the member leaves receipts out, with the space bar.
  await expect(receipt).toBeChecked();
  await tabTo(page, receipt);
  await page.keyboard.press("Space");
  await expect(receipt).not.toBeChecked();
  await tabTo(page, page.getByRole("button", { name: "儲存設定" }));
  await page.keyboard.press("Enter");

  const summary = page.getByRole("alert");
  await expect(summary).toContainText("請輸入有效的電子郵件地址");
  await expect(summary).toBeFocused();
  // What was typed and unticked is kept.
  await expect(address).toHaveValue("yating.chang@example");
  await expect(receipt).not.toBeChecked();
  await expect(due).toBeChecked();
  await expectNoAxeViolations(page, "on the e-mail settings page with an error");
  await summary.getByRole("link").click();
  await expect(address).toBeFocused();

  await page.keyboard.press("End");
  await page.keyboard.type(".tw");
  await page.keyboard.press("Enter");
  await expect(page.locator(".confirmation")).toHaveText("已儲存電子郵件通知設定。");
  await page.reload();
  await expect(address).toHaveValue(ADDRESS);
  await expect(receipt).not.toBeChecked();
  await expect(due).toBeChecked();
});

test("in English: the same settings, and clearing the address stops every mail until one is given again", async ({ page }) => {
  await logIn(page);
  await page.goto("/account/email");
  await page.getByRole("button", { name: "English" }).click();
  await expect(page.locator("h1")).toHaveText("E-mail notifications");
  const address = page.getByLabel(/^E-mail address/);
  await expect(address).toHaveValue(ADDRESS);
  await expect(page.getByRole("checkbox", { name: "Receipts" })).not.toBeChecked();
  await expect(page.getByText("Once, 3 days before a bill of your bound numbers is due; stops as soon as it is paid.")).toBeVisible();
  await expectNoAxeViolations(page, "on the English e-mail settings page");

  await address.fill("");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator(".confirmation")).toHaveText("Your e-mail address was removed: no notifications will be sent.");
  await expect(address).toHaveValue("");
  // The kinds chosen are kept for when an address is given again.
  await expect(page.getByRole("checkbox", { name: "Due date reminders" })).toBeChecked();

  await address.fill(ADDRESS);
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator(".confirmation")).toHaveText("Your e-mail notification settings were saved.");
  await page.getByRole("button", { name: "中文" }).click();
});

test("the reminder job mails the bill due in two days, and nothing for the bill paid before or the one due later", async ({
  page,
  request,
}) => {
  type Mail = { id: string; to: string[]; kind: string | null; subject: string; text: string };
  const reminders = async () =>
    ((await (await request.get(`${E2E_SANDBOX_URL}/_sandbox/mails.json`)).json()) as { mails: Mail[] }).mails.filter(
      (mail) => mail.to.includes(ADDRESS) && mail.kind === "due_reminder",
    );
  // The job looked at member-e within a second of the address being saved (in Chinese), and the mail went at once.
  await expect.poll(async () => (await reminders()).length, { timeout: 20_000 }).toBeGreaterThan(0);
  const [mail, ...others] = await reminders();
  expect(others).toEqual([]);
  const dueInTwoDays = formatDate(addDays(taipeiDate(), 2), "zh-TW");
  expect(mail!.subject).toContain(dueInTwoDays);
  expect(mail!.text).toContain("電費");
  // Only masked numbers, and the way to the portal by its official address.
  expect(mail!.text).not.toContain(showcase.electricityAccount);
  expect(mail!.text).toMatch(/\/account\b/);
  expect(mail!.text).not.toContain(formatDate(addDays(taipeiDate(), 1), "zh-TW"));

  await page.goto(`${E2E_MAILS_URL}?lang=zh-TW`);
  await page
    .getByRole("row", { name: new RegExp(ADDRESS) })
    .filter({ hasText: dueInTwoDays })
    .getByRole("link")
    .click();
  await expect(page.locator("h1")).toContainText(dueInTwoDays);
  await expectNoAxeViolations(page, "on the reminder mail's page");
});
