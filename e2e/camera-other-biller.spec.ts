import { expectNoAxeViolations } from "./support/axe";
import { OTHER_BILLER_BILL } from "./support/camera-fixtures";
import { expect, test } from "./support/fixtures";

// Chromium's fake camera plays a video of another biller's bill: read correctly, not one the portal collects.

const LANGUAGES = [
  {
    locale: "zh-TW",
    start: "開啟相機",
    heading: "本平台無法代收這張帳單",
    read: "三段條碼都已正確讀取",
    whose: `代收項目代碼 ${OTHER_BILLER_BILL.collectionItemCode}`,
    why: "不是本平台代收的繳費項目",
    whatToDo: "持帳單到便利商店繳納",
    amount: "新臺幣 300 元",
    panel: "三段條碼都已讀取，結果請見本頁上方的說明。",
    opening: "正在開啟帳單",
  },
  {
    locale: "en",
    start: "Start the camera",
    heading: "This portal cannot collect this bill",
    read: "All three barcodes were read correctly",
    whose: `another biller's bill (collection code ${OTHER_BILLER_BILL.collectionItemCode}`,
    why: "not one of the kinds this portal collects",
    whatToDo: "Pay it at a convenience store",
    amount: "NT$300",
    panel: "All three barcodes read: the answer is at the top of this page.",
    opening: "opening the bill",
  },
];

for (const language of LANGUAGES) {
  test.describe(`another biller's bill on a phone, in ${language.locale}`, () => {
    test.use({ locale: language.locale, viewport: { width: 390, height: 844 } });

    test("the notice takes focus, is in view, and says what was read, whose it is, why and what to do", async ({ page }) => {
      await page.goto("/scan");
      await page.getByRole("button", { name: language.start }).click();
      const notice = page.getByRole("region", { name: language.heading });
      await expect(notice).toBeFocused({ timeout: 15_000 });
      await expect(notice).toBeInViewport();
      // Its top edge is on screen, not just a sliver of it.
      const box = await notice.boundingBox();
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.y).toBeLessThan(844 / 2);
      for (const text of [
        language.read,
        language.whose,
        language.why,
        language.whatToDo,
        OTHER_BILLER_BILL.writeOffNumber,
        language.amount,
      ]) {
        await expect(notice).toContainText(text);
      }
      // The camera panel no longer says a bill is being opened.
      const panel = page.locator(".camera-panel");
      await expect(panel.locator(".status-message")).toHaveText(language.panel);
      await expect(panel).not.toContainText(language.opening);
      await expectNoAxeViolations(page, "with another biller's bill read by the camera");
    });
  });
}
