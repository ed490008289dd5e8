import { BinaryBitmap, Code39Reader, HybridBinarizer, RGBLuminanceSource } from "@zxing/library";
import type { RgbaImage } from "./images";

/**
 * Finding and reading the Code 39 barcodes of a rendered page, as a store's
 * scanner sees one barcode at a time (for vitest only: Playwright's loader
 * cannot import @zxing/library by name).
 */

export interface FoundBarcode {
  /** What @zxing's Code 39 reader reads from the band, or null. */
  text: string | null;
  /** Rows of the bars, in pixels. */
  top: number;
  height: number;
  /** Mean width of the narrow bars and spaces, in pixels. */
  narrowBar: number;
}

const code39Reader = new Code39Reader();

/**
 * The Code 39 barcodes of a rendered page, top to bottom, each read on its
 * own band as a store's scanner sees one barcode at a time. A barcode is a
 * run of identical rows with many dark-light transitions (a line of text is
 * never the same for many rows in a row).
 */
export function findBarcodes(image: RgbaImage, dpi: number): FoundBarcode[] {
  const { width, height, data } = image;
  // Lower than any barcode, higher than a line of text stays the same.
  const minHeight = (8 / 72) * dpi;
  const luminance = new Uint8ClampedArray(width * height);
  for (let i = 0; i < luminance.length; i++) luminance[i] = (data[i * 4]! * 77 + data[i * 4 + 1]! * 150 + data[i * 4 + 2]! * 29) >> 8;
  const dark = (x: number, y: number) => luminance[y * width + x]! < 128;
  const transitions = (y: number) => {
    let count = 0;
    for (let x = 1; x < width; x++) if (dark(x, y) !== dark(x - 1, y)) count++;
    return count;
  };
  const sameAsAbove = (y: number) => {
    let differ = 0;
    for (let x = 0; x < width; x++) if (dark(x, y) !== dark(x, y - 1)) differ++;
    return differ <= width * 0.01;
  };
  const bands: Array<{ top: number; height: number }> = [];
  let top = -1;
  for (let y = 0; y <= height; y++) {
    const continues = y < height && transitions(y) >= 30 && (top >= 0 ? sameAsAbove(y) : true);
    if (continues && top < 0) top = y;
    if (!continues && top >= 0) {
      if (y - top >= minHeight) bands.push({ top, height: y - top });
      top = y < height && transitions(y) >= 30 ? y : -1;
    }
  }
  const source = new RGBLuminanceSource(luminance, width, height);
  return bands.map((band) => {
    let text: string | null = null;
    try {
      text = code39Reader.decode(new BinaryBitmap(new HybridBinarizer(source.crop(0, band.top, width, band.height)))).getText();
    } catch {
      // Not readable: the test says which barcode.
    }
    const y = band.top + Math.floor(band.height / 2);
    const runs: number[] = [];
    const darkColumns = Array.from({ length: width }, (_, x) => x).filter((x) => dark(x, y));
    const [first, last] = [darkColumns[0]!, darkColumns.at(-1)!];
    let start = first;
    for (let x = first + 1; x <= last + 1; x++) {
      if (x > last || dark(x, y) !== dark(x - 1, y)) {
        runs.push(x - start);
        start = x;
      }
    }
    // Narrow and wide elements fall either side of the midpoint, however the edges were sampled.
    const midpoint = (Math.min(...runs) + Math.max(...runs)) / 2;
    const narrow = runs.filter((run) => run < midpoint);
    return { text, ...band, narrowBar: narrow.reduce((sum, run) => sum + run, 0) / narrow.length };
  });
}
