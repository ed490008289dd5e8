import type { Browser, Page } from "@playwright/test";
import { taipeiDate, addDays } from "../app/domain/dates";
import { parseConvenienceBill } from "../app/domain/convenience-barcode";
import { generateDemoData } from "../app/demo/data/generate";
import { expectNoAxeViolations } from "./support/axe";
import { unpaidDemoBills } from "./support/demo-bills";
import { CAPTCHA_LABEL, NUMBER_LABEL, captchaDigits, expect, submitLookup, test } from "./support/fixtures";
import { loginAtProvider } from "./support/members";
import { checkout, payWithLinePay, pdfText } from "./support/payments";

/**
 * Payment records: a bill's payments for anyone with its number (and the
 * captcha), a member's history with filters and downloads, and reprinted
 * payment slips whose barcodes a store's scanner reads back to the bill.
 */

const demoBills = generateDemoData({ today: taipeiDate() }).bills;
const billOf = (number: string) => demoBills.find((bill) => bill.writeOffNumber === number)!;

async function lookUpRecords(page: Page, billType: string, number: string) {
  await page.goto("/records");
  await page.getByRole("link", { name: billType }).click();
  await expect(page.locator("h1")).toContainText("的繳費紀錄");
  await page.getByLabel(NUMBER_LABEL).fill(number);
  await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
  await submitLookup(page);
  await expect(page.locator("h1")).toHaveText("帳單繳費紀錄");
}

async function freshPage(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ locale: "zh-TW", baseURL });
  return { page: await context.newPage(), close: () => context.close() };
}

test("anyone with the number and the captcha sees a bill's payments and opens its receipt from any browser", async ({
  page,
  browser,
  baseURL,
}) => {
  const [number] = unpaidDemoBills("traffic-fine", 5, 1);
  await checkout(page, "traffic-fine", [number!]);
  const receiptNumber = await payWithLinePay(page);

  // Later, from another browser: the records query, with its captcha.
  const other = await freshPage(browser, baseURL!);
  try {
    await other.page.goto("/records");
    await expectNoAxeViolations(other.page, "on the records page");
    await lookUpRecords(other.page, "交通違規罰鍰", number!);
    const record = other.page.locator("article", { hasText: receiptNumber });
    await expect(record).toContainText("已繳費");
    await expect(record).toContainText("LINE Pay");
    await expect(other.page.locator("article.bill-card").first()).toContainText(/○/);
    await expectNoAxeViolations(other.page, "on a bill's payment records");

    const download = other.page.getByRole("link", { name: `下載繳費證明 ${receiptNumber}（PDF）` });
    const pdfHref = (await download.getAttribute("href"))!;
    const pdf = await pdfText(await (await other.page.request.get(pdfHref)).body());
    expect(pdf.text).toContain(receiptNumber);
    expect(pdf.text).toContain(number!);

    const receiptHref = (await other.page.getByRole("link", { name: `查看繳費證明 ${receiptNumber}` }).getAttribute("href"))!;
    // The signed link opens in yet another browser; the bare number, or a wrong signature, opens nothing.
    const third = await freshPage(browser, baseURL!);
    try {
      await third.page.goto(receiptHref);
      await expect(third.page.locator("h1")).toHaveText("繳費證明");
      await expect(third.page.locator(".receipt-bills")).toContainText(number!);
      expect((await third.page.goto(`/receipts/${receiptNumber}`))?.status()).toBe(404);
      expect((await third.page.goto(`${receiptHref.slice(0, -2)}xx`))?.status()).toBe(404);
      expect((await third.page.request.get(`/receipts/${receiptNumber}/pdf`)).status()).toBe(404);
    } finally {
      await third.close();
    }
  } finally {
    await other.close();
  }
});

test("an unpaid bill's records offer a reprinted slip whose barcodes read back to the bill", async ({ page }) => {
  const [number] = unpaidDemoBills("environmental-fine", 5, 1);
  const bill = billOf(number!);
  await lookUpRecords(page, "環保行政罰鍰", number!);
  await expect(page.getByText("這張帳單還沒有繳費紀錄。")).toBeVisible();
  await page.getByRole("link", { name: "補印超商繳費單" }).click();
  await expect(page.locator("h1")).toHaveText("補印超商繳費單");
  await expectNoAxeViolations(page, "on the payment slip");

  // The barcodes' texts follow the convenience-store rules (check code included) and name this bill.
  const texts = await page
    .locator(".slip-barcodes img")
    .evaluateAll((images) => images.map((image) => image.getAttribute("alt")!.split("：")[1]!));
  const parsed = parseConvenienceBill(texts as [string, string, string], taipeiDate());
  expect(parsed).toMatchObject({
    ok: true,
    bill: { writeOffNumber: number, amount: bill.amount, deadline: bill.dueDate, collectionItemCode: "EP4" },
  });
  const slipUrl = page.url();

  // What a scanner reads off the printed slip: a picture of it, read by the portal's own scanner.
  const picture = await page.locator(".slip-barcodes").screenshot();
  await page.goto("/scan");
  await page.getByLabel("選擇已存的帳單照片或電子帳單截圖").setInputFiles({ name: "slip.png", mimeType: "image/png", buffer: picture });
  await expect(page).toHaveURL(/\/bills$/);
  await expect(page.locator("article.bill-card").first()).toContainText(number!);

  const pdf = await pdfText(await (await page.request.get(`${new URL(slipUrl).pathname}.pdf`)).body());
  expect(pdf.text).toContain(number!);
  expect(pdf.text).toContain("補印繳費單");
});

test("a member's history: filters, CSV for Excel, receipts as PDF, a printable list, in both languages", async ({ page }) => {
  // Three payments, two PDFs, a CSV and two languages: more than the default 30 s on a loaded machine.
  test.slow();
  await page.goto("/login?returnTo=%2Faccount%2Fpayments");
  await loginAtProvider(page, "member-c");
  await expect(page.locator("h1")).toHaveText("我的繳費紀錄");
  await expect(page.getByText("沒有符合條件的繳費紀錄。")).toBeVisible();

  // Paid while logged in: two fines together with LINE Pay, one fee by credit card.
  const fines = unpaidDemoBills("traffic-fine", 6, 2);
  await checkout(page, "traffic-fine", fines);
  const first = await payWithLinePay(page);
  const [fee] = unpaidDemoBills("market-usage-fee", 5, 1);
  await checkout(page, "market-usage-fee", [fee!]);
  await page.getByLabel("信用卡").check();
  await page.getByRole("button", { name: /^確認付款/ }).click();
  await page.getByRole("button", { name: /核准付款/ }).click();
  await expect(page.locator("h1")).toHaveText("付款成功");
  const second = (await page.locator(".reference").textContent())!.split("：")[1]!;

  await page.goto("/account/payments");
  const rows = page.locator(".history-table tbody tr");
  await expect(rows).toHaveCount(3);
  const total = fines.reduce((sum, n) => sum + billOf(n).amount, 0) + billOf(fee!).amount;
  await expect(page.locator(".total")).toContainText(`共 3 筆紀錄，已繳金額合計 新臺幣 ${total.toLocaleString("en")} 元`);
  await expectNoAxeViolations(page, "on the payment history");

  // Filters keep what was chosen and narrow the list.
  await page.getByLabel("繳費項目").selectOption({ label: "交通違規罰鍰" });
  await page.getByRole("button", { name: "套用篩選" }).click();
  await expect(rows).toHaveCount(2);
  await expect(page.getByLabel("繳費項目")).toHaveValue("traffic-fine");
  const yesterday = addDays(taipeiDate(), -1);
  await page.goto(`/account/payments?to=${yesterday}`);
  await expect(page.getByText("沒有符合條件的繳費紀錄。")).toBeVisible();
  await page.goto(`/account/payments?from=${taipeiDate()}&to=${yesterday}`);
  await expect(page.locator(".error-summary")).toContainText("結束日期不能早於起始日期");
  await expect(page.getByLabel("結束日期")).toHaveValue(yesterday);
  await page.goto("/account/payments?from=2026-02-30");
  await expect(page.locator(".error-summary")).toContainText("日期格式不正確");
  await expectNoAxeViolations(page, "on the history with a filter problem");

  // The CSV: UTF-8 with a BOM, a header, one row per bill, amounts as plain integers.
  await page.goto("/account/payments");
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "下載清單（CSV）" }).click()]);
  const csv = await streamText(await csvDownload.createReadStream());
  expect(csv.charCodeAt(0)).toBe(0xfeff);
  const lines = csv.slice(1).trimEnd().split("\r\n");
  expect(lines[0]).toBe(
    "繳費時間,繳費時間（ISO 8601，臺灣時間）,狀態,繳費項目,開單機關,銷帳編號,繳款人,繳費標的,金額（新臺幣元）,支付工具,繳費證明編號,訂單編號,退款時間,退款時間（ISO 8601，臺灣時間）,已退款金額（新臺幣元）,退款編號",
  );
  expect(lines).toHaveLength(4);
  for (const number of [...fines, fee!]) {
    const line = lines.find((l) => l.includes(number))!;
    expect(line).toContain(`,${billOf(number).amount},`);
    expect(line).toContain(",已繳費,");
  }
  expect(lines.find((l) => l.includes(fee!))).toContain(second);

  // All receipts (two payments: two pages), then one ticked receipt.
  const all = await page.request.get("/account/payments/receipts.pdf?all=1");
  expect(all.headers()["content-type"]).toBe("application/pdf");
  const allPdf = await pdfText(await all.body());
  expect(allPdf.pages).toBe(2);
  expect(`${allPdf.text}${(await pdfText(await all.body(), 2)).text}`).toContain(first);
  await page.getByRole("checkbox", { name: `選取繳費證明 ${second}` }).check();
  const [oneDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "下載選取的繳費證明（PDF）" }).click(),
  ]);
  const one = await pdfText(await streamBuffer(await oneDownload.createReadStream()));
  expect(one.pages).toBe(1);
  expect(one.text).toContain(second);
  expect(one.text).toContain(fee!);

  await page.getByRole("link", { name: "列印用清單" }).click();
  await expect(page.locator("h1")).toHaveText("繳費紀錄清單");
  await expect(page.locator("tbody tr")).toHaveCount(3);
  await expectNoAxeViolations(page, "on the printable history");

  await page.getByRole("button", { name: "English" }).click();
  await expect(page.locator("h1")).toHaveText("Payment history");
  await page.goto("/account/payments");
  await expect(page.locator("h1")).toHaveText("My payment history");
  await expectNoAxeViolations(page, "on the English payment history");
});

test("a member cannot download another member's receipts by asking for their numbers", async ({ page, browser, baseURL }) => {
  // A receipt of a payment made without logging in.
  const [number] = unpaidDemoBills("traffic-fine", 8, 1);
  await checkout(page, "traffic-fine", [number!]);
  const receiptNumber = await payWithLinePay(page);

  const member = await freshPage(browser, baseURL!);
  try {
    await member.page.goto("/login?returnTo=%2Faccount%2Fpayments");
    await loginAtProvider(member.page, "member-c");
    await expect(member.page.locator("h1")).toHaveText("我的繳費紀錄");
    const response = await member.page.request.get(`/account/payments/receipts.pdf?receipt=${receiptNumber}`, { maxRedirects: 0 });
    expect(response.status()).toBe(303);
    expect(response.headers().location).toBe("/account/payments?none=1");
    expect((await member.page.request.get(`/receipts/${receiptNumber}`)).status()).toBe(404);
  } finally {
    await member.close();
  }
});

async function streamBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  return (await streamBuffer(stream)).toString("utf8");
}
