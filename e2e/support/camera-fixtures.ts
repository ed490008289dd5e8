import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createBillLink } from "../../app/lookup/bill-links.server";
import { composeConvenienceBarcodes } from "../../app/domain/convenience-barcode";
import { addDays, taipeiDate } from "../../app/domain/dates";
import { DEMO_BILL_TYPES } from "../../app/demo/data/catalogue";
import { generateDemoData } from "../../app/demo/data/generate";
import { demoLinkKey } from "../../app/demo/keys";
import { billImage, blur, qrImage, stack, writePng, y4m } from "../../tests/support/images";

/** The generated camera videos and photos, in a (git-ignored) directory of each run's own. */
export function cameraFiles(directory: string) {
  return {
    directory,
    billVideo: path.join(directory, "bill-stacked.y4m"),
    billPhoto: path.join(directory, "bill-stacked.png"),
    qrVideo: path.join(directory, "bill-qr.y4m"),
    /** Another biller's bill (a collection code that is no bill type of the portal), due in 60 days. */
    otherBillerVideo: path.join(directory, "bill-other-biller.y4m"),
    /** A QR code far too small and blurred to read: the camera sees nothing it can use. */
    unreadableVideo: path.join(directory, "bill-unreadable.y4m"),
    /** Only the first two barcodes in view: scanning goes on (for measuring decode rates). */
    partialVideo: path.join(directory, "bill-partial.y4m"),
  };
}

/** The e2e run's files. */
export const CAMERA_FILES = cameraFiles(path.resolve("e2e/.artifacts"));

/** The bill the camera tests scan: the first demo traffic fine. */
export const SCANNED_BILL = { billType: "traffic-fine", writeOffNumber: "GF11500019" };

/** The bill of another biller that the camera reads (the iPASS slip of the reference, with a deadline to come). */
export const OTHER_BILLER_BILL = { collectionItemCode: "63E", writeOffNumber: "7106000000084700", amount: 300, period: "5437" };

export function otherBillerBarcodes(deadline = addDays(taipeiDate(), 60)): [string, string, string] {
  return composeConvenienceBarcodes({ deadline, ...OTHER_BILLER_BILL });
}

/**
 * The three barcodes printed on a demo bill, with the amount the seeded
 * database holds for it (the demo data is deterministic).
 */
export function demoBillBarcodes(billTypeCode: string, writeOffNumber: string): [string, string, string] {
  const today = taipeiDate();
  const bill = generateDemoData({ today }).bills.find((b) => b.billTypeCode === billTypeCode && b.writeOffNumber === writeOffNumber);
  const type = DEMO_BILL_TYPES.find((t) => t.code === billTypeCode);
  if (!bill || !type) throw new Error(`no demo bill ${billTypeCode} ${writeOffNumber}`);
  return composeConvenienceBarcodes({
    deadline: addDays(today, 60),
    collectionItemCode: type.collectionItemCode,
    writeOffNumber: bill.writeOffNumber,
    period: bill.period,
    amount: bill.amount,
  });
}

export async function writeCameraFixtures(baseUrl: string, files = CAMERA_FILES): Promise<void> {
  await mkdir(files.directory, { recursive: true });
  const barcodes = demoBillBarcodes(SCANNED_BILL.billType, SCANNED_BILL.writeOffNumber);
  const bill = await billImage(barcodes);
  const link = createBillLink(baseUrl, demoLinkKey("police"), {
    billTypeCode: SCANNED_BILL.billType,
    writeOffNumber: SCANNED_BILL.writeOffNumber,
    expiresAt: new Date(Date.now() + 365 * 86_400_000),
  });
  const qr = stack([await qrImage(link, 420)], 1280, 720);
  await Promise.all([
    writeFile(files.billVideo, y4m([bill])),
    writeFile(files.billPhoto, writePng(bill)),
    writeFile(files.qrVideo, y4m([qr])),
    writeFile(files.unreadableVideo, y4m([blur(stack([await qrImage(link, 90)], 1280, 720), 3)])),
    writeFile(files.otherBillerVideo, y4m([await billImage(otherBillerBarcodes())])),
    writeFile(files.partialVideo, y4m([await billImage(barcodes.slice(0, 2))])),
  ]);
}
