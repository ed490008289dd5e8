import { describe, expect, it } from "vitest";
import { composeConvenienceBarcodes } from "./convenience-barcode";
import { ScanAccumulator, portalBillLinkPath } from "./scan";

const TODAY = "2026-11-21";
const [B1, B2, B3] = composeConvenienceBarcodes({
  deadline: "2026-12-31",
  collectionItemCode: "PT1",
  writeOffNumber: "GF11500019",
  period: "1511",
  amount: 6000,
});

describe("accumulating camera reads", () => {
  it("counts a value only after two identical reads", () => {
    const scan = new ScanAccumulator(TODAY);
    expect(scan.add({ code39: [B1], qr: [] }).captured).toEqual({ 1: false, 2: false, 3: false });
    expect(scan.add({ code39: [B1], qr: [] }).captured).toEqual({ 1: true, 2: false, 3: false });
  });

  it("completes the bill once all three barcodes are counted, whatever the order", () => {
    const scan = new ScanAccumulator(TODAY);
    scan.add({ code39: [B3, B2], qr: [] });
    scan.add({ code39: [B3, B1], qr: [] });
    const partial = scan.add({ code39: [B2], qr: [] });
    expect(partial.captured).toEqual({ 1: false, 2: true, 3: true });
    expect(partial.bill).toBeNull();
    const done = scan.add({ code39: [B1], qr: [] });
    expect(done.bill?.ok && done.bill.bill).toMatchObject({ writeOffNumber: "GF11500019", amount: 6000 });
  });

  it("is not fooled by a misread that appears once", () => {
    const misread = B3.slice(0, 10) + ((Number(B3[10]) + 3) % 10) + B3.slice(11);
    const scan = new ScanAccumulator(TODAY);
    scan.add({ code39: [misread, B1, B2], qr: [] });
    const state = scan.add({ code39: [B1, B2, B3], qr: [] });
    expect(state.bill).toBeNull();
    expect(scan.add({ code39: [B3], qr: [] }).bill?.ok).toBe(true);
  });

  it("accepts single reads from a still photo", () => {
    const photo = new ScanAccumulator(TODAY, 1);
    expect(photo.add({ code39: [B1, B2, B3], qr: [] }).bill?.ok).toBe(true);
  });

  it("reports a QR code read twice", () => {
    const scan = new ScanAccumulator(TODAY);
    expect(scan.add({ code39: [], qr: ["https://pay.example.gov.tw/q?t=x"] }).qrText).toBeNull();
    expect(scan.add({ code39: [], qr: ["https://pay.example.gov.tw/q?t=x"] }).qrText).toBe("https://pay.example.gov.tw/q?t=x");
  });
});

describe("QR codes on bills", () => {
  const official = "https://pay.example.gov.tw";

  it("opens only this portal's bill links", () => {
    expect(portalBillLinkPath(`${official}/q?t=traffic-fine&n=GF11500019`, official)).toBe("/q?t=traffic-fine&n=GF11500019");
  });

  it.each([
    "https://pay.example.gov.tw.evil.example/q?t=x",
    "http://pay.example.gov.tw/q?t=x",
    "https://pay.example.gov.tw/lookup",
    "javascript:alert(1)",
    "not a url",
  ])("refuses %s", (text) => {
    expect(portalBillLinkPath(text, official)).toBeNull();
  });
});
