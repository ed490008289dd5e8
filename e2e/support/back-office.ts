import type { Page } from "@playwright/test";
import { E2E_STAFF_IDP_URL } from "../../playwright.config";
import { expect } from "./fixtures";

/** A client inside the back office's networks in the e2e run (BACK_OFFICE_NETWORKS, playwright.config.ts). */
export const OFFICE_ADDRESS = "198.18.200.10";
/** A documentation address (TEST-NET-3) outside them. */
export const OUTSIDE_ADDRESS = "203.0.113.9";
const STAFF_PASSWORD = "staff-demo-1234";

/**
 * A platform authenticator in this page's browser (Chromium's virtual
 * authenticator, over CDP): it answers passkey ceremonies with user
 * verification, as a laptop's fingerprint reader would. Credentials live as
 * long as the browser context.
 */
export async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/** Signs in at the staff identity provider's page, where the back office has sent the browser. */
async function signInAtStaffProvider(page: Page, username: string): Promise<void> {
  await expect(page).toHaveURL(new RegExp(`^${E2E_STAFF_IDP_URL}/interaction/`));
  await page.getByLabel(/^(帳號|Username)$/).fill(username);
  await page.getByLabel(/^(密碼|Password)$/).fill(STAFF_PASSWORD);
  await page.getByRole("button", { name: /^(登入|Sign in)$/ }).click();
}

/** The whole sign-in: the back office's page, the staff provider, and at the first sign-in the passkey. */
export async function staffSignIn(page: Page, username: string, options: { firstTime: boolean }): Promise<void> {
  await page.goto("/back-office/login");
  await page.getByRole("button", { name: /^(以公務帳號登入|Sign in with the staff account)$/ }).click();
  await signInAtStaffProvider(page, username);
  if (options.firstTime) {
    await expect(page.locator("h1")).toHaveText(/^(設定通行金鑰|Set up a passkey)$/);
    await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
    await page.getByRole("button", { name: /^(設定通行金鑰|Set up a passkey)$/ }).click();
  }
  await expect(page.locator("h1")).toHaveText(/^(後台首頁|Back office home)$/);
}

/** Signs out through the header's button, and at the staff provider too. */
export async function staffSignOut(page: Page): Promise<void> {
  await page
    .getByRole("banner")
    .getByRole("button", { name: /^(登出|Sign out)$/ })
    .click();
  // RP-initiated logout: the staff provider asks too.
  await expect(page).toHaveURL(new RegExp(`^${E2E_STAFF_IDP_URL}/`));
  await page.getByRole("button", { name: /^(登出|Sign out)$/ }).click();
  await expect(page.locator("h1")).toHaveText(/^(已登出後台|Signed out of the back office)$/);
}
