import { BinaryBitmap, Code39Reader, HybridBinarizer, QRCodeReader, RGBLuminanceSource, type LuminanceSource } from "@zxing/library";
import type { FrameReads } from "~/domain/scan";

/**
 * Reading barcodes out of one image (a camera frame or a photo) with
 * @zxing/library. ZXing reads one barcode per pass, and a bill has three
 * stacked: the frame is cut into overlapping horizontal bands and each band
 * is read on its own. Runs in the browser and, for tests, in Node.
 *
 * The readers are used directly, not through MultiFormatReader (which warns on
 * every miss and is about twice as slow), and without ASSUME_CODE_39_CHECK_DIGIT
 * (its mere presence among the hints turns the check on).
 */

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA bytes, as in ImageData. */
  data: Uint8ClampedArray | Uint8Array;
}

export interface DecodeOptions {
  /** Horizontal bands, each overlapping its neighbours by half. */
  bands?: number;
  /** Also look for a QR code in the whole image. */
  qr?: boolean;
}

/** Luminance of each pixel, 0–255 (BT.601 weights, integer arithmetic). */
function toLuminance(image: RgbaImage): Uint8ClampedArray {
  const { width, height, data } = image;
  const out = new Uint8ClampedArray(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += 4) {
    out[i] = (data[p]! * 77 + data[p + 1]! * 150 + data[p + 2]! * 29) >> 8;
  }
  return out;
}

const code39 = new Code39Reader();
const qrReader = new QRCodeReader();

function read(reader: { decode(image: BinaryBitmap): { getText(): string } }, source: LuminanceSource): string | null {
  try {
    return reader.decode(new BinaryBitmap(new HybridBinarizer(source))).getText();
  } catch {
    // NotFound, Checksum and Format exceptions all mean "nothing readable here".
    return null;
  }
}

export function decodeImage(image: RgbaImage, options: DecodeOptions = {}): FrameReads {
  const bands = options.bands ?? 6;
  const whole = new RGBLuminanceSource(toLuminance(image), image.width, image.height);
  const code39Reads = new Set<string>();
  const step = image.height / (bands + 1);
  const bandHeight = Math.min(image.height, Math.ceil(step * 2));
  for (let band = 0; band < bands; band++) {
    const top = Math.min(Math.floor(band * step), image.height - bandHeight);
    const text = read(code39, whole.crop(0, top, image.width, bandHeight));
    if (text) code39Reads.add(text);
  }
  const qr = options.qr === false ? null : read(qrReader, whole);
  return { code39: [...code39Reads], qr: qr ? [qr] : [] };
}
