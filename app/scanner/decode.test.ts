import { describe, expect, it } from "vitest";
import { composeConvenienceBarcodes } from "~/domain/convenience-barcode";
import { ScanAccumulator } from "~/domain/scan";
import { distortedBills, noise, smallQrFrame } from "../../tests/support/distorted-bills";
import { billImage, blur, code39Image, lowContrast, qrImage, rotate, stack, type RgbaImage } from "../../tests/support/images";
import { decodeImage } from "./decode.client";

/** Decoding generated bill images in Node, as the browser decodes camera frames. */

const TODAY = "2026-11-21";
const BARCODES = composeConvenienceBarcodes({
  deadline: "2026-12-31",
  collectionItemCode: "PT1",
  writeOffNumber: "GF11500019",
  period: "1511",
  amount: 6000,
});

async function billImageOf(): Promise<RgbaImage> {
  return billImage(BARCODES);
}

function scan(image: RgbaImage, frames = 1): ScanAccumulator {
  const accumulator = new ScanAccumulator(TODAY, frames === 1 ? 1 : 2);
  for (let i = 0; i < frames; i++) accumulator.add(decodeImage(image));
  return accumulator;
}

describe("decoding bill images", () => {
  it("reads a single Code 39 barcode", async () => {
    const single = stack([await code39Image(BARCODES[1])], 800, 300);
    expect(decodeImage(single).code39).toEqual(["GF11500019"]);
  });

  it("reads all three stacked barcodes of a bill from one frame", async () => {
    const reads = decodeImage(await billImageOf());
    expect(new Set(reads.code39)).toEqual(new Set(BARCODES));
    expect(scan(await billImageOf()).state().bill?.ok).toBe(true);
  });

  it("completes the bill after two frames, as the camera does", async () => {
    const accumulator = scan(await billImageOf(), 2);
    expect(accumulator.state().bill?.ok && accumulator.state().bill).toMatchObject({ bill: { amount: 6000 } });
  });

  it("reads a bill held upside down or slightly tilted", async () => {
    for (const degrees of [180, 4, -4]) {
      expect(scan(rotate(await billImageOf(), degrees)).state().bill?.ok, `${degrees}°`).toBe(true);
    }
  });

  it("reads a slightly blurred bill", async () => {
    expect(scan(blur(await billImageOf(), 1)).state().bill?.ok).toBe(true);
  });

  it("reads a low-contrast bill", async () => {
    expect(scan(lowContrast(await billImageOf(), 95, 165)).state().bill?.ok).toBe(true);
  });

  it("reads the QR code of a paper bill", async () => {
    const link = "https://pay.example.gov.tw/q?t=traffic-fine&n=GF11500019&e=1806508799&k=police-demo&s=_iOJX30kGV3lOM_rCdzVR6";
    expect(decodeImage(stack([await qrImage(link)], 1280, 720)).qr).toEqual([link]);
  });

  it("reads every bill of the distorted set (other encoders, blur, noise, angles, dim light, JPEG) from a camera held still", async () => {
    const bills = await distortedBills();
    expect(bills.length).toBeGreaterThanOrEqual(10);
    for (const bill of bills) {
      // A camera held still: the same picture frame after frame, each value needing two identical reads.
      const accumulator = new ScanAccumulator(TODAY, 2);
      for (let frame = 0; frame < 2; frame++) accumulator.add(decodeImage(bill.frame, { qrEffort: frame }));
      expect(accumulator.state().bill?.bill?.barcodes, bill.name).toEqual(bill.barcodes);
    }
  });

  it("reads a small QR code (160 px in a 720p frame) that is noisy or out of focus, on the camera and in a photo", async () => {
    const link = "https://pay.example.gov.tw/q?t=traffic-fine&n=GF11500019&e=1806508799&k=police-demo&s=_iOJX30kGV3lOM_rCdzVR6";
    const frames = {
      noisy: noise(await smallQrFrame(link, 160, 1), 20, 5),
      "very noisy": noise(await smallQrFrame(link, 160, 1), 30, 5),
      "out of focus": blur(await smallQrFrame(link, 160, 1), 1),
    };
    for (const [name, frame] of Object.entries(frames)) {
      expect(decodeImage(frame, { qrEffort: "all" }).qr, `${name}, photo`).toEqual([link]);
      // The camera takes the harder passes in turn: ten frames (about a second) meet each twice.
      const accumulator = new ScanAccumulator(TODAY, 2);
      for (let i = 0; i < 10; i++) accumulator.add(decodeImage(frame, { qrEffort: i }));
      expect(accumulator.state().qrText, `${name}, camera`).toBe(link);
    }
  });

  it("reads nothing from a blank page, and does not invent barcodes", async () => {
    const blank = { width: 640, height: 480, data: new Uint8ClampedArray(640 * 480 * 4).fill(255) };
    expect(decodeImage(blank)).toEqual({ code39: [], qr: [] });
  });
});
