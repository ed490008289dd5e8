import { expectNoAxeViolations } from "./support/axe";
import { expect, test } from "./support/fixtures";

// Chromium's fake camera plays a video of a QR code far too small and blurred to read.

const LANGUAGES = [
  { locale: "zh-TW", start: "開啟相機", hint: "還沒讀到條碼或 QR Code。請把帳單拿近一點" },
  { locale: "en", start: "Start the camera", hint: "Nothing read yet. Bring the bill closer" },
];

for (const language of LANGUAGES) {
  test.describe(`a code the camera cannot read, in ${language.locale}`, () => {
    test.use({ locale: language.locale });

    test("after a while with nothing read, the resident is told to move closer", async ({ page }) => {
      // The hint waits some seconds by design, and axe runs while the camera decodes.
      test.slow();
      await page.goto("/scan");
      await page.getByRole("button", { name: language.start }).click();
      const panel = page.locator(".camera-panel");
      await expect(panel.locator(".notice")).toContainText(language.hint, { timeout: 20_000 });
      // Said to screen readers too, once.
      await expect(panel.getByRole("status")).toContainText(language.hint);
      await expectNoAxeViolations(page, "with the move-closer hint");
    });
  });
}
