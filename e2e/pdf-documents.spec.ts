import type { Page } from "@playwright/test";
import { allNodes, readPdfStructure } from "../tests/support/pdf";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, lookUp, test } from "./support/fixtures";
import { checkout } from "./support/payments";

/**
 * The PDFs a visitor downloads speak the language the visitor chose: the
 * document's /Lang and its first heading follow the language switch (the
 * structure itself is read back in tests/integration/pdf-structure.test.ts).
 */

async function pdfStart(page: Page, url: string) {
  const response = await page.request.get(url);
  expect(response.headers()["content-type"]).toBe("application/pdf");
  const structure = await readPdfStructure(await response.body());
  return {
    lang: structure.lang,
    h1: allNodes(structure.roots)
      .find((node) => node.role === "H1")
      ?.text.trim(),
  };
}

test("a receipt and a reprinted slip as PDFs in the visitor's language", async ({ page }) => {
  test.slow();
  const [paid] = unpaidDemoBills("health-fine", 7, 1);
  await checkout(page, "health-fine", [paid!]);
  await page.getByLabel("LINE Pay").check();
  await page.getByRole("button", { name: /^確認付款/ }).click();
  await page.getByRole("button", { name: /核准付款/ }).click();
  await expect(page.locator("h1")).toHaveText("付款成功");
  const receiptNumber = (await page.locator(".reference").textContent())!.split("：")[1]!;

  const [unpaid] = unpaidDemoBills("labor-fine", 7, 1);
  await lookUp(page, "labor-fine", unpaid!);
  const slipHref = (await page
    .locator("article.bill-card", { hasText: unpaid! })
    .getByRole("link", { name: "補印超商繳費單" })
    .getAttribute("href"))!;

  const receiptUrl = `/receipts/${receiptNumber}/pdf`;
  const slipUrl = `${slipHref}.pdf`;
  expect(await pdfStart(page, receiptUrl)).toEqual({ lang: "zh-TW", h1: "繳費證明" });
  expect(await pdfStart(page, slipUrl)).toEqual({ lang: "zh-TW", h1: "補印繳費單" });

  await page.getByRole("button", { name: "English" }).click();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  expect(await pdfStart(page, receiptUrl)).toEqual({ lang: "en", h1: "Payment receipt" });
  expect(await pdfStart(page, slipUrl)).toEqual({ lang: "en", h1: "Reprinted payment slip" });
});
