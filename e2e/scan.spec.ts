import type { Page } from "@playwright/test";
import { composeConvenienceBarcodes } from "../app/domain/convenience-barcode";
import { expectNoAxeViolations } from "./support/axe";
import { addDays, taipeiDate } from "../app/domain/dates";
import { CAMERA_FILES, OTHER_BILLER_BILL, SCANNED_BILL, demoBillBarcodes, otherBillerBarcodes } from "./support/camera-fixtures";
import { expect, test } from "./support/fixtures";

const [B1, B2, B3] = demoBillBarcodes(SCANNED_BILL.billType, SCANNED_BILL.writeOffNumber);

/** The scanned bill's barcodes with one field changed. */
function barcodesWith(change: { deadline?: string; amount?: number }) {
  return composeConvenienceBarcodes({
    deadline: change.deadline ?? "2099-12-31",
    collectionItemCode: "PT1",
    writeOffNumber: SCANNED_BILL.writeOffNumber,
    period: B3.slice(0, 4),
    amount: change.amount ?? Number(B3.slice(6)),
  });
}

async function typeBarcodes(page: Page, barcodes: readonly string[], locale: "zh-TW" | "en" = "zh-TW") {
  await page.goto("/scan");
  const labels = locale === "en" ? ["First", "Second", "Third"].map((n) => `${n} barcode`) : ["一", "二", "三"].map((n) => `第${n}段條碼`);
  for (const [i, value] of barcodes.entries()) await page.getByLabel(new RegExp(`^${labels[i]}`)).fill(value);
  await page.getByRole("button", { name: locale === "en" ? "Open the bill" : "開啟帳單" }).click();
}

const PHOTO_FIELDS = {
  "zh-TW": { choose: "選擇已存的帳單照片或電子帳單截圖", take: "用相機拍攝帳單照片" },
  en: { choose: "Choose a saved photo of the bill or an e-bill screenshot", take: "Take a photo of the bill with the camera" },
} as const;

const EXPIRED_OTHER_BILLER = {
  "zh-TW": {
    heading: "這張帳單已過超商代收期限",
    says: [
      "三段條碼都已正確讀取",
      `代收項目代碼 ${OTHER_BILLER_BILL.collectionItemCode}`,
      "便利商店也不會再代收",
      "請洽詢帳單上的開單單位",
    ],
    not: "持帳單到便利商店繳納",
  },
  en: {
    heading: "This bill is past its convenience-store deadline",
    says: [
      "All three barcodes were read correctly",
      `collection code ${OTHER_BILLER_BILL.collectionItemCode}`,
      "convenience stores will refuse it too",
      "Ask the biller named on the bill",
    ],
    not: "Pay it at a convenience store",
  },
} as const;

for (const locale of ["zh-TW", "en"] as const) {
  test.describe(`in ${locale}`, () => {
    test.use({ locale });

    test("a photo can be taken or chosen from saved ones: two labelled fields", async ({ page }) => {
      await page.goto("/scan");
      const choose = page.getByLabel(PHOTO_FIELDS[locale].choose, { exact: true });
      const take = page.getByLabel(PHOTO_FIELDS[locale].take, { exact: true });
      // Without `capture` a phone offers its saved photos and files; with it, the camera.
      await expect(choose).toHaveAttribute("type", "file");
      await expect(choose).toHaveAttribute("accept", "image/*");
      await expect(choose).not.toHaveAttribute("capture");
      await expect(take).toHaveAttribute("type", "file");
      await expect(take).toHaveAttribute("accept", "image/*");
      await expect(take).toHaveAttribute("capture", "environment");
      await expectNoAxeViolations(page, "with the two photo fields");
      // A saved photo (here, a screenshot-like PNG of the bill) opens the bill.
      await choose.setInputFiles(CAMERA_FILES.billPhoto);
      await expect(page).toHaveURL(/\/bills$/);
      await expect(page.locator("article.bill-card").first()).toContainText(SCANNED_BILL.writeOffNumber);
    });

    test("a photo taken with the camera field opens the bill too", async ({ page }) => {
      await page.goto("/scan");
      await page.getByLabel(PHOTO_FIELDS[locale].take, { exact: true }).setInputFiles(CAMERA_FILES.billPhoto);
      await expect(page).toHaveURL(/\/bills$/);
    });

    test("another biller's expired bill is past its store deadline: ask the issuer, not the store", async ({ page }) => {
      await typeBarcodes(page, otherBillerBarcodes(addDays(taipeiDate(), -30)), locale);
      const text = EXPIRED_OTHER_BILLER[locale];
      const notice = page.getByRole("region", { name: text.heading });
      await expect(notice).toBeVisible();
      for (const part of text.says) await expect(notice).toContainText(part);
      await expect(notice).not.toContainText(text.not);
      await expectNoAxeViolations(page, "for another biller's expired bill");
    });
  });
}

test("a photo of the bill opens the same bill, read in the browser", async ({ page }) => {
  await page.goto("/scan");
  const uploads: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && (request.postData() ?? "").includes("PNG")) uploads.push(request.url());
  });
  await page.getByLabel("選擇已存的帳單照片或電子帳單截圖").setInputFiles(CAMERA_FILES.billPhoto);
  await expect(page).toHaveURL(/\/bills$/);
  await expect(page.locator("article.bill-card").first()).toContainText(SCANNED_BILL.writeOffNumber);
  expect(uploads).toEqual([]);
});

test("typing the three barcodes opens the same bill", async ({ page }) => {
  await typeBarcodes(page, [B1.toLowerCase(), ` ${B2} `, B3]);
  await expect(page).toHaveURL(/\/bills$/);
  await expect(page.locator("article.bill-card").first()).toContainText(SCANNED_BILL.writeOffNumber);
});

test("a misread barcode is named, with what to do, and what was typed is kept", async ({ page }) => {
  const misread = B3.slice(0, 10) + ((Number(B3[10]) + 1) % 10) + B3.slice(11);
  await typeBarcodes(page, [B1, B2, misread]);
  const summary = page.locator(".error-summary");
  await expect(summary).toBeFocused();
  await expect(summary).toContainText("條碼的檢查碼不符：條碼可能讀錯了，請重新掃描或手動輸入");
  await expect(page.getByLabel(/^第三段條碼/)).toHaveValue(misread);
  await expectNoAxeViolations(page, "with a misread barcode");
});

test("a missing and a malformed barcode are each named at their field", async ({ page }) => {
  await typeBarcodes(page, ["", B2, "12345"]);
  await expect(page.locator(".error-summary").getByRole("link")).toHaveText([
    "請輸入第一段條碼",
    "第三段條碼應為 15 碼英數字，最後 9 碼是金額",
  ]);
});

test("another biller's bill is read and shown, with the reason the portal cannot collect it", async ({ page }) => {
  // The real iPASS slip of the reference: collection code 63E is not a bill type of this portal.
  await typeBarcodes(page, ["50123163E", "7106000000084700", "543796000000300"]);
  const notice = page.locator(".notice").filter({ hasText: "本平台無法代收這張帳單" });
  await expect(notice).toContainText("7106000000084700");
  await expect(notice).toContainText("新臺幣 300 元");
  await expect(notice).toContainText("63E");
  await expectNoAxeViolations(page, "for another biller's bill");
});

test("an amount that differs from the agency's record does not open the bill", async ({ page }) => {
  await typeBarcodes(page, barcodesWith({ amount: Number(B3.slice(6)) + 100 }));
  await expect(page.locator(".error-summary")).toContainText("條碼上的金額與開單機關的資料不符");
  await expect(page.locator("article.bill-card")).toHaveCount(0);
});

test("an expired convenience-store deadline is explained", async ({ page }) => {
  await typeBarcodes(page, barcodesWith({ deadline: "2026-01-31" }));
  await expect(page.locator(".error-summary")).toContainText("超商代收期限（民國115年1月31日）已過");
  await expect(page.getByRole("link", { name: "改用銷帳編號查詢帳單" })).toBeVisible();
});

test("without a camera the page says so and the other ways still work", async ({ page }) => {
  await page.goto("/scan");
  await page.getByRole("button", { name: "開啟相機" }).click();
  await expect(page.locator(".camera-panel .notice")).toContainText(/找不到相機|無法使用相機|相機無法開啟|沒有取得使用相機的權限/);
  await expectNoAxeViolations(page, "without a camera");
});

test.describe("in English", () => {
  test.use({ locale: "en" });
  test("the scan page and its errors are in English", async ({ page }) => {
    await page.goto("/scan");
    await expect(page.locator("h1")).toHaveText("Scan a bill");
    await page.getByLabel(/^Second barcode/).fill(B2);
    await page.getByRole("button", { name: "Open the bill" }).click();
    await expect(page.locator(".error-summary").getByRole("link")).toHaveText(["Enter the first barcode", "Enter the third barcode"]);
    await expectNoAxeViolations(page, "with errors in English");
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });
  test("typed barcodes still open the bill, and the page says the camera needs JavaScript", async ({ page }) => {
    await page.goto("/scan");
    await expect(page.getByText("這個功能需要開啟瀏覽器的 JavaScript").first()).toBeVisible();
    await page.getByLabel(/^第一段條碼/).fill(B1);
    await page.getByLabel(/^第二段條碼/).fill(B2);
    await page.getByLabel(/^第三段條碼/).fill(B3);
    await page.getByRole("button", { name: "開啟帳單" }).click();
    await expect(page).toHaveURL(/\/bills$/);
  });
});
