import type { BrowserContext, Page } from "@playwright/test";
import { E2E_BACK_OFFICE_URL } from "../playwright.config";
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
const paid = { police: "", water: "" };

test.beforeAll(async ({ browser, baseURL: _ignored }, testInfo) => {
  testInfo.setTimeout(120_000);
  // Two residents' payments for the staff to find: a police fine and a water bill, paid as residents pay.
  const resident = await browser.newContext({ locale: "zh-TW", extraHTTPHeaders: { "X-Forwarded-For": "198.19.240.1" } });
  const residentPage = await resident.newPage();
  await checkout(residentPage, "traffic-fine", [policeBill!]);
  paid.police = await payWithLinePay(residentPage);
  await checkout(residentPage, "water-bill", [waterBill!]);
  paid.water = await payWithLinePay(residentPage);
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
  await context.close();
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
  await page.goto(`/back-office/payments?reference=${paid.water}`);
  await page.getByRole("link", { name: paid.water }).click();
  await expect(page.locator("h1")).toContainText(paid.water);
  const waterOrderUrl = page.url();
  // The water company registered its own network: its staff are refused from the rest of the office's.
  const elsewhere = await page.request.get("/back-office", { headers: { "X-Forwarded-For": "198.18.7.7" } });
  expect(elsewhere.status()).toBe(403);
  await staffSignOut(page);

  await staffSignIn(page, "police-handler", { firstTime: false });
  await page.goto(`/back-office/payments?reference=${paid.water}`);
  await expect(page.getByRole("status")).toContainText("查無符合的繳費訂單");
  const notFound = await page.goto(waterOrderUrl);
  expect(notFound?.status()).toBe(404);
  await expect(page.locator("h1")).toHaveText("查無此頁");
  await page.goto(`/back-office/payments?reference=${paid.police}`);
  await expect(page.getByRole("status")).toContainText("共 1 筆繳費訂單");
  await expectNoAxeViolations(page, "payments search");
});

test("a payer's name stays masked until the handler gives a reason and signs the reveal with the passkey", async () => {
  await page.goto(`/back-office/payments?reference=${paid.police}`);
  await page.getByRole("link", { name: paid.police }).click();
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
