import { SCANNED_BILL } from "./support/camera-fixtures";
import { expect, test } from "./support/fixtures";

// Chromium's fake camera plays a video of the QR code printed on a bill: a link signed by the police.

test("scanning the QR code of a paper bill opens the bill without a captcha", async ({ page }) => {
  await page.goto("/scan");
  await page.getByRole("button", { name: "開啟相機" }).click();
  await expect(page).toHaveURL(/\/bills$/, { timeout: 15_000 });
  await expect(page.locator("article.bill-card").first()).toContainText(SCANNED_BILL.writeOffNumber);
});
