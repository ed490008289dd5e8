import type { APIRequestContext, Page } from "@playwright/test";
import { E2E_SANDBOX_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, lookUp, test } from "./support/fixtures";
import { checkout } from "./support/payments";

/**
 * Paying later through the sandbox's ECPay: the resident gets an ATM account
 * or a store code, the result page shows it, the sandbox "pays at the ATM or
 * store", and the payment completes; a code left to expire frees the bill
 * once the portal has asked ECPay.
 */

const referenceOf = (page: Page) => new URL(page.url()).pathname.split("/").pop()!;

/** The tester at the sandbox's list of outstanding codes pays this one "at the ATM or store". */
async function payAtSandbox(page: Page, reference: string, button: RegExp) {
  const sandbox = await page.context().newPage();
  await sandbox.goto(`${E2E_SANDBOX_URL}/_sandbox/ecpay/pay-later`);
  await expectNoAxeViolations(sandbox, "on the sandbox's list of outstanding codes");
  await sandbox
    .getByRole("row", { name: new RegExp(reference) })
    .getByRole("button", { name: button })
    .click();
  await expect(sandbox.getByRole("row", { name: new RegExp(reference) })).toHaveCount(0);
  await sandbox.close();
}

type ReceivedMail = {
  to: string[];
  kind: string | null;
  subject: string;
  text: string;
  attachments: Array<{ contentType: string; size: number }>;
};

/** The receipt the demo's mail server received for this address, if any yet. */
async function receiptMailTo(request: APIRequestContext, address: string): Promise<ReceivedMail | null> {
  const { mails } = (await (await request.get(`${E2E_SANDBOX_URL}/_sandbox/mails.json`)).json()) as { mails: ReceivedMail[] };
  return mails.find((mail) => mail.to.includes(address) && mail.kind === "receipt") ?? null;
}

test.describe("paying later at an ATM or a convenience store", () => {
  test("a water bill by ATM transfer: account issued, shown, paid at the ATM, complete, the receipt mailed", async ({ page, request }) => {
    const [number] = unpaidDemoBills("water-bill", 30, 1);
    await checkout(page, "water-bill", [number!]);
    // Living fees take no card; the tools paid later are a group of their own, with how long they stay open.
    await expect(page.getByLabel("信用卡")).toHaveCount(0);
    await expect(page.getByRole("group", { name: "稍後到 ATM 或超商繳費" })).toContainText("3 天內有效");
    await expect(page.getByText("即將開放")).toHaveCount(0);
    await expectNoAxeViolations(page, "at checkout with tools paid later");
    await page.getByLabel("ATM 轉帳（虛擬帳號）").check();
    const address = `atm-${Date.now()}@example.tw`;
    await page.getByLabel(/^電子郵件地址/).fill(address);
    await page.getByRole("button", { name: /^確認付款/ }).click();

    await expect(page.locator("h1")).toHaveText("ATM 轉帳：取得虛擬帳號");
    await expectNoAxeViolations(page, "on the sandbox's ATM page");
    await page.getByRole("button", { name: "取得帳號或代碼" }).click();

    await expect(page).toHaveURL(/\/payments\/P\d{6}[0-9A-Z]{11}$/);
    await expect(page.locator("h1")).toHaveText("等待您繳費");
    await expect(page.locator(".pay-later")).toContainText("812 台新銀行");
    await expect(page.locator(".pay-later")).toContainText(/9103 \d{4} \d{4} \d{2}/);
    await expect(page.locator(".pay-later")).toContainText("臺灣時間");
    await expectNoAxeViolations(page, "on the result page awaiting an ATM transfer");
    const reference = referenceOf(page);

    // The bill page says the account is outstanding, and paying it another way is refused.
    await page.goto("/bills");
    await expect(page.locator(".notice", { hasText: number! })).toContainText("帳號或代碼在");
    await page.getByRole("button", { name: "去繳費" }).click();
    await page.getByLabel("LINE Pay").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await expect(page.locator(".error-summary, [role=alert]").first()).toContainText(number!);

    await payAtSandbox(page, reference, /現在到 ATM 或超商繳費/);
    await page.goto(`/payments/${reference}`);
    await expect(page.locator("h1")).toHaveText("付款成功");
    await expect(page.locator("article.bill-card")).toContainText("已繳費");

    // The receipt, mailed when the bank's transfer was reported, read back from the demo's mail server: the PDF attached.
    await expect.poll(() => receiptMailTo(request, address), { timeout: 15_000 }).not.toBeNull();
    const mail = (await receiptMailTo(request, address))!;
    expect(mail.attachments).toEqual([expect.objectContaining({ contentType: "application/pdf" })]);
    expect(mail.text).not.toContain(number!);
    expect(mail.text).toContain("ATM");
  });

  test.describe("in English", () => {
    test.use({ locale: "en" });
    test("an electricity bill by store code: code issued, shown, paid at the store, complete, the receipt mailed", async ({
      page,
      request,
    }) => {
      const [number] = unpaidDemoBills("electricity-bill", 10, 1);
      await lookUp(page, "electricity-bill", number!);
      await page.getByRole("button", { name: "Pay" }).click();
      await page.getByLabel("Convenience store code").check();
      const address = `store-${Date.now()}@example.tw`;
      await page.getByLabel(/^E-mail address/).fill(address);
      await page.getByRole("button", { name: /^Pay NT\$/ }).click();

      await expect(page.locator("h1")).toHaveText("Convenience store: get a payment code");
      await expectNoAxeViolations(page, "on the sandbox's store code page");
      await page.getByRole("button", { name: "Get the account or code" }).click();

      await expect(page.locator("h1")).toHaveText("Waiting for your payment");
      await expect(page.locator(".pay-later")).toContainText(/LLL\d{11}/);
      await expectNoAxeViolations(page, "on the result page awaiting a store payment");
      const reference = referenceOf(page);

      await payAtSandbox(page, reference, /Pay at the ATM or store now/);
      await page.goto(`/payments/${reference}`);
      await expect(page.locator("h1")).toHaveText("Payment complete");
      await expect.poll(() => receiptMailTo(request, address), { timeout: 15_000 }).not.toBeNull();
      const mail = (await receiptMailTo(request, address))!;
      expect(mail.attachments).toEqual([expect.objectContaining({ contentType: "application/pdf" })]);
      expect(mail.subject).toContain("Payment received");
      expect(mail.text).not.toContain(number!);
    });
  });

  test("a code left to expire frees the bill once the portal has asked ECPay", async ({ page }) => {
    test.setTimeout(150_000);
    const [number] = unpaidDemoBills("gas-bill", 10, 1);
    await checkout(page, "gas-bill", [number!]);
    await page.getByLabel("超商條碼繳費").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByLabel("1 分鐘後（測試用）").check();
    await page.getByRole("button", { name: "取得帳號或代碼" }).click();
    await expect(page.locator("h1")).toHaveText("等待您繳費");
    await expect(page.locator(".slip-barcodes img")).toHaveCount(3);
    await expect(page.locator(".slip-barcodes")).toContainText("第 3 段條碼");
    await expectNoAxeViolations(page, "on the result page with store barcodes");
    const reference = referenceOf(page);

    // ECPay sends nothing when a code expires: after its minute, paying the bill again makes the portal ask.
    await page.waitForTimeout(65_000);
    await page.goto("/bills");
    await expect(page.locator(".notice", { hasText: number! })).toHaveCount(0);
    await page.getByRole("button", { name: "去繳費" }).click();
    await page.getByLabel("LINE Pay").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
    await page.goto(`/payments/${reference}`);
    await expect(page.locator("h1")).toHaveText("付款未完成");
  });
});
