import type { APIRequestContext, BrowserContext, Page } from "@playwright/test";
import { E2E_BACK_OFFICE_URL, E2E_PORTAL_URL, E2E_SANDBOX_URL, E2E_SIMULATOR_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { OFFICE_ADDRESS, addVirtualAuthenticator, staffSignIn, staffSignOut } from "./support/back-office";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, test } from "./support/fixtures";
import { checkout, payWithLinePay } from "./support/payments";
import { refundDuplicate, takeRefundStep, type RequestedRefund } from "./support/refunds";

/*
 * Money going back, as the police's staff and the payer see it: a refund
 * requested by a handler, approved by a reviewer and released by a releaser,
 * each signing with a passkey, then sent through the sandbox; a bill paid
 * twice (a card payment the payer abandoned, made after all once the bill had
 * been paid with LINE Pay) ends in the duplicates queue and is refunded the
 * same way. The payer sees both on the receipts; the agency hears of the
 * refund. Staff of this spec's own (police-handler-3, police-reviewer-2,
 * police-releaser): their passkeys live in this context's authenticator.
 */
test.describe.configure({ mode: "serial" });
test.use({ baseURL: E2E_BACK_OFFICE_URL });

let staffContext: BrowserContext;
let staff: Page;
let residentContext: BrowserContext;
let resident: Page;
const [refundedBill, twiceBill] = unpaidDemoBills("traffic-fine", 44, 2) as [string, string];
/** Receipt numbers of the resident's payments, and the refunds' numbers as the back office gives them. */
const receipts = { refunded: "", twice: "" };
const refunds: Record<"requested" | "duplicate", RequestedRefund> = {
  requested: { path: "", number: "" },
  duplicate: { path: "", number: "" },
};

test.beforeAll(async ({ browser }, testInfo) => {
  testInfo.setTimeout(120_000);
  residentContext = await browser.newContext({
    baseURL: E2E_PORTAL_URL,
    locale: "zh-TW",
    extraHTTPHeaders: { "X-Forwarded-For": "198.19.241.1" },
  });
  resident = await residentContext.newPage();
  await checkout(resident, "traffic-fine", [refundedBill]);
  receipts.refunded = await payWithLinePay(resident);
  staffContext = await browser.newContext({
    baseURL: E2E_BACK_OFFICE_URL,
    locale: "zh-TW",
    extraHTTPHeaders: { "X-Forwarded-For": OFFICE_ADDRESS },
  });
  staff = await staffContext.newPage();
  await addVirtualAuthenticator(staff);
});

test.afterAll(async () => {
  await staffContext?.close();
  await residentContext?.close();
});

/** Signs the step-up the page is asking for with this context's passkey. */
async function signWithPasskey(page: Page) {
  await expect(page.getByRole("heading", { name: "以通行金鑰確認" })).toBeVisible();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByRole("button", { name: "以通行金鑰確認" }).click();
}

/** The agency simulator's record of notices about one bill. */
async function agencyNotices(request: APIRequestContext, writeOffNumber: string) {
  const all = (await (await request.get(`${E2E_SIMULATOR_URL}/_simulator/notices`)).json()) as Array<{ body: Record<string, unknown> }>;
  return all.map((notice) => notice.body).filter((body) => body.writeOffNumber === writeOffNumber);
}

test("a bill paid twice here (a card payment made after all, once the bill was paid with LINE Pay) becomes a duplicate case", async () => {
  await checkout(resident, "traffic-fine", [twiceBill]);
  await resident.getByLabel("信用卡").check();
  await resident.getByRole("button", { name: /^確認付款/ }).click();
  await expect(resident).toHaveURL(/\/Cashier\/AioCheckOut\/V5$/);
  const action = await resident.locator("form[action^='/Cashier/pay/']").getAttribute("action");
  // Back to the portal without paying: the bill is free again, and paid with LINE Pay.
  await resident.getByRole("button", { name: /^取消/ }).click();
  await expect(resident.locator("h1")).toHaveText("付款未完成");
  await resident.getByRole("link", { name: "重新付款或改用其他支付工具" }).click();
  receipts.twice = await payWithLinePay(resident);
  // The card page was still open in another tab: the payer approves it after all, and ECPay charges the card.
  const late = await resident.request.post(`${E2E_SANDBOX_URL}${action}`, { form: { decision: "approve", card: "4311-9522-2222-2222" } });
  expect(late.ok()).toBe(true);

  await staffSignIn(staff, "police-handler-3", { firstTime: true });
  await staff.goto("/back-office/duplicates?state=open");
  await expect(staff.locator("article.duplicate-case", { hasText: twiceBill })).toBeVisible();
  await expectNoAxeViolations(staff, "duplicates with a case");
  refunds.duplicate = await refundDuplicate(staff, twiceBill);
  await expect(staff.getByRole("main")).toContainText("已送出退款申請，等待下一關核准。");

  // The payer's page of the card payment says its money goes back.
  await resident.goto(`/payments/${action!.split("/").at(-1)}`);
  await expect(resident.getByRole("main")).toContainText("這筆款項將退還");
  await expectNoAxeViolations(resident, "a payment to be refunded");
});

test("the handler requests a refund of a paid fine, with a reason, signed with the passkey; bad input says what to fix", async () => {
  await staff.goto(`/back-office/payments?receiptNumber=${receipts.refunded}`);
  await staff.getByRole("table").getByRole("link").first().click();
  await staff.getByRole("link", { name: `申請退還帳單 ${refundedBill} 的款項` }).click();
  await expect(staff.locator("h1")).toHaveText("申請退款");
  await expectNoAxeViolations(staff, "refund request");
  const amount = staff.getByLabel("退款金額（新臺幣）");
  const refundable = await amount.inputValue();
  // Too much, and no reason: both named at the top, the amount kept.
  await amount.fill(String(Number(refundable) + 1));
  await staff.getByRole("button", { name: "繼續簽章" }).click();
  const summary = staff.getByRole("alert");
  await expect(summary.getByRole("link", { name: "請選擇退款原因" })).toBeVisible();
  await expect(summary).toBeFocused();
  await expect(amount).toHaveValue(String(Number(refundable) + 1));
  // With a reason, the amount is weighed against what is refundable now, and said.
  await staff.getByLabel("退款原因").selectOption("payer_request");
  await staff.getByLabel("說明").fill("繳款人來電：同一張罰單已由公司代繳，申請退還。");
  await staff.getByRole("button", { name: "繼續簽章" }).click();
  await expect(summary).toContainText(/退款金額不能超過|可退/);
  await expect(staff.getByLabel("說明")).toHaveValue("繳款人來電：同一張罰單已由公司代繳，申請退還。");
  await amount.fill(refundable);
  await staff.getByRole("button", { name: "繼續簽章" }).click();
  await expect(staff.getByRole("main")).toContainText(refundedBill);
  await signWithPasskey(staff);
  await expect(staff.getByRole("main")).toContainText("已送出退款申請，等待下一關核准。");
  refunds.requested = {
    path: new URL(staff.url()).pathname,
    number: /RF\d{8}[0-9A-Z]{6}/.exec((await staff.locator("h1").textContent()) ?? "")![0],
  };
  await expectNoAxeViolations(staff, "refund after the request");
  await staffSignOut(staff);
});

test("a reviewer approves both refunds, each signed with the passkey", async () => {
  await staffSignIn(staff, "police-reviewer-2", { firstTime: true });
  await staff.goto("/back-office/refunds");
  const waiting = staff.getByRole("region", { name: "待您簽核" });
  await expect(waiting.getByRole("link", { name: refunds.requested.number })).toBeVisible();
  await expect(waiting.getByRole("link", { name: refunds.duplicate.number })).toBeVisible();
  await expectNoAxeViolations(staff, "refunds list");
  for (const refund of [refunds.requested, refunds.duplicate]) expect(await takeRefundStep(staff, refund, "approve")).toBe("approved");
  await expect(staff.getByRole("main")).toContainText("已記錄您的核准，退款等待下一關。");
  await expectNoAxeViolations(staff, "refund after an approval");
  await staffSignOut(staff);
});

test("the releaser releases them: the sandbox refunds, the payer and the agency are told", async ({ request }) => {
  await staffSignIn(staff, "police-releaser", { firstTime: true });
  for (const refund of [refunds.requested, refunds.duplicate]) expect(await takeRefundStep(staff, refund, "approve")).toBe("refunded");
  await expect(staff.getByRole("main")).toContainText("退款已放行，金流服務已完成退款。");
  await expect(staff.getByRole("table", { name: "退款的每一關，依序列出，附簽章" }).locator("tbody tr")).toHaveCount(3);
  await expectNoAxeViolations(staff, "a released refund");
  await staff.goto("/back-office/duplicates");
  await expect(staff.locator("article.duplicate-case", { hasText: twiceBill })).toContainText("已退款");
  await staffSignOut(staff);

  // The payer's receipt shows the refund, with its number.
  await resident.goto(`/receipts/${receipts.refunded}`);
  await expect(resident.getByRole("main")).toContainText(refunds.requested.number);
  await expectNoAxeViolations(resident, "a refunded receipt");
  // The police hear that the fine's payment was refunded (its write-off reversed), after the paid notice.
  await expect
    .poll(async () => (await agencyNotices(request, refundedBill)).map((body) => body.type), { timeout: 15_000 })
    .toEqual(["bill.paid", "bill.payment_refunded"]);
  // The twice-paid bill stays paid: its refund reverses nothing at the police.
  expect((await agencyNotices(request, twiceBill)).map((body) => body.type)).toEqual(["bill.paid"]);
});

/** Today in Taiwan, as the reconciliation form takes it. */
const taipeiToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

test("a day with injected mismatches reconciles to exactly those, and the accounting head resolves one with a note", async ({
  browser,
  request,
}) => {
  // Another payer (the first one's refunded fine is owed again, and would be listed at checkout).
  const payerContext = await browser.newContext({
    baseURL: E2E_PORTAL_URL,
    locale: "zh-TW",
    extraHTTPHeaders: { "X-Forwarded-For": "198.19.241.2" },
  });
  const payer = await payerContext.newPage();
  // Three more fines paid today: two with LINE Pay, one by card.
  const [dropped, feeChanged, amountChanged] = unpaidDemoBills("traffic-fine", 46, 3) as [string, string, string];
  const references: Record<string, string> = {};
  for (const [bill, tool] of [
    [dropped, "LINE Pay"],
    [feeChanged, "LINE Pay"],
    [amountChanged, "信用卡"],
  ] as const) {
    await checkout(payer, "traffic-fine", [bill]);
    await payer.getByLabel(tool).check();
    await payer.getByRole("button", { name: /^確認付款/ }).click();
    await payer.getByRole("button", { name: /核准付款/ }).click();
    await expect(payer.locator("h1")).toHaveText("付款成功");
    references[bill] = new URL(payer.url()).pathname.split("/").at(-1)!;
  }
  await payerContext.close();
  await staffSignIn(staff, "police-accounting", { firstTime: true });
  const refundedOrder = await staffOrderReference(receipts.refunded);
  const twiceOrder = await staffOrderReference(receipts.twice);
  const stranger = "P261201ZZZZZZZZZZZ";
  const faults = [
    { kind: "drop_line", merchantOrderNumber: references[dropped] },
    { kind: "change_fee", merchantOrderNumber: references[feeChanged], fee: 1 },
    { kind: "change_amount", merchantOrderNumber: references[amountChanged], amount: 1 },
    { kind: "drop_refund", merchantOrderNumber: refundedOrder },
    { kind: "add_line", provider: "ecpay", merchantOrderNumber: stranger, amount: 900 },
  ];
  expect((await request.post(`${E2E_SANDBOX_URL}/_sandbox/settlement-faults`, { data: { faults } })).ok()).toBe(true);

  try {
    await staff.goto("/back-office/reconciliation");
    await expectNoAxeViolations(staff, "reconciliation");
    const fetchForm = staff.getByRole("region", { name: "向金流業者取得單日對帳檔" });
    for (const provider of ["LINE Pay", "綠界科技"]) {
      await fetchForm.getByLabel("金流業者").selectOption({ label: provider });
      await fetchForm.getByLabel("日期").fill(taipeiToday());
      await fetchForm.getByRole("button", { name: "取得並對帳" }).click();
      // This provider's answer, not the one before it still on the page: the faults must hold until the file is made.
      await expect(staff.getByRole("status")).toContainText(`${provider}，${taipeiToday()}：已讀取並對帳`);
    }
  } finally {
    await request.post(`${E2E_SANDBOX_URL}/_sandbox/settlement-faults`, { data: { faults: [] } });
  }
  await staff.goto(`/back-office/reconciliation/${taipeiToday()}`);
  await expectNoAxeViolations(staff, "a reconciled day");
  const group = (outcome: string) => staff.getByRole("table", { name: new RegExp(`^${outcome}：`) });
  await expect(group("本平台已繳費，對帳檔無此筆")).toContainText(references[dropped]!);
  await expect(group("手續費不符")).toContainText(references[feeChanged]!);
  await expect(group("金額不符")).toContainText(references[amountChanged]!);
  await expect(group("本平台已退款，對帳檔無此筆")).toContainText(refundedOrder);
  await expect(group("對帳檔有此筆，本平台未收款")).toContainText(stranger);
  // Nothing else of this test's payments is a mismatch: the twice-paid bill's orders and the refunds are matched.
  await expect(staff.getByRole("main")).not.toContainText(twiceOrder);

  // The accounting head looks into the line nobody here paid for, and says what was found.
  const stray = group("對帳檔有此筆，本平台未收款").getByRole("row", { name: new RegExp(stranger) });
  await stray.getByLabel("查明的情形與處理方式").fill("綠界誤列他店交易，已去電綠界更正撥款。");
  await stray.getByRole("button", { name: "標示為已處理" }).click();
  await expect(staff.getByRole("main")).toContainText("綠界誤列他店交易");
  await staffSignOut(staff);
});

/** The order reference of a receipt, as the back office shows it. */
async function staffOrderReference(receiptNumber: string): Promise<string> {
  await staff.goto(`/back-office/payments?receiptNumber=${receiptNumber}`);
  const link = staff.getByRole("table").getByRole("link").first();
  return (await link.textContent())!.trim();
}
