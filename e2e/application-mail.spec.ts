import { taipeiDate } from "../app/domain/dates";
import { generateDemoData } from "../app/demo/data/generate";
import { E2E_MAILS_URL, E2E_SANDBOX_URL, E2E_SOURCES_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { expect, test } from "./support/fixtures";
import { loginAtProvider } from "./support/members";

/**
 * A status e-mail (issue 18), as member-b (demo resident 1) meets it: they
 * choose "application status updates" on the account's e-mail page, the
 * e-counter closes their farmland-use certificate case, and the mail
 * arrives at the demo mail server within the next reads of the feed. Only
 * member-b's farmland-use-certificate case is touched.
 */

const residentB = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 10 }).residents[1]!;

test("a member who chose status updates is mailed when the e-counter closes their application", async ({ page, request }) => {
  const address = `member-b-cases-${Date.now()}@example.tw`;
  await page.goto("/login?returnTo=%2Faccount");
  await loginAtProvider(page, "member-b");
  await expect(page).toHaveURL(/\/account$/);
  await page.goto("/account/email");
  await expect(page.locator("h1")).toHaveText("電子郵件通知");

  // Status updates only: member-b's other tests pay bills and must not be reminded of them.
  await page.getByLabel(/^電子郵件地址/).fill(address);
  for (const box of await page.getByRole("checkbox").all()) await box.uncheck();
  await page.getByRole("checkbox", { name: "申辦案件進度通知" }).check();
  await expect(page.getByText("您在服務e櫃檯申辦的案件狀態改變時")).toBeVisible();
  await page.getByRole("button", { name: "儲存設定" }).click();
  await expect(page.locator(".confirmation")).toHaveText("已儲存電子郵件通知設定。");
  await expectNoAxeViolations(page, "on the e-mail settings page with status updates chosen");

  // The same kind in English, chosen as saved.
  await page.getByRole("button", { name: "English" }).click();
  await expect(page.getByRole("checkbox", { name: "Application status updates" })).toBeChecked();
  await expect(page.getByRole("checkbox", { name: "Receipts" })).not.toBeChecked();
  await page.getByRole("button", { name: "中文" }).click();
  await expect(page.locator("h1")).toHaveText("電子郵件通知");

  const cases = (await (await request.get(`${E2E_SOURCES_URL}/ecounter/_simulator/cases`)).json()) as Array<{
    caseNumber: string;
    applicantName: string;
    service: { code: string; nameZh: string };
  }>;
  const farmland = cases.find((found) => found.applicantName === residentB.name && found.service.code === "farmland-use-certificate")!;
  expect(farmland).toBeDefined();
  const changed = await request.post(`${E2E_SOURCES_URL}/ecounter/_simulator/cases/${farmland.caseNumber}/status`, {
    data: { status: "done" },
  });
  expect(changed.ok()).toBe(true);

  type Mail = { id: string; to: string[]; kind: string | null; subject: string; text: string };
  const statusMails = async () =>
    ((await (await request.get(`${E2E_SANDBOX_URL}/_sandbox/mails.json`)).json()) as { mails: Mail[] }).mails.filter(
      (mail) => mail.to.includes(address) && mail.kind === "case_status",
    );
  // The feed is read every second; the mail job sends at once.
  await expect.poll(async () => (await statusMails()).length, { timeout: 20_000 }).toBeGreaterThan(0);
  const [mail, ...others] = await statusMails();
  expect(others).toEqual([]);
  expect(mail!.subject).toContain(farmland.service.nameZh);
  expect(mail!.subject).toContain("已結案");
  expect(mail!.text).toContain(farmland.caseNumber);
  expect(mail!.text).toMatch(/\/account\/applications\b/);
  expect(mail!.text).not.toContain(residentB.nationalId);
  expect(mail!.text).not.toContain(residentB.name);

  await page.goto(`${E2E_MAILS_URL}?lang=zh-TW`);
  await page
    .getByRole("row", { name: new RegExp(address) })
    .getByRole("link")
    .click();
  await expect(page.locator("h1")).toContainText("已結案");
  await expectNoAxeViolations(page, "on the status mail's page");
});
