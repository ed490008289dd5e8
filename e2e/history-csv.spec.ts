import { parse } from "csv-parse/sync";
import { unpaidDemoBills } from "./support/demo-bills";
import { expect, test } from "./support/fixtures";
import { loginAtProvider } from "./support/members";
import { checkout, payWithLinePay } from "./support/payments";

/**
 * The member's history CSV as the server sends it: one Cache-Control header
 * (not the route's and the member default both), and a file whose 16-digit
 * write-off numbers a spreadsheet keeps whole, with a sortable time beside the
 * display one.
 */
test("the history CSV has one Cache-Control header, identifiers a spreadsheet keeps as text, and ISO 8601 times", async ({ page }) => {
  await page.goto("/login?returnTo=%2Faccount%2Fpayments");
  await loginAtProvider(page, "member-b");
  await expect(page.locator("h1")).toHaveText("我的繳費紀錄");
  const [number] = unpaidDemoBills("water-bill", 20, 1);
  await checkout(page, "water-bill", [number!]);
  await payWithLinePay(page);

  for (const path of ["/account/payments.csv", "/account/payments", "/account"]) {
    const response = await page.request.get(path);
    expect(response.status(), path).toBe(200);
    const cacheControl = response.headersArray().filter((header) => header.name.toLowerCase() === "cache-control");
    expect(cacheControl, `Cache-Control headers of ${path}`).toEqual([expect.objectContaining({ value: "private, no-store" })]);
  }

  const csv = await (await page.request.get("/account/payments.csv")).body();
  // UTF-8 with its byte-order mark, for Excel.
  expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const rows: Array<Record<string, string>> = parse(csv, { bom: true, columns: true });
  const row = rows.find((r) => r["銷帳編號"]!.includes(number!))!;
  expect(row["銷帳編號"]).toBe(`="${number}"`);
  expect(row["繳費證明編號"]).toMatch(/^="R\d{8}-[0-9A-Z]+"$/);
  expect(row["繳費時間（ISO 8601，臺灣時間）"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
  // The same moment as the display form beside it (民國 year, Taiwan time, to the minute).
  const iso = row["繳費時間（ISO 8601，臺灣時間）"]!;
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  expect(row["繳費時間"]).toBe(`民國${year! - 1911}年${month}月${day}日 ${iso.slice(11, 16)}`);
});
