import { expectNoAxeViolations } from "./support/axe";
import { SCANNED_BILL } from "./support/camera-fixtures";
import { expect, test } from "./support/fixtures";

// Chromium's fake camera plays a 1280×720 video of a bill's three stacked barcodes.

test("scanning the bill's three barcodes with the camera opens the bill", async ({ page }) => {
  await page.goto("/scan");
  await expectNoAxeViolations(page, "before scanning");
  await page.getByRole("button", { name: "開啟相機" }).click();
  await expect(page).toHaveURL(/\/bills$/, { timeout: 15_000 });
  const card = page.locator("article.bill-card").first();
  await expect(card).toContainText(SCANNED_BILL.writeOffNumber);
  await expect(card).toContainText("交通違規罰鍰");
  await expectNoAxeViolations(page, "on the scanned bill");
});

test("the scan page shows which barcodes are read and says so to screen readers", async ({ page }) => {
  await page.goto("/scan");
  // Hold the navigation at the server, to look at the page when all three are read.
  await page.route("**/scan?_data=routes%2Fscan", (route) =>
    route.request().method() === "POST" ? new Promise(() => {}) : route.continue(),
  );
  await page.getByRole("button", { name: "開啟相機" }).click();
  const progress = page.getByRole("list", { name: "條碼讀取進度" });
  await expect(progress.getByRole("listitem")).toHaveText(["第一段條碼：已讀取", "第二段條碼：已讀取", "第三段條碼：已讀取"], {
    timeout: 15_000,
  });
  await expect(page.getByRole("status").filter({ hasText: "三段條碼都已讀取" })).toHaveCount(1);
  // The camera is released once the bill is read.
  const tracksLive = await page.evaluate(() => {
    const video = document.querySelector("video");
    return video?.srcObject ? (video.srcObject as MediaStream).getTracks().some((t) => t.readyState === "live") : false;
  });
  expect(tracksLive).toBe(false);
  await expectNoAxeViolations(page, "with the scan complete");
});

test("decoding is throttled and measured", async ({ page }) => {
  await page.goto("/scan");
  await page.route("**/scan?_data=routes%2Fscan", (route) =>
    route.request().method() === "POST" ? new Promise(() => {}) : route.continue(),
  );
  await page.getByRole("button", { name: "開啟相機" }).click();
  await expect(page.getByRole("status").filter({ hasText: "三段條碼都已讀取" })).toHaveCount(1, { timeout: 15_000 });
  const measures = await page.evaluate(() => performance.getEntriesByName("scan:decode-frame").map((entry) => entry.startTime));
  expect(measures.length).toBeGreaterThanOrEqual(2);
  // At least the configured pause between decodes: the page is never busy decoding back to back.
  const gaps = measures.slice(1).map((start, i) => start - measures[i]!);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
});
