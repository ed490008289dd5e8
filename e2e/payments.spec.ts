import { E2E_PROVIDER_TIMEOUT_MS, E2E_SANDBOX_URL, E2E_SIMULATOR_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, lookUp, test } from "./support/fixtures";
import { checkout, pdfText } from "./support/payments";

test.describe("paying bills through the sandbox gateway", () => {
  test("one bill with LINE Pay: paid, receipt, PDF that verifies, agency notified", async ({ page }) => {
    const [number] = unpaidDemoBills("traffic-fine", 0, 1);
    await checkout(page, "traffic-fine", [number!]);
    await expectNoAxeViolations(page, "at checkout");
    await page.getByLabel("LINE Pay").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();

    await expect(page).toHaveURL(/\/line-pay\/approve\//);
    await expectNoAxeViolations(page, "on the sandbox LINE Pay page");
    await page.getByRole("button", { name: /核准付款/ }).click();

    await expect(page).toHaveURL(/\/payments\/P\d{6}[0-9A-Z]{11}$/);
    await expect(page.locator("h1")).toHaveText("付款成功");
    const receiptNumber = (await page.locator(".reference").textContent())!.split("：")[1]!;
    expect(receiptNumber).toMatch(/^R\d{8}-[0-9A-Z]{6}$/);
    await expect(page.locator("article.bill-card")).toContainText("已繳費");
    await expectNoAxeViolations(page, "on the payment result");

    await page.getByRole("link", { name: "查看與列印繳費證明" }).click();
    await expect(page.locator("h1")).toHaveText("繳費證明");
    await expect(page.locator(".receipt-bills")).toContainText(number!);
    await expectNoAxeViolations(page, "on the receipt");

    const download = await page.request.get(`/receipts/${receiptNumber}/pdf`);
    expect(download.headers()["content-type"]).toBe("application/pdf");
    const pdf = await pdfText(await download.body());
    expect(pdf.text).toContain("繳費證明");
    expect(pdf.text).toContain(receiptNumber);
    expect(pdf.text).toContain(number!);
    expect(pdf.text).toContain("LINE Pay");
    const verifyUrl = pdf.links.find((link) => link.includes("/receipts/verify"))!;
    expect(verifyUrl).toBeTruthy();

    // An accounting office, in another browser, checks the receipt.
    const officeContext = await page
      .context()
      .browser()!
      .newContext({ locale: "zh-TW", baseURL: new URL(page.url()).origin });
    const office = await officeContext.newPage();
    await office.goto(verifyUrl);
    await expect(office.locator("h1")).toHaveText("這是支付繳費通開立的有效繳費證明");
    await expect(office.locator(".receipt-bills")).toContainText(number!);
    await expectNoAxeViolations(office, "on the verification page");
    // A receipt number with a made-up check code proves nothing.
    await office.goto(verifyUrl.replace(/s=[^&]+/, "s=AAAAAAAAAAAAAAAAAAAAAA"));
    await expect(office.locator("h1")).toHaveText("無法驗證這份繳費證明");
    // Nor can the office open the payer's receipt page itself.
    expect((await office.goto(`/receipts/${receiptNumber}`))?.status()).toBe(404);
    await officeContext.close();

    // The police received the write-off notice.
    await expect
      .poll(
        async () => {
          const notices = (await (await page.request.get(`${E2E_SIMULATOR_URL}/_simulator/notices`)).json()) as Array<{
            body: { writeOffNumber: string; receiptNumber: string };
          }>;
          return notices.find((notice) => notice.body.writeOffNumber === number)?.body.receiptNumber;
        },
        { timeout: 10_000 },
      )
      .toBe(receiptNumber);
  });

  test("three bills together with LINE Pay", async ({ page }) => {
    const numbers = unpaidDemoBills("parking-fee", 0, 3);
    await checkout(page, "parking-fee", numbers);
    await expect(page.locator(".total")).toContainText("共 3 張帳單");
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
    await expect(page.locator("article.bill-card")).toHaveCount(3);
  });

  test("one bill by credit card through ECPay", async ({ page }) => {
    const [number] = unpaidDemoBills("environmental-fine", 0, 1);
    await checkout(page, "environmental-fine", [number!]);
    await page.getByLabel("信用卡").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await expect(page).toHaveURL(/\/Cashier\/AioCheckOut\/V5$/);
    await expectNoAxeViolations(page, "on the sandbox ECPay page");
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
    await expect(page.locator("dl").first()).toContainText("信用卡");
  });

  test("three bills together by credit card through ECPay", async ({ page }) => {
    const numbers = unpaidDemoBills("market-usage-fee", 0, 3);
    await checkout(page, "market-usage-fee", numbers);
    await page.getByLabel("信用卡").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
    await expect(page.locator("article.bill-card")).toHaveCount(3);
  });

  test("a declined payment takes nothing and the bill can be paid again", async ({ page }) => {
    const [number] = unpaidDemoBills("labor-fine", 0, 1);
    await checkout(page, "labor-fine", [number!]);
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /拒絕付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款未完成");
    await expect(page.getByRole("status")).toContainText("付款沒有成功，沒有扣款");
    await expectNoAxeViolations(page, "after a declined payment");
    await page.getByRole("link", { name: "重新付款或改用其他支付工具" }).click();
    await expect(page.locator("h1")).toHaveText("繳費");
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
  });

  test("a payment cancelled at LINE Pay is cancelled here too", async ({ page }) => {
    const [number] = unpaidDemoBills("health-fine", 0, 1);
    await checkout(page, "health-fine", [number!]);
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /^取消/ }).click();
    await expect(page.locator("h1")).toHaveText("付款未完成");
    await expect(page.getByRole("status")).toContainText("付款已取消");
  });

  test("a payer back from ECPay without paying is told nothing was charged and can pay another way at once", async ({ page }) => {
    const [number] = unpaidDemoBills("building-permit-fee", 0, 1);
    await checkout(page, "building-permit-fee", [number!]);
    await page.getByLabel("信用卡").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    // ECPay's "back to the shop" (返回商店): the portal asks ECPay, which says the trade is unpaid.
    await page.getByRole("button", { name: /^取消/ }).click();
    await expect(page.locator("h1")).toHaveText("付款未完成");
    await expect(page.getByRole("status")).toContainText("沒有完成付款，也沒有扣款");
    await expectNoAxeViolations(page, "back from ECPay without paying");
    await page.getByRole("link", { name: "重新付款或改用其他支付工具" }).click();
    await expect(page.locator("h1")).toHaveText("繳費");
    await page.getByLabel("LINE Pay").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
  });

  test("a payer who comes back to checkout in the same browser can resume the payment they started, or give it up", async ({ page }) => {
    const [first, second] = unpaidDemoBills("traffic-fine", 1, 2);
    for (const [number, choice] of [
      [first!, "resume"],
      [second!, "give up"],
    ] as const) {
      await checkout(page, "traffic-fine", [number]);
      const checkoutUrl = page.url();
      await page.getByRole("button", { name: /^確認付款/ }).click();
      await expect(page).toHaveURL(/\/line-pay\/approve\//);
      // The payer leaves LINE Pay's page and comes back to checkout.
      await page.goto(checkoutUrl);
      await expect(page.locator(".notice")).toContainText("已在這個瀏覽器開始用LINE Pay繳納");
      await expectNoAxeViolations(page, "at checkout with a payment under way");
      await page.getByRole("link", { name: "前往那筆付款：繼續付款或放棄" }).click();
      await expect(page.locator("h1")).toHaveText("付款處理中");
      if (choice === "resume") {
        await page.getByRole("link", { name: "回到 LINE Pay 完成付款" }).click();
        await page.getByRole("button", { name: /核准付款/ }).click();
        await expect(page.locator("h1")).toHaveText("付款成功");
      } else {
        await page.getByRole("button", { name: "放棄這筆付款，改用其他方式" }).click();
        await expect(page.locator("h1")).toHaveText("付款未完成");
        await expect(page.getByRole("status")).toContainText("沒有扣款");
        await page.getByRole("link", { name: "重新付款或改用其他支付工具" }).click();
        await page.getByLabel("信用卡").check();
        await page.getByRole("button", { name: /^確認付款/ }).click();
        await page.getByRole("button", { name: /核准付款/ }).click();
        await expect(page.locator("h1")).toHaveText("付款成功");
      }
    }
  });

  test("another payer meeting a payment under way is told until when the bill is held, in their language", async ({
    page,
    browser,
    baseURL,
  }) => {
    const [number] = unpaidDemoBills("traffic-fine", 3, 1);
    await checkout(page, "traffic-fine", [number!]);
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await expect(page).toHaveURL(/\/line-pay\/approve\//);

    // Someone else, in another browser, looks the same bill up and tries to pay it.
    const otherContext = await browser.newContext({ locale: "en", baseURL, extraHTTPHeaders: { "X-Forwarded-For": "198.19.250.7" } });
    const other = await otherContext.newPage();
    await lookUp(other, "traffic-fine", number!);
    await other.getByRole("button", { name: "Pay" }).click();
    await other.getByRole("button", { name: /^Pay NT\$/ }).click();
    const summary = other.getByRole("alert");
    await expect(summary).toContainText(`The bill with write-off number ${number} is being paid in another payment and is held until`);
    await expect(summary).toContainText(/held until \d{2}:\d{2}/);
    await expect(other.locator(":focus")).toHaveClass(/error-summary/);
    await expectNoAxeViolations(other, "when the bill is held by another payment");
    await otherContext.close();

    // The first payer still pays.
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
  });

  test("a browser can pay only the bills it found: another browser posting their ids to checkout gets nothing to pay", async ({
    page,
    browser,
    baseURL,
  }) => {
    const [number] = unpaidDemoBills("accident-assessment-fee", 0, 1);
    await checkout(page, "accident-assessment-fee", [number!]);
    const billId = await page.locator('input[name="bill"]').first().inputValue();
    const key = await page.locator('input[name="idempotencyKey"]').inputValue();

    const strangerContext = await browser.newContext({ locale: "zh-TW", baseURL, extraHTTPHeaders: { "X-Forwarded-For": "198.19.251.9" } });
    const stranger = await strangerContext.newPage();
    // The checkout page with that bill's id shows nothing to pay...
    await stranger.goto(`/pay?bill=${billId}`);
    await expect(stranger.getByText("您沒有選擇要繳的待繳帳單")).toBeVisible();
    // ...and a checkout posted with it, as a form from the portal would be, starts no payment.
    const posted = await stranger.request.post("/pay?_data=routes%2Fpay", {
      form: { bill: billId, tool: "line_pay", idempotencyKey: "00000000-0000-4000-8000-00000000e2e1" },
      headers: { Origin: new URL(baseURL!).origin },
      maxRedirects: 0,
    });
    expect(posted.status()).toBe(409);
    expect(posted.headers().location).toBeUndefined();
    await strangerContext.close();

    // The browser that found it still pays it: the stranger's attempt held nothing.
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
  });

  test("when LINE Pay answers too late, the result page says so and updates by itself once it is settled", async ({ page }) => {
    const [number] = unpaidDemoBills("gas-bill", 0, 1);
    // LINE Pay completes the confirmation, but answers after the portal has stopped waiting (only for this bill).
    await page.request.post(`${E2E_SANDBOX_URL}/_sandbox/faults`, {
      data: { delayMs: E2E_PROVIDER_TIMEOUT_MS + 1_500, delayCalls: ["confirm"], only: number },
    });
    try {
      await checkout(page, "gas-bill", [number!]);
      await page.getByRole("button", { name: /^確認付款/ }).click();
      await page.getByRole("button", { name: /核准付款/ }).click();
      await expect(page.locator("h1")).toHaveText("付款處理中", { timeout: 15_000 });
      await expect(page.getByRole("status")).toContainText("請不要重複付款");
      await expectNoAxeViolations(page, "while the outcome is unknown");
      await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      // The recovery job asks LINE Pay; the page, polling, shows the outcome without a reload.
      await expect(page.locator("h1")).toHaveText("付款成功", { timeout: 20_000 });
      expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
      await expect(page.locator(".reference")).toContainText(/R\d{8}-[0-9A-Z]{6}/);
    } finally {
      await page.request.post(`${E2E_SANDBOX_URL}/_sandbox/faults`, { data: {} });
    }
  });

  test("a paid bill says so and cannot be paid again", async ({ page }) => {
    const [number] = unpaidDemoBills("animal-protection-fine", 0, 1);
    await checkout(page, "animal-protection-fine", [number!]);
    const checkoutUrl = page.url();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await page.getByRole("button", { name: /核准付款/ }).click();
    await expect(page.locator("h1")).toHaveText("付款成功");
    await lookUp(page, "animal-protection-fine", number!);
    await expect(page.locator("article.bill-card").first()).toContainText("已繳費");
    await expect(page.locator("article.bill-card").first()).toContainText("本平台線上繳費");
    await expect(page.getByRole("button", { name: "去繳費" })).toHaveCount(0);
    // Going back to the old checkout page offers nothing to pay.
    await page.goto(checkoutUrl);
    await expect(page.getByText("您沒有選擇要繳的待繳帳單")).toBeVisible();
  });
});

test.describe("paying in English", () => {
  test.use({ locale: "en" });
  test("checkout and result are in English", async ({ page }) => {
    const [number] = unpaidDemoBills("school-fee", 0, 1);
    await lookUp(page, "school-fee", number!);
    await page.getByRole("button", { name: "Pay" }).click();
    // A tool no provider carries (JKOPAY, allowed by the bill type) is not offered at all.
    await expect(page.getByLabel("JKOPAY")).toHaveCount(0);
    await page.getByLabel("Credit card").check();
    await page.getByRole("button", { name: /^Pay NT\$/ }).click();
    await page.getByRole("button", { name: /Approve/ }).click();
    await expect(page.locator("h1")).toHaveText("Payment complete");
    await expectNoAxeViolations(page, "on the result in English");
  });
});
