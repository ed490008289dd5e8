import { E2E_MAILS_URL, E2E_SANDBOX_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, lookUp, test } from "./support/fixtures";

/**
 * A receipt by e-mail, as a tester meets it in the demo: the payer leaves an
 * address at checkout, pays, and the receipt (PDF attached) arrives on the
 * demo's mail server, readable on its page; its unsubscribe link asks first
 * and stops only receipts. Each page keeps the portal's conventions and has
 * no axe violations.
 */
test("a payer leaves an address at checkout, reads the receipt on the demo mail server, and unsubscribes from its link", async ({
  page,
  request,
}) => {
  const [number] = unpaidDemoBills("traffic-fine", 49, 1);
  const address = `e2e-${Date.now()}@example.tw`;
  await lookUp(page, "traffic-fine", number!);
  await page.getByRole("button", { name: /^(去繳費|Pay)$/ }).click();
  const field = page.getByLabel(/^電子郵件地址/);
  await expect(field).toHaveAttribute("type", "email");
  await expect(field).toHaveAttribute("autocomplete", "email");
  await expectNoAxeViolations(page, "on the pay page with the e-mail field");
  await field.fill("not-an-address");
  await page.getByLabel("LINE Pay").check();
  await page.getByRole("button", { name: /^確認付款/ }).click();
  // Refused before anything is paid: the summary names the field, which keeps what was typed.
  await expect(page.getByRole("alert")).toContainText("請輸入正確格式的電子郵件地址");
  await expect(page.getByLabel(/^電子郵件地址/)).toHaveValue("not-an-address");
  await page.getByLabel(/^電子郵件地址/).fill(address);
  await page.getByRole("button", { name: /^確認付款/ }).click();
  await expect(page).toHaveURL(/\/line-pay\/approve\//);
  await page.getByRole("button", { name: /核准付款/ }).click();
  await expect(page.locator("h1")).toHaveText("付款成功");

  // The mail job, woken at the payment's commit, has sent the receipt.
  await expect
    .poll(async () => {
      const { mails } = (await (await request.get(`${E2E_SANDBOX_URL}/_sandbox/mails.json`)).json()) as {
        mails: Array<{ id: string; to: string[]; kind: string }>;
      };
      return mails.find((mail) => mail.to.includes(address) && mail.kind === "receipt")?.id ?? null;
    })
    .not.toBeNull();
  await page.goto(`${E2E_MAILS_URL}?lang=zh-TW`);
  await expect(page.locator("h1")).toHaveText("收到的郵件");
  await expectNoAxeViolations(page, "on the demo mail server's list");
  await page
    .getByRole("row", { name: new RegExp(address) })
    .getByRole("link")
    .click();
  await expect(page.locator("h1")).toContainText("繳費成功");
  await expect(page.getByRole("link", { name: /下載 收據-R\d{8}-/ })).toBeVisible();
  const text = (await page.locator("pre").first().textContent())!;
  expect(text).not.toContain(number!);
  expect(text).toContain("不會以電子郵件或電話要求");
  await expectNoAxeViolations(page, "on a mail's page");

  // Its unsubscribe link: opening it only asks.
  const unsubscribe = /(http:\/\/\S+\/email\/unsubscribe\?\S+)/.exec(text)![1]!;
  await page.goto(unsubscribe);
  await expect(page.locator("h1")).toHaveText("取消訂閱電子郵件");
  await expect(page.getByRole("listitem").filter({ hasText: "繳費收據" })).toBeVisible();
  await expectNoAxeViolations(page, "on the unsubscribe page");
  await page.getByRole("button", { name: "停止寄送這類郵件" }).click();
  await expect(page.locator("h1")).toHaveText("已取消訂閱");
  await page.goto(unsubscribe);
  await expect(page.getByText("這個電子郵件地址已經不會收到：繳費收據。")).toBeVisible();

  // A link altered by hand: a clear page, never an error.
  await page.goto(unsubscribe.replace("kind=receipt", "kind=due_reminder"));
  await expect(page.locator("h1")).toHaveText("取消訂閱連結無法使用");
  await expectNoAxeViolations(page, "on a forged unsubscribe link");
});
