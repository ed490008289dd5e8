import type { Page } from "@playwright/test";
import { getDocument } from "pdfjs-dist/legacy/build/pdf.mjs";
import { expect, lookUp } from "./fixtures";

/**
 * Looks up each bill (as a resident does), then goes to checkout with the
 * unpaid ones this browser has found selected (bills paid earlier in the same
 * test stay listed, without a checkbox).
 */
export async function checkout(page: Page, billType: string, numbers: string[]) {
  for (const number of numbers) await lookUp(page, billType, number);
  for (const number of numbers) await expect(page.locator("article.bill-card", { hasText: number }).getByRole("checkbox")).toBeChecked();
  await expect(page.locator("article.bill-card").getByRole("checkbox")).toHaveCount(numbers.length);
  await page.getByRole("button", { name: "去繳費" }).click();
  await expect(page.locator("h1")).toHaveText("繳費");
}

/** Pays at checkout with LINE Pay, approving at the sandbox; returns the payment's reference. */
export async function payWithLinePay(page: Page) {
  await page.getByLabel("LINE Pay").check();
  await page.getByRole("button", { name: /^確認付款/ }).click();
  await page.getByRole("button", { name: /核准付款/ }).click();
  await expect(page.locator("h1")).toHaveText("付款成功");
  return (await page.locator(".reference").textContent())!.split("：")[1]!;
}

/** The text and links of a PDF's first page (or of the page asked for), and its number of pages. */
export async function pdfText(body: Buffer, pageNumber = 1): Promise<{ text: string; links: string[]; pages: number }> {
  const doc = await getDocument({ data: new Uint8Array(body), useSystemFonts: false }).promise;
  const page = await doc.getPage(pageNumber);
  const text = (await page.getTextContent()).items.map((item) => ("str" in item ? item.str : "")).join("");
  const links = (await page.getAnnotations()).flatMap((annotation: { url?: string }) => (annotation.url ? [annotation.url] : []));
  return { text, links, pages: doc.numPages };
}
