import { createBillLink, agencyLinkKeyFinder } from "../app/lookup/bill-links.server";
import { demoLinkKey } from "../app/demo/keys";
import { expectNoAxeViolations } from "./support/axe";
import { CAPTCHA_LABEL, NUMBER_LABEL, captchaDigits, expect, lookUp, submitLookup, test } from "./support/fixtures";

/** The e2e server runs in demo mode: agencies sign with `<agency>-demo` keys. */
const demoKey = (id: string) => agencyLinkKeyFinder([demoLinkKey(id.replace(/-demo$/, ""))])(id);

test.describe("looking up a bill by write-off number", () => {
  test("a bill found shows its masked details and can be taken to payment", async ({ page }) => {
    await lookUp(page, "traffic-fine", "gf-1150 0019");
    await expect(page).toHaveURL(/\/bills$/);
    const card = page.locator("article.bill-card").first();
    await expect(card.getByRole("heading")).toContainText("交通違規罰鍰");
    await expect(card).toContainText("GF11500019");
    await expect(card).toContainText("林○芯");
    await expect(card).not.toContainText("林美芯");
    await expect(card).toContainText("待繳");
    await expectNoAxeViolations(page, "on a found bill");

    await page.getByRole("button", { name: "去繳費" }).click();
    await expect(page).toHaveURL(/\/pay\?(from=bills&)?bill=/);
    await expect(page.locator("h1")).toHaveText("繳費");
    await expect(page.locator(".total")).toContainText("新臺幣 6,000 元");
    await expect(page.getByRole("group", { name: "立即付款" })).toBeVisible();
  });

  test("several bills looked up one after another can be paid together", async ({ page }) => {
    await lookUp(page, "water-bill", "1150400000000012");
    await lookUp(page, "electricity-bill", "1150700000000015");
    await expect(page.locator("article.bill-card")).toHaveCount(2);
    await page.getByRole("button", { name: "去繳費" }).click();
    await expect(page.locator(".total")).toHaveText(/共 2 張帳單，合計 新臺幣 \d{1,3}(,\d{3})* 元/);
  });

  test("a paid bill says when and how it was paid, and offers no payment", async ({ page }) => {
    await lookUp(page, "electricity-bill", "1150700000000031");
    const card = page.locator("article.bill-card").first();
    await expect(card).toContainText("已繳費");
    await expect(card).toContainText("繳費時間");
    await expect(card).toContainText(/超商代收|金融機構|帳戶自動扣繳/);
    await expect(page.getByRole("button", { name: "去繳費" })).toHaveCount(0);
  });

  test("a number that matches nothing says so and suggests checking the bill type", async ({ page }) => {
    // A real water bill number, looked up as a parking fee: the same answer as a number that exists nowhere.
    await lookUp(page, "parking-fee", "1150400000000012");
    const summary = page.locator(".error-summary");
    await expect(summary).toBeFocused();
    await expect(summary).toContainText("查無這個銷帳編號的路邊停車費帳單。請確認繳費項目是否選對");
    await expect(page.getByRole("link", { name: "選擇其他繳費項目" }).first()).toBeVisible();
    await expect(page.getByLabel(NUMBER_LABEL)).toHaveValue("1150400000000012");
    await expectNoAxeViolations(page, "with not-found shown");
  });

  test("a mistyped number is explained before anything is looked up, and everything typed is kept", async ({ page }) => {
    await page.goto("/lookup/traffic-fine");
    await page.getByLabel(NUMBER_LABEL).fill("GF11500018");
    await page.getByLabel(CAPTCHA_LABEL).fill("12345");
    await page.getByRole("button", { name: "查詢", exact: true }).click();
    await expect(page.locator(".error-summary")).toContainText("檢查碼不符");
    await expect(page.getByLabel(NUMBER_LABEL)).toHaveValue("GF11500018");
    await expect(page.getByLabel(CAPTCHA_LABEL)).toHaveValue("12345");
  });

  test("a wrong captcha is reported at the top, with focus there and the number kept", async ({ page }) => {
    await page.goto("/lookup/traffic-fine");
    const firstImage = await page.locator("img.captcha-image").getAttribute("src");
    await page.getByLabel(NUMBER_LABEL).fill("GF11500019");
    await page.getByLabel(CAPTCHA_LABEL).fill("00000");
    await page.getByRole("button", { name: "查詢", exact: true }).click();
    const summary = page.locator(".error-summary");
    await expect(summary).toBeFocused();
    await expect(summary.getByRole("link")).toHaveText(["驗證碼不正確，請輸入新的驗證碼"]);
    // The title says so first, for those who hear the title before anything else.
    await expect(page).toHaveTitle(/^錯誤：查詢交通違規罰鍰/);
    await expect(page.getByLabel(NUMBER_LABEL)).toHaveValue("GF11500019");
    await expect(page.getByLabel(CAPTCHA_LABEL)).toHaveValue("");
    // A new challenge replaces the one used up.
    await expect(page.locator("img.captcha-image")).not.toHaveAttribute("src", firstImage!);
    await summary.getByRole("link").click();
    await expect(page.getByLabel(CAPTCHA_LABEL)).toBeFocused();
    await expect(summary).toBeVisible();
    await expectNoAxeViolations(page, "with a wrong captcha shown");
  });

  test("a new captcha on request keeps the number typed", async ({ page }) => {
    await page.goto("/lookup/gas-bill");
    const image = page.locator("img.captcha-image");
    const first = await image.getAttribute("src");
    await page.getByLabel(NUMBER_LABEL).fill("11509000000013");
    await page.getByRole("button", { name: "換一張驗證碼" }).click();
    await expect(image).not.toHaveAttribute("src", first!);
    await expect(page.getByRole("status")).toHaveText("已換一張新的驗證碼，請輸入新的數字。");
    await expect(page.getByLabel(NUMBER_LABEL)).toHaveValue("11509000000013");
    await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
    await page.getByLabel(CAPTCHA_LABEL).press("Enter");
    await expect(page).toHaveURL(/\/bills$/);
  });

  test("the captcha image and audio are served to this visitor only", async ({ page, playwright, baseURL }) => {
    await page.goto("/lookup/traffic-fine");
    const image = await page.request.get((await page.locator("img.captcha-image").getAttribute("src"))!);
    expect(image.headers()["content-type"]).toBe("image/svg+xml");
    const audioSrc = (await page.locator("audio").getAttribute("src"))!;
    expect(audioSrc).toContain("lng=zh-TW");
    const audio = await page.request.get(audioSrc);
    expect(audio.status()).toBe(200);
    expect(audio.headers()["content-type"]).toBe("audio/wav");
    const body = await audio.body();
    expect(body.subarray(0, 4).toString()).toBe("RIFF");
    expect(body.length).toBeGreaterThan(60_000); // five spoken digits at 16 kHz, not an empty file
    const stranger = await playwright.request.newContext({ baseURL });
    expect((await stranger.get(audioSrc)).status()).toBe(404);
    await stranger.dispose();
  });

  test("too many failures are refused with a localized message and Retry-After", async ({ page }) => {
    await page.goto("/lookup/animal-protection-fine");
    // Ten failed attempts on different numbers from this client are answered...
    const numbers = ["AN11500011", "AN11500024", "AN11500037", "AN11500040"];
    let attempt = 0;
    const token = page.locator("input[name=captchaToken]");
    const failOnce = async () => {
      const before = await token.inputValue();
      await page.getByLabel(NUMBER_LABEL).fill(numbers[attempt++ % numbers.length]!);
      await page.getByLabel(CAPTCHA_LABEL).fill("00000");
      const status = (await submitLookup(page)).status();
      // The answer is rendered (with a new challenge, which empties the captcha field) before the next attempt is typed.
      if (status === 400) await expect(token).not.toHaveValue(before);
      return status;
    };
    while (attempt < 10) expect(await failOnce()).toBe(400);
    await expect(page.locator(".error-summary")).toContainText("驗證碼不正確");
    // ...then they are refused. The window slides: when the attempts straddle two of its
    // steps the earlier ones weigh a little less, so the refusal may come a few attempts later.
    let status = await failOnce();
    while (status === 400 && attempt < 20) status = await failOnce();
    expect(status).toBe(429);
    // Once refused, even the right answer is refused.
    await page.getByLabel(NUMBER_LABEL).fill("AN11500024");
    await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
    const refused = await submitLookup(page);
    expect(refused.status()).toBe(429);
    expect(Number(refused.headers()["retry-after"])).toBeGreaterThan(0);
    await expect(page.locator(".error-summary")).toContainText(/查詢失敗次數過多，請於 \d+ 分鐘後再試/);
    await expect(page.getByLabel(NUMBER_LABEL)).toHaveValue("AN11500024");
    await expectNoAxeViolations(page, "when rate limited");
  });
});

test.describe("looking up a bill in English", () => {
  test.use({ locale: "en" });

  test("finds a bill, with errors and results in English", async ({ page }) => {
    await page.goto("/lookup/traffic-fine");
    await expect(page.locator("h1")).toHaveText("Look up a bill: Traffic violation fine");
    await expect(page.locator("audio")).toHaveAttribute("src", /lng=en/);
    await page.getByLabel(NUMBER_LABEL).fill("GF115");
    await page.getByRole("button", { name: "Look up", exact: true }).click();
    await expect(page.locator(".error-summary")).toContainText("The write-off number has 10 characters; you typed 5");
    await expect(page).toHaveTitle(/^Error: Look up a bill/);
    await expectNoAxeViolations(page, "with errors shown in English");
    await page.getByLabel(NUMBER_LABEL).fill("GF11500022");
    await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
    await page.getByRole("button", { name: "Look up", exact: true }).click();
    const card = page.locator("article.bill-card").first();
    await expect(card).toContainText("Overdue");
    await expect(card).toContainText("NT$");
    await expectNoAxeViolations(page, "on a found bill in English");
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the look-up, a new captcha and the result all work", async ({ page }) => {
    await page.goto("/lookup/market-usage-fee");
    // A refused look-up: the page's title says so.
    await page.getByLabel(NUMBER_LABEL).fill("MK115");
    await page.getByRole("button", { name: "查詢", exact: true }).click();
    await expect(page).toHaveTitle(/^錯誤：/);
    await page.getByLabel(NUMBER_LABEL).fill("MK1150000012");
    await page.getByRole("button", { name: "換一張驗證碼" }).click();
    await expect(page).not.toHaveTitle(/^錯誤：/);
    await expect(page.getByLabel(NUMBER_LABEL)).toHaveValue("MK1150000012");
    await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
    await page.getByRole("button", { name: "查詢", exact: true }).click();
    await expect(page).toHaveURL(/\/bills$/);
    await expect(page.locator("article.bill-card")).toContainText("MK1150000012");
  });
});

test.describe("keyboard only", () => {
  test("a bill can be looked up, selected and taken to payment without a mouse", async ({ page }) => {
    await page.goto("/lookup/traffic-fine");
    const tabTo = async (locator: ReturnType<typeof page.locator>, limit = 40) => {
      for (let i = 0; i < limit; i++) {
        if (await locator.evaluate((el) => el === document.activeElement)) return;
        await page.keyboard.press("Tab");
      }
      throw new Error("not reachable with Tab");
    };
    await tabTo(page.getByLabel(NUMBER_LABEL));
    await page.keyboard.type("GF11500019");
    await tabTo(page.getByLabel(CAPTCHA_LABEL));
    await page.keyboard.type(await captchaDigits(page));
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/bills$/);
    const checkbox = page.getByRole("checkbox").first();
    await tabTo(checkbox);
    await expect(checkbox).toBeChecked();
    await tabTo(page.getByRole("button", { name: "去繳費" }));
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/pay/);
  });
});

test.describe("paper-bill QR links", () => {
  const link = (baseURL: string, overrides: { number?: string; expiresAt?: Date; key?: string } = {}) =>
    createBillLink(baseURL, demoKey(overrides.key ?? "police-demo")!, {
      billTypeCode: "traffic-fine",
      writeOffNumber: overrides.number ?? "GF11500019",
      expiresAt: overrides.expiresAt ?? new Date(Date.now() + 30 * 86_400_000),
    });

  test("a genuine link opens the bill without a captcha", async ({ page, baseURL }) => {
    await page.goto(link(baseURL!));
    await expect(page).toHaveURL(/\/bills$/);
    await expect(page.locator("article.bill-card").first()).toContainText("GF11500019");
  });

  test("a tampered link explains itself and offers the normal look-up, never the bill", async ({ page, baseURL }) => {
    const tampered = link(baseURL!).replace("n=GF11500019", "n=GF11500022");
    const response = await page.goto(tampered);
    expect(response?.status()).toBe(400);
    await expect(page.locator(".notice")).toContainText("可能被修改過");
    await expect(page.locator("article.bill-card")).toHaveCount(0);
    await expect(page.getByLabel(NUMBER_LABEL)).toHaveValue("GF11500022");
    await expectNoAxeViolations(page, "on a refused link");
    // The look-up form on that page works as usual.
    await page.getByLabel(CAPTCHA_LABEL).fill(await captchaDigits(page));
    await page.getByRole("button", { name: "查詢", exact: true }).click();
    await expect(page).toHaveURL(/\/bills$/);
  });

  test("an expired link and a link of an unknown key are refused", async ({ page, baseURL }) => {
    await page.goto(link(baseURL!, { expiresAt: new Date(Date.now() - 86_400_000) }));
    await expect(page.locator(".notice")).toContainText("已經過期");
    await page.goto(link(baseURL!).replace("k=police-demo", "k=police-2019"));
    await expect(page.locator(".notice")).toContainText("不是由我們認得的開單機關所簽發");
  });

  test.describe("in English", () => {
    test.use({ locale: "en" });
    test("the refusal is explained in English", async ({ page, baseURL }) => {
      await page.goto(link(baseURL!, { key: "water-demo" }));
      await expect(page.locator(".notice")).toContainText("may have been altered");
      await expectNoAxeViolations(page, "on a refused link in English");
    });
  });
});

for (const { locale, group, scan, login, hotline, faqQuestion, quote, digits } of [
  {
    locale: "zh-TW",
    group: "圖形驗證碼",
    scan: "掃描帳單",
    login: "登入會員",
    hotline: "撥打市民專線 1999",
    faqQuestion: "看不清楚圖形驗證碼怎麼辦？",
    quote: /「([^」]+)」/g,
    digits: "5 個數字",
  },
  {
    locale: "en",
    group: "Image check (captcha)",
    scan: "Scan a bill",
    login: "Log in",
    hotline: "Call the citizen hotline 1999",
    faqQuestion: "I cannot read the image check (captcha). What can I do?",
    quote: /"([^"]+)"/g,
    digits: "5 digits",
  },
] as const) {
  test.describe(`ways around the captcha (${locale})`, () => {
    test.use({ locale });

    test("the captcha names every way to a bill that needs no captcha, for those who can use neither image nor audio", async ({ page }) => {
      await page.goto("/lookup/traffic-fine");
      const captcha = page.getByRole("group", { name: group });
      await expect(captcha.getByRole("link", { name: scan, exact: true })).toHaveAttribute("href", "/scan");
      await expect(captcha.getByRole("link", { name: login, exact: true })).toHaveAttribute("href", /^\/login/);
      await expect(captcha.getByRole("link", { name: hotline, exact: true })).toHaveAttribute("href", "tel:1999");
      await expectNoAxeViolations(page, `with the ways around the captcha (${locale})`);
      await captcha.getByRole("link", { name: scan, exact: true }).click();
      await expect(page).toHaveURL(/\/scan$/);
    });

    test("the FAQ and the guide name the captcha's controls as the page shows them", async ({ page }) => {
      await page.goto("/faq");
      const answer = await page
        .locator("dt, summary, h2, h3", { hasText: faqQuestion })
        .locator("xpath=following-sibling::*[1]")
        .textContent();
      const named = [...(answer ?? "").matchAll(quote)].map((match) => match[1]!);
      expect(named.length).toBeGreaterThanOrEqual(3);
      await page.goto("/lookup/traffic-fine");
      for (const name of named) await expect(page.locator("main").getByText(name, { exact: false }).first(), name).toBeVisible();

      // The captcha is digits, and the guide says so.
      await page.goto("/guide");
      await expect(page.locator("main")).toContainText(digits);
    });
  });
}
