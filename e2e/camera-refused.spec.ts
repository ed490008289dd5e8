import { expectNoAxeViolations } from "./support/axe";
import { expect, test } from "./support/fixtures";

// A camera exists, but this browser refuses it to the page.

test("a refused camera says so and points to the photo and manual fallbacks", async ({ page }) => {
  await page.goto("/scan");
  await page.getByRole("button", { name: "開啟相機" }).click();
  const notice = page.locator(".camera-panel .notice");
  await expect(notice).toContainText("沒有取得使用相機的權限");
  await expect(notice.getByRole("link", { name: "上傳帳單照片" })).toHaveAttribute("href", "#photo-input");
  await expect(notice.getByRole("link", { name: "手動輸入條碼" })).toHaveAttribute("href", "#barcode1");
  await expect(page.getByLabel("選擇已存的帳單照片或電子帳單截圖")).toBeVisible();
  await expect(page.getByLabel("用相機拍攝帳單照片")).toBeVisible();
  await expect(page.getByLabel(/^第一段條碼/)).toBeVisible();
  await expectNoAxeViolations(page, "with the camera refused");
});
