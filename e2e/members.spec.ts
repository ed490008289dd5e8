import type { Locator, Page } from "@playwright/test";
import { taipeiDate } from "../app/domain/dates";
import { generateDemoData } from "../app/demo/data/generate";
import { E2E_IDP_URL, E2E_SOURCES_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { expect, test } from "./support/fixtures";
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

const [residentA, residentB] = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 3 }).residents;

async function setSource(page: Page, source: "water" | "power" | "parking", mode: "normal" | "slow" | "down") {
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

async function bind(page: Page, kind: RegExp, value: string, label = "") {
  await page.getByRole("radio", { name: kind }).check();
  await page.getByLabel(/^號碼/).fill(value);
  await page.getByLabel(/^名稱/).fill(label);
  // Until the page has the answer and its new data: the next binding is typed into the form that follows it.
  const answered = page.waitForResponse((r) => r.request().method() === "GET" && r.url().includes("_data=routes%2Faccount.bindings"));
  await page.getByRole("button", { name: "新增綁定" }).click();
  await answered;
  await expect(page.getByRole("button", { name: "新增綁定" })).toBeEnabled();
}

test("a member logs in, binds a plate, a water and an electricity account, pays two pending bills together and logs out", async ({
  page,
}) => {
  await page.goto("/");
  await page.getByRole("link", { name: "會員登入" }).click();
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
  await loginAtProvider(page, "member-c");
  await bind(page, /^水號/, residentB!.waterAccount, "家裡水費");
  await expect(page.locator(".confirmation")).toHaveText("已新增綁定。");
  await expect(page.getByLabel(/^號碼/)).toHaveValue("");
  await expect(page.getByLabel(/^名稱/)).toHaveValue("");
  // The next one, typed without a name.
  await page.getByRole("radio", { name: /^電號/ }).check();
  await page.getByLabel(/^號碼/).fill(residentB!.electricityAccount);
  await page.getByRole("button", { name: "新增綁定" }).click();
  await expect(page.locator(".confirmation")).toHaveText("已新增綁定。");
  await expect(page.getByRole("heading", { name: /^07/ })).not.toContainText("家裡水費");
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
  const first = page.getByRole("checkbox").first();
  await first.focus();
  await page.keyboard.press("Space");
  await expect(first).toBeChecked();
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

test("the idle warning offers to stay logged in before the session ends", async ({ page }) => {
  const { dialog, deadline } = await openIdleWarning(page);
  await expect(page).toHaveURL(/\/account$/);
  await expect(dialog.getByRole("button", { name: "繼續使用" })).toBeFocused();
  await expectNoAxeViolations(page, "with the idle warning open");
  const [keptAlive] = await Promise.all([
    page.waitForResponse((response) => response.url().includes("/account/keep-alive")),
    page.keyboard.press("Enter"),
  ]);
  expect(keptAlive.status()).toBe(200);
  await expect(dialog).toBeHidden();
  // The server started the idle time again: the page now ends the session later.
  await expect.poll(async () => Number(await page.locator("dialog").getAttribute("data-deadline"))).toBeGreaterThan(deadline + 60_000);
});

test("Escape on the idle warning means stay signed in, not a silent end of the session", async ({ page }) => {
  const { dialog, deadline } = await openIdleWarning(page);
  const [keptAlive] = await Promise.all([
    page.waitForResponse((response) => response.url().includes("/account/keep-alive")),
    page.keyboard.press("Escape"),
  ]);
  expect(keptAlive.status()).toBe(200);
  await expect(dialog).toBeHidden();
  await expect.poll(async () => Number(await page.locator("dialog").getAttribute("data-deadline"))).toBeGreaterThan(deadline + 60_000);
  // Where the old deadline was, the member is still signed in.
  await page.clock.fastForward(3 * 60_000);
  await expect(page).toHaveURL(/\/account$/);
});
