import { describe, expect, it } from "vitest";
import { paymentSlipPdf } from "~/payments/payment-slip.server";
import { demoSlips } from "../support/documents";
import { findBarcodes } from "../support/barcodes";
import { renderPdfPage } from "../support/pdf";

/**
 * The reprinted slip's three Code 39 barcodes as a store's scanner meets
 * them: all drawn with the same narrow-bar (module) width and the same
 * height, so each is as long as its content makes it, and every one of them
 * reads back from a 72 dpi rendering, the coarsest a printed slip or a
 * screen shows.
 */

const slips = demoSlips();

describe("the reprinted slip's barcodes", () => {
  it.each(slips.map((slip) => [slip.bill.billTypeCode, slip] as const))("%s: all three read back at 72 dpi", async (_, slip) => {
    const pdf = await paymentSlipPdf(slip, "zh-TW");
    const found = findBarcodes(await renderPdfPage(pdf, 1, 72), 72);
    expect(found.map((barcode) => barcode.text)).toEqual(slip.barcodes);
  });

  it.each(slips.map((slip) => [slip.bill.billTypeCode, slip] as const))(
    "%s: one narrow-bar width and one height for all three",
    async (_, slip) => {
      // 2 pixels a point; the mean of a hundred narrow bars is good to a few hundredths of a point.
      const scale = 2;
      const found = findBarcodes(await renderPdfPage(await paymentSlipPdf(slip, "en"), 1, 72 * scale), 72 * scale);
      expect(found).toHaveLength(3);
      const narrow = found.map((barcode) => barcode.narrowBar / scale);
      const heights = found.map((barcode) => barcode.height / scale);
      for (const width of narrow)
        expect(Math.abs(width - narrow[0]!) / narrow[0]!, `narrow bars ${narrow.join(", ")} pt`).toBeLessThan(0.03);
      for (const height of heights) expect(Math.abs(height - heights[0]!), `heights ${heights.join(", ")} pt`).toBeLessThanOrEqual(0.5);
    },
  );
});
