import type { Browser, Locator, Page } from "@playwright/test";
import { taipeiDate } from "../app/domain/dates";
import { maskSubject } from "../app/domain/masking";
import { generateDemoData } from "../app/demo/data/generate";
import { E2E_IDP_URL, E2E_SOURCES_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, lookUp, test } from "./support/fixtures";
import { checkout, payWithLinePay } from "./support/payments";
import { loginAtProvider } from "./support/members";

/**
 * Members: login at the local identity provider (the city app's stand-in),
 * bindings, pending bills from the portal and the outside sources, paying
 * several together, logout. The tests of this file share the bill-source
 * simulators' behaviour, so they run one after another.
 */
test.describe.configure({ mode: "serial" });

/** A binding of 林美芯's, which the next tests try to reach as someone else. */
let bindingOfA = "";

// Residents D and on are the numbers of one test each: tests logged in as the same member run side by side.
const [residentA, residentB, residentC, residentD] = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 4 }).residents;

async function setSource(page: Page, source: "water" | "power" | "parking", mode: "normal" | "slow" | "down" | "held") {
  const response = await page.request.post(`${E2E_SOURCES_URL}/_simulator/behaviour`, { data: { source, mode } });
  expect(response.ok()).toBe(true);
}

/** The write-off number of the one bill from a source (its batch prefix) listed in a binding's region. */
async function sourceBillNumber(region: Locator, batch: string): Promise<string> {
  const pattern = new RegExp(`${batch}\\d{11}`);
  return pattern.exec(
    await region
      .locator("li")
      .filter({ has: region.page().getByRole("checkbox", { name: pattern }) })
      .innerText(),
  )![0];
}

/** Until every source asked has answered (or failed), and its part of the dashboard is in. */
async function sourcesAnswered(page: Page) {
  await expect(page.getByRole("status", { name: /帳單來源|bill sources/ })).not.toContainText(/正在|Asking/);
}

/** Unticks every pending bill on the dashboard (they start ticked). */
async function untickAll(page: Page) {
  await sourcesAnswered(page);
  for (const box of await page.locator('input[type="checkbox"][name="bill"]').all()) await box.uncheck();
}

async function bind(page: Page, kind: RegExp, value: string, label = "") {
  await page.getByRole("radio", { name: kind }).check();
  await page.getByLabel(/^號碼/).fill(value);
  await page.getByLabel(/^名稱/).fill(label);
  // Until the page has the answer and its new data: the next binding is typed into the form that follows it.
  // A refused one (already bound by an earlier test) brings no new data.
  const posted = page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/account/bindings"));
  const reloaded = page
    .waitForResponse((r) => r.request().method() === "GET" && r.url().includes("_data=routes%2Faccount.bindings"))
    .catch(() => null);
  await page.getByRole("button", { name: "新增綁定" }).click();
  if ((await posted).ok()) await reloaded;
  await expect(page.getByRole("button", { name: "新增綁定" })).toBeEnabled();
}

test("a member logs in, binds a plate, a water and an electricity account, pays two pending bills together and logs out", async ({
  page,
}) => {
  await page.goto("/");
  await page.getByRole("link", { name: "會員登入" }).click();
  // The link goes through /login's redirect: check the provider's page once the browser is there, not on the way.
  await expect(page.getByLabel(/^帳號$/)).toBeVisible();
  await expectNoAxeViolations(page, "on the identity provider's login page");
  await loginAtProvider(page, "meihsin");

  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("h1")).toHaveText("會員待繳帳單");
  await expect(page.getByText(`${residentA!.name}，您好`)).toBeVisible();
  await expect(page.getByRole("heading", { name: "還沒有綁定任何號碼" })).toBeVisible();
  // Verified: fines issued to her national ID are listed without any binding.
  await expect(page.getByRole("heading", { name: /以您的身分開立的罰鍰與規費/ })).toBeVisible();
  await expectNoAxeViolations(page, "on the dashboard");
  // Any page a member sees carries their name: no shared cache may keep it.
  expect((await page.request.get("/")).headers()["cache-control"]).toBe("private, no-store");

  await page.getByRole("link", { name: "新增綁定" }).click();
  await expect(page.locator("h1")).toHaveText("綁定車牌、水號、電號");

  // Wrong formats: the summary takes focus, links to the field, and the typed value stays.
  await bind(page, /^車牌/, "ABC-12345");
  const summary = page.locator(".error-summary");
  await expect(summary).toBeFocused();
  await expect(summary).toContainText("車牌格式不正確");
  await expect(page.getByLabel(/^號碼/)).toHaveValue("ABC-12345");
  await summary.getByRole("link").click();
  await expect(page.getByLabel(/^號碼/)).toBeFocused();
  await bind(page, /^電號/, "07123456780");
  await expect(summary).toContainText("電號的檢查碼不符");
  await expect(page.getByRole("radio", { name: /^電號/ })).toBeChecked();
  await expectNoAxeViolations(page, "on the bindings page with errors");

  await bind(page, /^車牌/, "bkr 2046", "我的車");
  await expect(page.locator(".confirmation")).toHaveText("已新增綁定。");
  await bind(page, /^水號/, residentA!.waterAccount, "家裡");
  await bind(page, /^電號/, residentA!.electricityAccount);
  await expect(page.getByRole("heading", { name: /BK\*-\*\*46（我的車）/ })).toBeVisible();
  await expect(page.getByRole("heading", { name: "04-******78-5（家裡）" })).toBeVisible();
  bindingOfA = (await page.locator('input[name="bindingId"]').first().inputValue())!;
  await bind(page, /^車牌/, "BKR-2046");
  await expect(summary).toContainText("您已經綁定過這個車牌");
  await expectNoAxeViolations(page, "on the bindings page");

  await page.getByRole("link", { name: "回到會員待繳帳單" }).click();
  const water = page.getByRole("region", { name: /^水號 04-\*{6}78-5/ });
  const power = page.getByRole("region", { name: /^電號 07/ });
  await expect(water).toBeVisible();
  // From the portal's own records (11504…) and from the water company's system (11514…).
  await expect(water.getByText(/^11504/).first()).toBeVisible();
  const waterFromSource = water.getByRole("checkbox", { name: /11514\d{11}/ });
  const powerFromSource = power.getByRole("checkbox", { name: /11517\d{11}/ });
  await expect(waterFromSource).toHaveCount(1);
  await expect(powerFromSource).toHaveCount(1);
  await expect(
    page
      .getByRole("region", { name: /^車牌 BK\*-\*\*46/ })
      .getByText("交通違規罰鍰")
      .first(),
  ).toBeVisible();
  // And from the parking system (11512…), as the README promises for the showcase plate.
  await expect(
    page
      .getByRole("region", { name: /^車牌 BK\*-\*\*46/ })
      .getByRole("checkbox", { name: /11512\d{11}/ })
      .first(),
  ).toBeVisible();
  const waterNumber = await sourceBillNumber(water, "11514");
  const powerNumber = await sourceBillNumber(power, "11517");
  // Each slip link's accessible name begins with the words it shows (WCAG 2.5.3, for voice control).
  const slipLinks = page.locator("a.pending-bill-slip");
  expect(await slipLinks.count()).toBeGreaterThan(0);
  for (const link of await slipLinks.all()) {
    const shown = (
      await link.evaluate((element) =>
        [...element.childNodes]
          .filter((node) => node.nodeType === 3)
          .map((node) => node.textContent)
          .join(""),
      )
    ).trim();
    expect(shown).toBe("補印超商繳費單");
    await expect(link).toHaveAccessibleName(new RegExp(`^${shown}\\s?（銷帳編號 [0-9A-Z]+）$`));
  }

  // Every pending bill starts ticked: pay just these two.
  await untickAll(page);
  await waterFromSource.check();
  await powerFromSource.check();
  await page.getByRole("button", { name: "繳納勾選的帳單" }).click();
  await expect(page.locator("h1")).toHaveText("繳費");
  await expect(page.locator(".total")).toContainText("共 2 張帳單");
  await page.getByLabel("LINE Pay").check();
  await page.getByRole("button", { name: /^確認付款/ }).click();
  await page.getByRole("button", { name: /核准付款/ }).click();
  await expect(page.locator("h1")).toHaveText("付款成功");
  await expect(page.locator("article.bill-card")).toHaveCount(2);

  await page.goto("/account");
  await expect(page.getByText(waterNumber)).toHaveCount(0);
  await expect(page.getByText(powerNumber)).toHaveCount(0);

  await page.getByRole("button", { name: "登出" }).click();
  // The city app asks whether to end its own session too.
  await expect(page).toHaveURL(new RegExp(`^${E2E_IDP_URL}/`));
  await page.getByRole("button", { name: /^登出/ }).click();
  await expect(page).toHaveURL(/\/logged-out$/);
  await expect(page.locator("h1")).toHaveText("您已登出支付繳費通");
  await expect(page.getByRole("link", { name: "會員登入" })).toBeVisible();

  // The session is over: the dashboard asks for a login again.
  await page.goto("/account");
  await expect(page).toHaveURL(new RegExp(`^${E2E_IDP_URL}/interaction/`));
});

test("when one source is slow and another down, the dashboard shows the rest and names the missing sources", async ({ page }) => {
  await page.goto("/login");
  await loginAtProvider(page, "member-b");
  await page.goto("/account/bindings");
  await bind(page, /^水號/, residentB!.waterAccount);
  await bind(page, /^電號/, residentB!.electricityAccount);
  // A shared car: another member's plate may be bound too.
  await bind(page, /^車牌/, "MHV-385");

  // Member B cannot rename or remove A's binding by sending its id.
  for (const intent of ["rename", "remove"]) {
    const response = await page.request.post("/account/bindings", {
      form: { intent, bindingId: bindingOfA, label: "taken over" },
      headers: { Origin: new URL(page.url()).origin },
    });
    expect(response.status()).toBe(404);
    expect(await response.text()).toContain("找不到這筆綁定");
  }

  await setSource(page, "water", "down");
  await setSource(page, "power", "slow");
  try {
    await page.goto("/account");
    const notice = page.locator(".notice-warning");
    await expect(notice).toContainText("暫時無法取得自來水公司、台灣電力公司的帳單");
    await expect(
      page
        .getByRole("region", { name: /^車牌 MH\*-\*85/ })
        .getByRole("checkbox", { name: /11512\d{11}/ })
        .first(),
    ).toBeVisible();
    await expectNoAxeViolations(page, "on the dashboard with sources missing");
  } finally {
    await setSource(page, "water", "normal");
    await setSource(page, "power", "normal");
  }
  await page.getByRole("link", { name: "重新查詢" }).click();
  await expect(page.locator(".notice-warning")).toHaveCount(0);
  await expect(page.getByRole("region", { name: /^水號/ }).getByRole("checkbox", { name: /11514\d{11}/ })).toHaveCount(1);
});

test("a bill paid at its source's counter a moment ago is not taken again, nor one its source cannot confirm", async ({ page }) => {
  // Member B, bound to resident B's accounts in the test before.
  await page.goto("/login");
  await loginAtProvider(page, "member-b");
  await expect(page.locator("h1")).toHaveText("會員待繳帳單");
  const power = page.getByRole("region", { name: /^電號/ });
  const water = page.getByRole("region", { name: /^水號/ });
  const powerNumber = await sourceBillNumber(power, "11517");
  const waterNumber = await sourceBillNumber(water, "11514");

  // Paid at the power company's counter; the dashboard, a few seconds old, still lists it.
  const settled = await page.request.post(`${E2E_SOURCES_URL}/_simulator/settle`, {
    data: { source: "power", writeOffNumber: powerNumber },
  });
  expect(settled.ok()).toBe(true);
  await untickAll(page);
  await power.getByRole("checkbox", { name: new RegExp(powerNumber) }).check();
  await page.getByRole("button", { name: "繳納勾選的帳單" }).click();
  await page.getByLabel("LINE Pay").check();
  await page.getByRole("button", { name: /^確認付款/ }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText(`銷帳編號 ${powerNumber} 的帳單已於`);
  await expect(summary).toContainText("經由機關臨櫃繳納，這次沒有扣款");
  await expect(page).not.toHaveURL(/line-pay/);
  await expectNoAxeViolations(page, "when a bill was paid at its source meanwhile");

  // The water company's system is down: its bill is not taken until it can be asked.
  await setSource(page, "water", "down");
  try {
    await page.goto("/account");
    // Its bill is still listed from the portal's own record.
    await untickAll(page);
    await page.getByRole("checkbox", { name: new RegExp(waterNumber) }).check();
    await page.getByRole("button", { name: "繳納勾選的帳單" }).click();
    await page.getByLabel("LINE Pay").check();
    await page.getByRole("button", { name: /^確認付款/ }).click();
    await expect(page.getByRole("alert")).toContainText(`目前無法向開單機關確認銷帳編號 ${waterNumber} 的帳單是否已繳`);
  } finally {
    await setSource(page, "water", "normal");
  }
  await page.getByRole("button", { name: /^確認付款/ }).click();
  await page.getByRole("button", { name: /核准付款/ }).click();
  await expect(page.locator("h1")).toHaveText("付款成功");
});

test("after a binding is added, the form starts empty: the next number does not take the last one's name", async ({ page }) => {
  await page.goto("/login?returnTo=%2Faccount%2Fbindings");
  // Not member-c: the records tests count that member's history, which a bound number's bill paid elsewhere would join.
  await loginAtProvider(page, "xiaoming");
  await bind(page, /^水號/, residentD!.waterAccount, "家裡水費");
  await expect(page.locator(".confirmation")).toHaveText("已新增綁定。");
  await expect(page.getByLabel(/^號碼/)).toHaveValue("");
  await expect(page.getByLabel(/^名稱/)).toHaveValue("");
  // The next one, typed without a name.
  await page.getByRole("radio", { name: /^電號/ }).check();
  await page.getByLabel(/^號碼/).fill(residentD!.electricityAccount);
  await page.getByRole("button", { name: "新增綁定" }).click();
  await expect(page.locator(".confirmation")).toHaveText("已新增綁定。");
  // Had the electricity account taken the water account's name, two headings would carry it.
  await expect(page.getByRole("heading", { name: /家裡水費/ })).toHaveCount(1);
});

test("keyboard only: log in, bind a plate, choose a bill and reach checkout, in English too", async ({ page }) => {
  await page.goto("/account/bindings");
  // Logged out: the login comes back to the page asked for.
  await expect(page).toHaveURL(new RegExp(`^${E2E_IDP_URL}/interaction/`));
  // The provider's page starts with its skip link, as the portal's pages do.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "跳到主要內容區塊" })).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel(/帳號/)).toBeFocused();
  await page.keyboard.type("xiaoming");
  await page.keyboard.press("Tab");
  await page.keyboard.type("demo-1234");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/account\/bindings$/);

  await page.getByRole("radio", { name: /^車牌/ }).focus();
  await page.keyboard.press("Space");
  await page.getByLabel(/^號碼/).focus();
  await page.keyboard.type(residentA!.plates[1]!);
  await page.keyboard.press("Enter");
  await expect(page.locator(".confirmation")).toBeFocused();

  await page.goto("/account");
  await expect(page.getByText("您尚未在臺中通完成身分驗證")).toBeVisible();
  // All start ticked: the keyboard leaves just the first one.
  await sourcesAnswered(page);
  const boxes = page.getByRole("checkbox");
  await expect(boxes.first()).toBeChecked();
  for (const box of (await boxes.all()).slice(1)) {
    await box.focus();
    await page.keyboard.press("Space");
    await expect(box).not.toBeChecked();
  }
  await page.getByRole("button", { name: "繳納勾選的帳單" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("h1")).toHaveText("繳費");
  await expect(page.locator(".total")).toContainText("共 1 張帳單");

  await page.goto("/account");
  await page.getByRole("button", { name: "English" }).click();
  await expect(page.locator("h1")).toHaveText("My pending bills");
  await expectNoAxeViolations(page, "on the English dashboard");
  await page.getByRole("link", { name: "Manage bound plates and accounts" }).click();
  await expect(page.locator("h1")).toHaveText("Bound plates and accounts");
  await expectNoAxeViolations(page, "on the English bindings page");
});

test("a login that would send the member to another site lands on the dashboard instead", async ({ page }) => {
  await page.goto("/login?returnTo=%2F%2Fevil.example%2Fsteal");
  await loginAtProvider(page, "xiaoming");
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/account$/);
});

test("a forged login answer or a tampered session cookie opens no session", async ({ page, context }) => {
  // A code and state this browser never asked for.
  const forged = await page.goto("/auth/callback?code=stolen-code&state=forged-state");
  expect(forged?.status()).toBe(400);
  await expect(page.locator("h1")).toHaveText("登入未完成");
  await expectNoAxeViolations(page, "on the failed login page");

  await page.goto("/login");
  await loginAtProvider(page, "xiaoming");
  await expect(page.locator("h1")).toHaveText("會員待繳帳單");
  const [session] = (await context.cookies()).filter((cookie) => cookie.name === "portal_member");
  const flipped = session!.value.slice(0, 10) + (session!.value[10] === "A" ? "B" : "A") + session!.value.slice(11);
  await context.clearCookies({ name: "portal_member" });
  await context.addCookies([{ ...session!, value: flipped }]);
  // Not followed: the city app still has its own session and would log the member straight back in.
  const response = await page.request.get("/account", { maxRedirects: 0 });
  expect(response.status()).toBe(302);
  expect(response.headers().location).toBe("/login?returnTo=%2Faccount");
});

/** Logs in with the page's clock under the test's control and lets 13½ of the 15 idle minutes pass: the warning is open. */
async function openIdleWarning(page: Page) {
  await page.clock.install();
  await page.goto("/login");
  await loginAtProvider(page, "xiaoming");
  await expect(page.locator("h1")).toHaveText("會員待繳帳單");
  await expect(page.getByRole("dialog")).toBeHidden();
  // The warning's timers start when hydration ends: read when the page thinks the session ends.
  const deadline = Number(await page.locator("dialog[data-deadline]").getAttribute("data-deadline"));
  const now = await page.evaluate(() => Date.now());
  expect(deadline - now).toBeGreaterThan(14 * 60_000);
  // 15 minutes of inactivity, warned 2 minutes before: not 2½ minutes before, but 1½.
  await page.clock.fastForward(deadline - now - 150_000);
  const dialog = page.getByRole("dialog", { name: "您還在嗎？" });
  await expect(dialog).toBeHidden();
  await page.clock.fastForward(60_000);
  await expect(dialog).toBeVisible();
  return { dialog, deadline };
}

/** Presses a key on the idle warning: the session is kept alive, the warning closes, and the page's deadline moves on. */
async function staysSignedInBy(page: Page, key: string, dialog: Locator, deadline: number) {
  const [keptAlive] = await Promise.all([
    page.waitForResponse((response) => response.url().includes("/account/keep-alive")),
    page.keyboard.press(key),
  ]);
  expect(keptAlive.status()).toBe(200);
  await expect(dialog).toBeHidden();
  // The server started the idle time again: the page now ends the session later.
  await expect.poll(async () => Number(await page.locator("dialog").getAttribute("data-deadline"))).toBeGreaterThan(deadline + 60_000);
}

test("the idle warning offers to stay logged in before the session ends", async ({ page }) => {
  const { dialog, deadline } = await openIdleWarning(page);
  await expect(page).toHaveURL(/\/account$/);
  await expect(dialog.getByRole("button", { name: "繼續使用" })).toBeFocused();
  await expectNoAxeViolations(page, "with the idle warning open");
  await staysSignedInBy(page, "Enter", dialog, deadline);
});

test("Escape on the idle warning means stay signed in, not a silent end of the session", async ({ page }) => {
  const { dialog, deadline } = await openIdleWarning(page);
  await staysSignedInBy(page, "Escape", dialog, deadline);
  // Where the old deadline was, the member is still signed in.
  await page.clock.fastForward(3 * 60_000);
  await expect(page).toHaveURL(/\/account$/);
});

/** Every pending-bill checkbox of the dashboard's form. */
const payCheckboxes = (page: Page) => page.locator('input[type="checkbox"][name="bill"]');

test("bills start ticked on the dashboard and on the look-up results; paying none says so on the same page, in both languages", async ({
  page,
}) => {
  // 王小明's plate (bound in the keyboard test already, or now): the portal's and the parking system's bills for it.
  await page.goto("/login?returnTo=%2Faccount%2Fbindings");
  await loginAtProvider(page, "xiaoming");
  await bind(page, /^車牌/, residentA!.plates[1]!);
  await page.goto("/account");
  await expect(page.locator("h1")).toHaveText("會員待繳帳單");
  const plate = page.getByRole("region", { name: /^車牌/ });
  await expect(plate.getByRole("checkbox", { name: /11512\d{11}/ }).first()).toBeVisible();
  await sourcesAnswered(page);
  const boxes = payCheckboxes(page);
  expect(await boxes.count()).toBeGreaterThan(1);
  for (const box of await boxes.all()) await expect(box).toBeChecked();

  for (const [language, texts] of [
    ["中文", { button: "繳納勾選的帳單", problem: "請至少勾選一張要繳納的帳單", legend: /待繳帳單/ }],
    ["English", { button: "Pay the selected bills", problem: "Tick at least one bill to pay", legend: /Pending bills/ }],
  ] as const) {
    if (language === "English") await page.getByRole("button", { name: "English" }).click();
    await expect(page.getByRole("button", { name: texts.button })).toBeVisible();
    await sourcesAnswered(page);
    for (const box of await boxes.all()) await box.uncheck();
    await page.getByRole("button", { name: texts.button }).click();
    await expect(page).toHaveURL(/\/account\?none=1$/);
    const summary = page.locator(".error-summary");
    await expect(summary).toBeFocused();
    await expect(summary).toContainText(texts.problem);
    // What was sent stays: nothing ticked.
    await expect(boxes.first()).toBeVisible();
    for (const box of await boxes.all()) await expect(box).not.toBeChecked();
    await expectNoAxeViolations(page, `on the dashboard with nothing ticked (${language})`);
    await summary.getByRole("link", { name: texts.problem }).click();
    const fieldset = page.getByRole("group", { name: texts.legend });
    await expect(fieldset).toBeFocused();
    await expect(fieldset.getByRole("checkbox").first()).toBeVisible();
  }
  await page.getByRole("button", { name: "中文" }).click();

  // The look-up results: ticked at first too, and the same summary when none is.
  await lookUp(page, "labor-fine", unpaidDemoBills("labor-fine", 20, 1)[0]!);
  await page.goto("/bills");
  const found = page.locator("article.bill-card").getByRole("checkbox");
  await expect(found).toHaveCount(1);
  await expect(found).toBeChecked();
  await found.uncheck();
  await page.getByRole("button", { name: "去繳費" }).click();
  await expect(page).toHaveURL(/\/bills\?none=1$/);
  await expect(page.locator(".error-summary")).toBeFocused();
  await expect(page.locator(".error-summary")).toContainText("請至少勾選一張要繳納的帳單");
  await expect(found).not.toBeChecked();
  await expectNoAxeViolations(page, "on the look-up results with nothing ticked");
  await page.locator(".error-summary").getByRole("link").click();
  await expect(page.getByRole("group", { name: /查詢到的帳單/ })).toBeFocused();
  await page.getByRole("button", { name: "English" }).click();
  await page.getByRole("button", { name: "Pay" }).click();
  await expect(page.locator(".error-summary")).toContainText("Tick at least one bill to pay");
  await expectNoAxeViolations(page, "on the English look-up results with nothing ticked");
});

/** 王小明's dashboard in a browser that runs no JavaScript. */
async function withoutJavaScript(browser: Browser, run: (page: Page) => Promise<void>) {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: "zh-TW" });
  try {
    const page = await context.newPage();
    await page.goto("/login");
    await loginAtProvider(page, "xiaoming");
    await expect(page.locator("h1")).toHaveText("會員待繳帳單");
    // Without JavaScript, the streamed parts are in once the document has loaded.
    await page.waitForLoadState("load");
    await run(page);
  } finally {
    await context.close();
  }
}

test("without JavaScript, paying none ticked shows the error summary on the dashboard", async ({ browser }) => {
  await withoutJavaScript(browser, async (page) => {
    const boxes = payCheckboxes(page);
    await expect(boxes.first()).toBeChecked();
    for (const box of await boxes.all()) await box.uncheck();
    await page.getByRole("button", { name: "繳納勾選的帳單" }).click();
    await expect(page).toHaveURL(/\/account\?none=1$/);
    await expect(page.locator(".error-summary")).toBeFocused();
    await expect(page.locator(".error-summary")).toContainText("請至少勾選一張要繳納的帳單");
    await page.locator(".error-summary").getByRole("link").click();
    await expect(page.getByRole("group", { name: /待繳帳單/ })).toBeFocused();
  });
});

/** The dashboard's line for one source in the live status region. */
const sourceStatus = (page: Page, name: RegExp) =>
  page
    .getByRole("status", { name: /帳單來源|bill sources/ })
    .getByRole("listitem")
    .filter({ hasText: name });

test("the dashboard says when each source's answer is from, and names a source unavailable as soon as a fresh question fails", async ({
  page,
}) => {
  await page.goto("/login?returnTo=%2Faccount%2Fbindings");
  await loginAtProvider(page, "xiaoming");
  await bind(page, /^水號/, residentC!.waterAccount);
  // Asked afresh (an earlier test's answer may be cached).
  await page.goto("/account?refresh=1");
  const water = sourceStatus(page, /自來水公司/);
  await expect(water).toHaveText(/^已取得自來水公司的帳單（\d{2}:\d{2} 回覆）$/);
  const answeredAt = /\d{2}:\d{2}/.exec(await water.innerText())![0];
  // Shown again from the cache: it says from when.
  await page.goto("/account");
  await expect(water).toHaveText(`自來水公司的帳單為 ${answeredAt} 查得的結果；按「重新查詢」可取得最新資料`);
  // This test's own water account: the same member has others, bound by tests running beside it.
  const waterGroup = page.getByRole("region", { name: `水號 ${maskSubject(residentC!.waterAccount, "water_account")}` });
  await expect(waterGroup.getByText(`自來水公司的帳單為 ${answeredAt} 查得的結果`, { exact: false })).toBeVisible();

  await setSource(page, "water", "down");
  try {
    // A reload asks afresh: the failure is named at once, not hidden behind the cached answer.
    await page.reload();
    await expect(water).toHaveText(`自來水公司目前沒有回應；列出的是 ${answeredAt} 查得的帳單，可能已有變動`);
    await expect(page.locator(".notice-warning")).toContainText("暫時無法取得自來水公司的帳單");
    await expect(waterGroup.getByRole("checkbox", { name: /11514\d{11}/ })).toHaveCount(1);
    await expectNoAxeViolations(page, "on the dashboard with a source down");
    // And so does the next plain load: the failed question dropped the cached answer.
    await page.goto("/account");
    await expect(water).toContainText("目前沒有回應");
    await page.getByRole("button", { name: "English" }).click();
    await expect(sourceStatus(page, /water company/)).toHaveText(
      `the water company is not answering: its bills listed are as of ${answeredAt} and may have changed`,
    );
    await expect(page.locator(".notice-warning")).toContainText("Bills from the water company are not available right now");
    await expectNoAxeViolations(page, "on the English dashboard with a source down");
  } finally {
    await setSource(page, "water", "normal");
  }
  await page.getByRole("link", { name: "Check again" }).click();
  await expect(sourceStatus(page, /water company/)).toHaveText(/^Bills from the water company received \(answered at \d{2}:\d{2}\)$/);
  await expect(page.locator(".notice-warning")).toHaveCount(0);
  await page.getByRole("button", { name: "中文" }).click();
});

test("the dashboard shows the portal's bills at once and streams each source's part in as it answers, with or without JavaScript", async ({
  page,
  browser,
}) => {
  const csp: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) csp.push(message.text());
  });
  await page.goto("/login?returnTo=%2Faccount%2Fbindings");
  await loginAtProvider(page, "xiaoming");
  // The water account may be bound already (the test before): then only the electricity account is new.
  await bind(page, /^水號/, residentC!.waterAccount);
  await bind(page, /^電號/, residentC!.electricityAccount);
  // This test's electricity account: the same member has others, bound by tests running beside it.
  const ownPower = () => page.getByRole("region", { name: `電號 ${maskSubject(residentC!.electricityAccount, "electricity_account")}` });

  // The power company holds its answer until the test lets it go.
  await setSource(page, "power", "held");
  try {
    await page.goto("/account?refresh=1", { waitUntil: "commit" });
    const power = ownPower();
    await expect(sourceStatus(page, /台灣電力公司/)).toHaveText("正在向台灣電力公司查詢…");
    await expect(power.getByText("正在向台灣電力公司查詢這個號碼的帳單…")).toBeVisible();
    // Everything else is there meanwhile: the portal's own bills and the other sources' answers.
    await expect(
      page
        .getByRole("region", { name: /^車牌/ })
        .getByRole("checkbox", { name: /11512\d{11}/ })
        .first(),
    ).toBeVisible();
    await expect(sourceStatus(page, /自來水公司/)).toContainText("已取得自來水公司的帳單");
    await expect(power.getByRole("checkbox")).toHaveCount(0);
  } finally {
    await setSource(page, "power", "normal");
  }
  const power = ownPower();
  await expect(sourceStatus(page, /台灣電力公司/)).toHaveText(/^已取得台灣電力公司的帳單（\d{2}:\d{2} 回覆）$/);
  await expect(power.getByRole("checkbox", { name: /11517\d{11}/ })).toBeChecked();
  await expect(power.getByText("正在向台灣電力公司查詢")).toHaveCount(0);
  expect(csp).toEqual([]);
  await expectNoAxeViolations(page, "on the dashboard once every source has answered");

  await page.getByRole("button", { name: "English" }).click();
  // The English page's own questions first: a question still under way would answer the next one too.
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await sourcesAnswered(page);
  await setSource(page, "power", "held");
  try {
    await page.goto("/account?refresh=1", { waitUntil: "commit" });
    await expect(sourceStatus(page, /Taipower/)).toHaveText("Asking Taipower…");
  } finally {
    await setSource(page, "power", "normal");
  }
  await expect(sourceStatus(page, /Taipower/)).toHaveText(/^Bills from Taipower received \(answered at \d{2}:\d{2}\)$/);
  await expectNoAxeViolations(page, "on the English dashboard once every source has answered");
  await page.getByRole("button", { name: "中文" }).click();

  // Without JavaScript the streamed part still shows, and its bills are paid with the form.
  await withoutJavaScript(browser, async (noScript) => {
    // Without JavaScript the streamed parts arrive after the page, outside their regions; any power bill will do (it only goes to checkout).
    const powerBill = noScript.getByRole("checkbox", { name: /11517\d{11}/ }).first();
    await expect(powerBill).toBeVisible();
    await expect(powerBill).toBeChecked();
    await expect(noScript.getByText(/^已取得台灣電力公司的帳單/).first()).toBeVisible();
    const powerId = (await powerBill.getAttribute("id"))!;
    const number = /11517\d{11}/.exec(await noScript.locator(`label[for="${powerId}"]`).innerText())![0];
    for (const box of await payCheckboxes(noScript).all()) if ((await box.getAttribute("id")) !== powerId) await box.uncheck();
    await noScript.getByRole("button", { name: "繳納勾選的帳單" }).click();
    await expect(noScript.locator("h1")).toHaveText("繳費");
    await expect(noScript.locator(".total")).toContainText("共 1 張帳單");
    await expect(noScript.locator("article.bill-card")).toContainText(number);
  });
});

test("the history holds the payments made in this browser before logging in and the bound numbers' bills paid elsewhere, in both languages", async ({
  page,
}) => {
  // Paid before logging in, in this browser.
  const [before] = unpaidDemoBills("health-fine", 20, 1);
  await checkout(page, "health-fine", [before!]);
  await payWithLinePay(page);

  await page.goto("/login?returnTo=%2Faccount%2Fbindings");
  await loginAtProvider(page, "xiaoming");
  // The water account may be bound already (the tests before).
  await bind(page, /^水號/, residentC!.waterAccount);
  // The payment made before logging in is the member's now.
  await page.goto("/account/payments");
  const rows = page.locator("table.history-table tbody tr");
  await expect(rows.filter({ hasText: before! })).toHaveCount(1);

  await page.goto("/account");
  // This test's water account: the member has others, bound by other tests.
  const water = page.getByRole("region", { name: `水號 ${maskSubject(residentC!.waterAccount, "water_account")}` });
  await expect(water.getByRole("checkbox", { name: /11514\d{11}/ })).toHaveCount(1);
  const atCounter = await sourceBillNumber(water, "11514");
  // Paid at the water company's counter: its system says so at the next question.
  expect(
    (await page.request.post(`${E2E_SOURCES_URL}/_simulator/settle`, { data: { source: "water", writeOffNumber: atCounter } })).ok(),
  ).toBe(true);
  // Loaded: every source's part is in the document.
  await page.goto("/account?refresh=1");
  await expect(page.getByText(atCounter)).toHaveCount(0);

  await page.goto("/account/payments");
  await expect(page.getByRole("heading", { name: "紀錄包含" })).toBeVisible();
  await expect(page.getByText("您登入前用同一個瀏覽器在本網站繳納的帳單")).toBeVisible();
  const claimed = rows.filter({ hasText: before! });
  await expect(claimed).toHaveCount(1);
  await expect(claimed.getByRole("link", { name: /^R\d{8}-/ })).toBeVisible();
  const elsewhere = rows.filter({ hasText: atCounter });
  await expect(elsewhere).toHaveCount(1);
  await expect(elsewhere).toContainText("於本網站以外繳納：機關臨櫃");
  await expect(elsewhere).toContainText("非本網站繳納，無繳費證明");
  await expect(elsewhere.getByRole("link")).toHaveCount(0);
  await expect(elsewhere.getByRole("checkbox")).toHaveCount(0);
  await expectNoAxeViolations(page, "on the payment history with every kind of record");
  // The claimed payment's receipt opens for the member.
  await claimed.getByRole("link", { name: /^R\d{8}-/ }).click();
  await expect(page.locator("h1")).toContainText("繳費證明");
  await page.goBack();

  await page.getByRole("button", { name: "English" }).click();
  await expect(page.getByRole("heading", { name: "What the history holds" })).toBeVisible();
  await expect(rows.filter({ hasText: atCounter })).toContainText("Paid at: Agency counter (not on this website)");
  await expect(rows.filter({ hasText: atCounter })).toContainText("Not paid on this website: no receipt");
  await expectNoAxeViolations(page, "on the English payment history with every kind of record");
  await page.getByRole("button", { name: "中文" }).click();
});
