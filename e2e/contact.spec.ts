import { expect, test, type Page } from "@playwright/test";
import { expectNoAxeViolations } from "./support/axe";
import { test as clientTest } from "./support/fixtures";

async function fill(
  page: Page,
  values: { topic?: string; agency?: string; name?: string; email?: string; phone?: string; message?: string },
) {
  if (values.topic !== undefined) await page.getByLabel(/問題類型|Topic/).selectOption(values.topic);
  if (values.agency !== undefined) await page.getByLabel(/開單機關|Agency that issued/).selectOption(values.agency);
  if (values.name !== undefined) await page.getByLabel(/^(姓名|Name)/).fill(values.name);
  if (values.email !== undefined) await page.getByLabel(/電子郵件|E-mail/).fill(values.email);
  if (values.phone !== undefined) await page.getByLabel(/聯絡電話|Phone/).fill(values.phone);
  if (values.message !== undefined) await page.getByLabel(/^(內容|Message)/).fill(values.message);
}

for (const javaScriptEnabled of [true, false]) {
  test.describe(`contact form ${javaScriptEnabled ? "with" : "without"} JavaScript`, () => {
    test.use({ javaScriptEnabled });

    test("says what to fix at the top, links to the fields and keeps what was typed", async ({ page }) => {
      await page.goto("/contact");
      await fill(page, { name: "陳怡君", email: "yijun@example", message: "太短" });
      await page.getByRole("button", { name: "送出" }).click();

      const summary = page.locator(".error-summary");
      await expect(summary).toBeVisible();
      await expect(summary).toBeFocused();
      await expect(summary.getByRole("link")).toHaveText([
        "請選擇問題類型",
        "電子郵件格式不正確，例如 name@example.com",
        "內容請至少寫 10 個字",
      ]);
      // What the user typed is still there.
      await expect(page.getByLabel(/^姓名/)).toHaveValue("陳怡君");
      await expect(page.getByLabel(/電子郵件/)).toHaveValue("yijun@example");
      await expect(page.getByLabel(/^內容/)).toHaveValue("太短");
      await expect(page.getByLabel(/電子郵件/)).toHaveAttribute("aria-invalid", "true");

      await summary.getByRole("link", { name: /電子郵件/ }).click();
      await expect(page.getByLabel(/電子郵件/)).toBeFocused();
      // Following a link keeps the problems on screen.
      await expect(summary.getByRole("link")).toHaveCount(3);
      // axe is a script itself: it checks the same markup in the JavaScript run.
      if (javaScriptEnabled) await expectNoAxeViolations(page, "with errors shown");
    });

    test("stores a valid message and shows a reference number, promising no e-mail reply", async ({ page }) => {
      await page.goto("/contact");
      // The agency is offered for every topic, and left empty goes to the portal's own team.
      await expect(page.getByLabel(/開單機關/)).toHaveValue("");
      await expect(page.getByLabel(/開單機關/).locator("option", { hasText: "臺中市政府警察局" })).toHaveCount(1);
      await fill(page, {
        topic: "accessibility",
        name: "Lin Mei-hsin",
        email: "mei@example.tw",
        phone: "04-2228-9111",
        message: "螢幕報讀軟體在繳費頁面唸不出金額，請協助改善。",
      });
      await page.getByRole("button", { name: "送出" }).click();
      await expect(page).toHaveURL(/\/contact\/thanks\?ref=FB-\d{8}-[0-9A-Z]{6}$/);
      await expect(page.locator("h1")).toHaveText("謝謝您，我們已收到您的訊息");
      const reference = new URL(page.url()).searchParams.get("ref")!;
      await expect(page.getByText(reference)).toBeVisible();
      await expect(page.locator("main")).toContainText("市民專線 1999");
      await expect(page.locator("main")).not.toContainText("以電子郵件回覆");
      if (javaScriptEnabled) await expectNoAxeViolations(page, "on the thank-you page");
    });
  });
}

test.describe("contact form in English", () => {
  test.use({ locale: "en" });

  test("gives the errors in English and counts an over-long message", async ({ page }) => {
    await page.goto("/contact");
    await page.getByLabel("Topic").selectOption("other");
    await page.getByLabel(/^Name/).fill("Alex");
    await page.getByLabel(/E-mail/).fill("alex@example.com");
    await page.getByLabel(/^Message/).fill("x".repeat(2001));
    await page.getByRole("button", { name: "Send" }).click();
    await expect(page.locator(".error-summary").getByRole("link")).toHaveText(["Message must be 2000 characters or fewer (it has 2001)"]);
    await expect(page.getByLabel(/^Message/)).toHaveValue("x".repeat(2001));
    await expectNoAxeViolations(page, "with errors shown in English");
  });

  test("never answers a garbled submission with a server error", async ({ request, baseURL }) => {
    const response = await request.post("/contact", {
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: baseURL! },
      data: "topic=%FF%FE&name[]=1&email=&&message=%00%00",
    });
    expect(response.status()).toBe(400);
  });
});

test("a malformed address is answered with 400, not a server error", async ({ request }) => {
  const response = await request.get("/%E0%A4%A");
  expect(response.status()).toBe(400);
});

test("the thank-you page does not echo arbitrary text", async ({ page }) => {
  await page.goto("/contact/thanks?ref=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  await expect(page.locator("h1")).toHaveText("謝謝您，我們已收到您的訊息");
  await expect(page.getByText("<script>")).toHaveCount(0);
});

clientTest(
  "a flood of messages from one address is stopped with a clear message, and what was typed is kept",
  async ({ page, request, baseURL }) => {
    const valid = { topic: "other", name: "測試", email: "flood@example.tw", message: "同一個地址送出的第幾封訊息。" };
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++)
      statuses.push((await request.post("/contact", { form: valid, maxRedirects: 0, headers: { Origin: baseURL! } })).status());
    expect(statuses).toEqual(Array(10).fill(303));

    await page.goto("/contact");
    await fill(page, { topic: "payment_problem", name: "陳怡君", email: "yijun@example.tw", message: "第十一封：付款後沒有收到收據。" });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/contact")),
      page.getByRole("button", { name: "送出" }).click(),
    ]);
    expect(response.status()).toBe(429);
    expect(Number(response.headers()["retry-after"])).toBeGreaterThan(0);
    const summary = page.locator(".error-summary");
    await expect(summary).toBeFocused();
    await expect(summary).toContainText(/此連線送出的訊息過多，請於 \d+ 分鐘後再試，或撥打市民專線 1999/);
    await expect(page.getByLabel(/問題類型/)).toHaveValue("payment_problem");
    await expect(page.getByLabel(/^姓名/)).toHaveValue("陳怡君");
    await expect(page.getByLabel(/^內容/)).toHaveValue("第十一封：付款後沒有收到收據。");
    await expectNoAxeViolations(page, "with the contact form refused");
  },
);

clientTest.describe("contact form routing in English", () => {
  clientTest.use({ locale: "en" });

  clientTest(
    "routes a message about a bill to the agency chosen, and refuses an agency not in the list as a field to fix",
    async ({ page, request, baseURL }) => {
      await page.goto("/contact");
      await fill(page, {
        topic: "bill_question",
        agency: "water",
        name: "Alex",
        email: "alex@example.com",
        message: "My water bill looks too high.",
      });
      await page.getByRole("button", { name: "Send" }).click();
      await expect(page).toHaveURL(/\/contact\/thanks\?ref=FB-/);
      const refused = await request.post("/contact", {
        form: {
          topic: "bill_question",
          agency: "mars-office",
          name: "Alex",
          email: "alex@example.com",
          message: "My water bill looks too high.",
        },
        headers: { Origin: baseURL! },
        maxRedirects: 0,
      });
      expect(refused.status()).toBe(400);
    },
  );
});
