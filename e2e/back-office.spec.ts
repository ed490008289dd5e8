import type { BrowserContext, Page } from "@playwright/test";
import { E2E_BACK_OFFICE_URL, E2E_PORTAL_URL } from "../playwright.config";
import { expectNoAxeViolations } from "./support/axe";
import { OFFICE_ADDRESS, OUTSIDE_ADDRESS, addVirtualAuthenticator, staffSignIn, staffSignOut } from "./support/back-office";
import { demoPayerName, unpaidDemoBills } from "./support/demo-bills";
import { expect, test } from "./support/fixtures";
import { checkout, payWithLinePay } from "./support/payments";

/*
 * The back office as staff use it: signing in through the staff provider,
 * a passkey at the first sign-in (Chromium's virtual authenticator), roles
 * that open only their own agency's work, proxies, reveals signed with the
 * passkey, the allow-list and the audit chain. One browser context for the
 * group: passkeys live in its authenticator.
 */
test.describe.configure({ mode: "serial" });
test.use({ baseURL: E2E_BACK_OFFICE_URL });

let context: BrowserContext;
let page: Page;
const [policeBill] = unpaidDemoBills("traffic-fine", 40, 1);
const [waterBill] = unpaidDemoBills("water-bill", 40, 1);
/** The receipt numbers of the residents' payments. */
const paid = { police: "", water: "" };

test.beforeAll(async ({ browser }, testInfo) => {
  testInfo.setTimeout(120_000);
  // Two residents' payments for the staff to find: a police fine and a water bill, paid as residents pay.
  const resident = await browser.newContext({
    baseURL: E2E_PORTAL_URL,
    locale: "zh-TW",
    extraHTTPHeaders: { "X-Forwarded-For": "198.19.240.1" },
  });
  const residentPage = await resident.newPage();
  await checkout(residentPage, "traffic-fine", [policeBill!]);
  paid.police = await payWithLinePay(residentPage);
  await checkout(residentPage, "water-bill", [waterBill!]);
  paid.water = await payWithLinePay(residentPage);
  // And a question about the police fine, sent through the contact form to the police.
  await residentPage.goto("/contact");
  await residentPage.getByLabel(/問題類型/).selectOption("bill_question");
  await residentPage.getByLabel(/開單機關/).selectOption("police");
  await residentPage.getByLabel(/^姓名/).fill("范家豪");
  await residentPage.getByLabel(/電子郵件/).fill("jiahao@example.com");
  await residentPage.getByLabel(/^內容/).fill(`罰單 ${policeBill} 已繳費，請問何時會銷帳？`);
  await residentPage.getByRole("button", { name: "送出" }).click();
  await expect(residentPage.locator("h1")).not.toHaveText(/聯絡我們/);
  await resident.close();
  context = await browser.newContext({
    baseURL: E2E_BACK_OFFICE_URL,
    locale: "zh-TW",
    extraHTTPHeaders: { "X-Forwarded-For": OFFICE_ADDRESS },
  });
  page = await context.newPage();
  await addVirtualAuthenticator(page);
});

test.afterAll(async () => {
  await context?.close();
});

test("answers nobody outside its networks, while residents' pages stay open", async ({ request }) => {
  const refused = await request.get("/back-office/login", { headers: { "X-Forwarded-For": OUTSIDE_ADDRESS } });
  expect(refused.status()).toBe(403);
  expect(refused.headers()["content-type"]).toContain("text/plain");
  expect(await refused.text()).toContain("The back office cannot be used from this network address.");
  const resident = await request.get("/lookup", { headers: { "X-Forwarded-For": OUTSIDE_ADDRESS } });
  expect(resident.status()).toBe(200);
});

test("a handler signs in through the staff provider and sets up a passkey at the first sign-in", async () => {
  await page.goto("/back-office");
  await expect(page).toHaveURL(/\/back-office\/login\?returnTo=%2Fback-office$/);
  await expectNoAxeViolations(page, "staff sign-in page");
  await staffSignIn(page, "police-handler", { firstTime: true });
  await expectNoAxeViolations(page, "back office home");
  // The staff session's own idle warning, timed by the staff idle limit (10 minutes), not the members' (15).
  await expect(page.locator("dialog.idle-warning")).toHaveAttribute("data-deadline", /^\d+$/);
  const deadline = Number(await page.locator("dialog.idle-warning").getAttribute("data-deadline"));
  expect(deadline - Date.now()).toBeGreaterThan(9 * 60_000);
  expect(deadline - Date.now()).toBeLessThanOrEqual(10 * 60_000);
  const nav = page.getByRole("navigation", { name: "後台功能" });
  await expect(nav.getByRole("link", { name: "繳費紀錄" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "稽核軌跡" })).toHaveCount(0);
  await expect(page.getByRole("main")).toContainText("承辦人");
  // A page the role does not open is refused in the back office's words.
  const refused = await page.goto("/back-office/audit");
  expect(refused?.status()).toBe(403);
  await expect(page.locator("h1")).toHaveText("沒有權限");
  await page.goto("/back-office");
  await staffSignOut(page);
  await expect(page.locator("h1")).toHaveText("已登出後台");
  await page.goto("/back-office");
  await expect(page).toHaveURL(/\/back-office\/login/);
});

test("each agency sees only its own payments: a water payment is not found for the police, even by its id", async () => {
  await staffSignIn(page, "water-handler", { firstTime: true });
  await page.goto(`/back-office/payments?receiptNumber=${paid.water}`);
  await expect(page.getByRole("status")).toContainText("共 1 筆繳費訂單");
  await page.getByRole("table").getByRole("link").first().click();
  await expect(page.locator("h1")).toContainText("繳費訂單");
  await expect(page.getByRole("main")).toContainText(paid.water);
  const waterOrderUrl = page.url();
  // The water company registered its own network: its staff are refused from the rest of the office's.
  const elsewhere = await page.request.get("/back-office", { headers: { "X-Forwarded-For": "198.18.7.7" } });
  expect(elsewhere.status()).toBe(403);
  await staffSignOut(page);

  await staffSignIn(page, "police-handler", { firstTime: false });
  await page.goto(`/back-office/payments?receiptNumber=${paid.water}`);
  await expect(page.getByRole("status")).toHaveText("共 0 筆繳費訂單。");
  await expect(page.getByRole("main")).toContainText("查無符合的繳費訂單");
  const notFound = await page.goto(waterOrderUrl);
  expect(notFound?.status()).toBe(404);
  await expect(page.locator("h1")).toHaveText("查無此頁");
  await page.goto(`/back-office/payments?receiptNumber=${paid.police}`);
  await expect(page.getByRole("status")).toContainText("共 1 筆繳費訂單");
  await expectNoAxeViolations(page, "payments search");
});

test("a payer's name stays masked until the handler gives a reason and signs the reveal with the passkey", async () => {
  await page.goto(`/back-office/payments?receiptNumber=${paid.police}`);
  await page.getByRole("table").getByRole("link").first().click();
  const name = demoPayerName(policeBill!);
  const bills = page.getByRole("table", { name: "本筆繳費的帳單" });
  await expect(bills).not.toContainText(name);
  await expect(page.getByRole("table", { name: "本筆繳費的歷程，舊的在前" })).toBeVisible();
  await expectNoAxeViolations(page, "payment detail");
  // No reason: the form says what to fix.
  await page.getByRole("button", { name: "繼續" }).click();
  await expect(page.getByRole("alert").getByRole("link", { name: "請選擇查看原因" })).toBeVisible();
  await page.getByLabel("原因").selectOption("payment_investigation");
  await page.getByRole("button", { name: "繼續" }).click();
  await expect(page.getByRole("heading", { name: "以通行金鑰確認" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("原因：繳費異常查核");
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByRole("button", { name: "以通行金鑰確認" }).click();
  await expect(bills).toContainText(name);
  await expect(page.getByRole("main")).toContainText("僅在本頁顯示一次");
  // Shown once: the page itself, loaded again, masks it again.
  await page.reload();
  await expect(page.getByRole("table", { name: "本筆繳費的帳單" })).not.toContainText(name);
});

test("the resident's question reaches the police inbox, where the handler works it; duplicates are listed", async () => {
  await page.goto("/back-office/inbox");
  await expectNoAxeViolations(page, "inbox");
  await page.getByRole("table", { name: "來信，最新的在前" }).getByRole("link").first().click();
  await expect(page.getByRole("main")).toContainText(policeBill!);
  await expect(page.getByRole("main")).not.toContainText("jiahao@example.com");
  await expectNoAxeViolations(page, "inbox message");
  await page.getByRole("combobox", { name: /^新的狀態/ }).selectOption("in_progress");
  await page.getByRole("button", { name: "變更狀態" }).click();
  await expect(page.getByRole("main")).toContainText("已變更處理狀態。");
  await page.goto("/back-office/duplicates");
  await expect(page.locator("h1")).toHaveText("重複繳費案件");
  await expectNoAxeViolations(page, "duplicates");
});

/** A moment as a datetime-local field in Taiwan (UTC+8, no summer time) takes it. */
const taipeiDateTime = (at: Date) => new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 16);

test("a reviewer going on leave names a colleague as proxy, who then acts as reviewer for them", async () => {
  await staffSignOut(page);
  await staffSignIn(page, "police-reviewer", { firstTime: true });
  await page.goto("/back-office/proxies");
  await expectNoAxeViolations(page, "proxies");
  await page.getByRole("combobox", { name: /^代理人/ }).selectOption({ label: "吳冠廷（police）" });
  await page.getByRole("combobox", { name: /^代理的角色/ }).selectOption({ label: "覆核人（police）" });
  await page.getByLabel("開始").fill(taipeiDateTime(new Date(Date.now() - 5 * 60_000)));
  await page.getByLabel("結束").fill(taipeiDateTime(new Date(Date.now() + 86_400_000)));
  await page.getByRole("button", { name: "設定", exact: true }).click();
  await expect(page.getByRole("main")).toContainText("已設定代理期間。");
  await expect(page.getByRole("table", { name: "我指定的代理期間" })).toContainText("代理中");
  await staffSignOut(page);

  await staffSignIn(page, "police-handler-2", { firstTime: true });
  await expect(page.getByRole("main")).toContainText("覆核人（police） — 代理 林淑芬");
});

test("the auditor verifies the whole audit chain, finds who acted for whom, and downloads it with its hashes", async () => {
  await staffSignOut(page);
  await staffSignIn(page, "auditor", { firstTime: true });
  await page.goto("/back-office/audit?action=staff.proxy_set");
  await expect(page.getByRole("main")).toContainText("staff.proxy_set");
  await expectNoAxeViolations(page, "audit trail");
  await page.getByRole("button", { name: "驗證全部紀錄" }).click();
  await expect(page.getByRole("main")).toContainText(/雜湊鏈完整：已檢查 \d+ 筆紀錄。/);
  await expect(page.getByRole("main")).toContainText(/[0-9a-f]{64}/);
  const download = await page.request.get("/back-office/audit.csv?action=staff.personal_data_revealed");
  expect(download.status()).toBe(200);
  const csv = await download.text();
  expect(csv).toContain("staff.personal_data_revealed");
  expect(csv).toMatch(/[0-9a-f]{64}/);
});

test("the auditor reads the mail delivery log: the outbox's state, mails with masked addresses, a bad date named at the top", async () => {
  // Still signed in as the auditor: the log is opened from the back office's home.
  await page.goto("/back-office");
  await page.getByRole("main").getByRole("link", { name: "寄信紀錄" }).click();
  await expect(page.locator("h1")).toHaveText("寄信紀錄");
  await expect(page.getByRole("table", { name: "各狀態的信件數（整個寄件匣）" })).toContainText("待寄");
  await expectNoAxeViolations(page, "mail delivery log");
  // No mail's full address anywhere on the page.
  await expect(page.getByRole("main")).not.toContainText("@example.com");
  const mails = page.getByRole("table", { name: /^信件，由新到舊/ }).getByRole("link");
  if ((await mails.count()) > 0) {
    await mails.first().click();
    await expect(page.getByRole("heading", { name: "寄送紀錄" })).toBeVisible();
    await expectNoAxeViolations(page, "mail detail");
  }
  const refused = await page.goto("/back-office/mail?from=2026-02-30&state=sent");
  expect(refused?.status()).toBe(400);
  await expect(page.getByRole("link", { name: /請以「年-月-日」輸入日期/ })).toBeVisible();
  await expect(page.getByLabel(/^狀態/)).toHaveValue("sent");
  await expectNoAxeViolations(page, "mail delivery log, bad date");
});

test("the search works without JavaScript: a bad number is named at the top and the form keeps it", async ({ browser }) => {
  const noScript = await browser.newContext({
    baseURL: E2E_BACK_OFFICE_URL,
    locale: "zh-TW",
    javaScriptEnabled: false,
    storageState: await context.storageState(),
    extraHTTPHeaders: { "X-Forwarded-For": OFFICE_ADDRESS },
  });
  const plain = await noScript.newPage();
  await plain.goto("/back-office/payments");
  await plain.getByLabel("銷帳編號").fill("12-34");
  await plain.getByRole("button", { name: "查詢", exact: true }).click();
  await expect(plain.getByRole("alert").getByRole("link", { name: "請輸入 6 至 16 碼英數字的銷帳編號" })).toBeVisible();
  await expect(plain.getByLabel("銷帳編號")).toHaveValue("12-34");
  await expect(plain).toHaveTitle(/^錯誤：/);
  await noScript.close();
});

test("in English, by keyboard: the city administrator's pages", async ({ browser }) => {
  const english = await browser.newContext({
    baseURL: E2E_BACK_OFFICE_URL,
    locale: "en",
    extraHTTPHeaders: { "X-Forwarded-For": OFFICE_ADDRESS },
  });
  const admin = await english.newPage();
  await addVirtualAuthenticator(admin);
  await staffSignIn(admin, "city-admin", { firstTime: true });
  await expect(admin.locator("html")).toHaveAttribute("lang", "en");
  await expectNoAxeViolations(admin, "home (en)");
  // The skip link is the first stop, and leads to the page's content.
  await admin.keyboard.press("Tab");
  await expect(admin.getByRole("link", { name: "Skip to main content" })).toBeFocused();
  const nav = admin.getByRole("navigation", { name: "Back office" });
  await expect(nav.getByRole("link", { name: "Payments" })).toHaveCount(0);
  await nav.getByRole("link", { name: "Staff and roles" }).focus();
  await admin.keyboard.press("Enter");
  await expect(admin.locator("h1")).toHaveText("Staff and roles");
  await expect(admin.getByRole("main")).toContainText("police-handler-2");
  await expectNoAxeViolations(admin, "staff (en)");
  await admin.goto("/back-office/settings");
  await expect(admin.getByRole("main")).toContainText("198.18.0.0/15");
  await expectNoAxeViolations(admin, "settings (en)");
  await english.close();
});
