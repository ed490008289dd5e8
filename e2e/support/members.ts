import type { Page } from "@playwright/test";
import { E2E_IDP_URL } from "../../playwright.config";
import { expect } from "./fixtures";

/** Signs in on the local identity provider's page, where the portal has sent the browser. */
export async function loginAtProvider(page: Page, username: string) {
  await expect(page).toHaveURL(new RegExp(`^${E2E_IDP_URL}/interaction/`));
  await page.getByLabel(/^(帳號|Username)$/).fill(username);
  await page.getByLabel(/^(密碼|Password)$/).fill("demo-1234");
  await page.getByRole("button", { name: /^(登入|Sign in)$/ }).click();
}
