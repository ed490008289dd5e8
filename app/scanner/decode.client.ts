import {
  BinaryBitmap,
  Code39Reader,
  GlobalHistogramBinarizer,
  HybridBinarizer,
  QRCodeReader,
  RGBLuminanceSource,
  type Binarizer,
  type LuminanceSource,
} from "@zxing/library";
import type { FrameReads } from "~/domain/scan";

/**
 * Reading barcodes out of one image (a camera frame or a photo) with
 * @zxing/library: the one decoder of the camera and the photo paths. Runs in
 * the browser and, for tests and the benchmark, in Node.
 *
 * ZXing reads one barcode per pass, and a bill has three stacked: the frame is
 * cut into overlapping horizontal bands and each band is read on its own.
 * Twelve bands, not six: with six, a band often holds two barcodes and reads
 * only one, and a blurred or noisy barcode gets too few scanlines (npm run
 * bench: 5 of the 10 distorted bills with six bands and no smoothing, all 10
 * with twelve on smoothed columns, in under 50 ms a frame).
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

export const DEFAULT_BANDS = 12;
/**
 * Code 39 bars are vertical: averaging each pixel with the 9 rows below it
 * takes out sensor noise and JPEG blocks without blurring a bar, and a bar
 * tilted by up to 5° moves less than a pixel over those rows.
 */
export const DEFAULT_SMOOTHING_ROWS = 10;

export interface DecodeOptions {
  /** Horizontal bands, each overlapping its neighbours by half (the benchmark compares counts). */
  bands?: number;
  /** Rows averaged down each column before reading Code 39 (1: none; the benchmark compares). */
  smoothingRows?: number;
  /** Also look for a QR code (default: yes). */
  qr?: boolean;
  /**
   * When the plain QR pass finds nothing, which of the harder passes to try:
   * a camera gives its frame number (one harder pass per frame, in turn, so a
   * frame stays cheap and a code held still meets them all within a second),
   * a photo "all".
   */
  qrEffort?: number | "all";
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

/** Each pixel the mean of `rows` pixels down its column (running sums: one pass). */
function smoothColumns(luminance: Uint8ClampedArray, width: number, height: number, rows: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(luminance.length);
  const sums = new Int32Array(width);
  for (let y = 0; y < rows - 1 && y < height; y++) {
    for (let x = 0; x < width; x++) sums[x] = sums[x]! + luminance[y * width + x]!;
  }
  for (let y = 0; y < height; y++) {
    const below = y + rows - 1;
    const count = Math.min(rows, height - y);
    for (let x = 0; x < width; x++) {
      if (below < height) sums[x] = sums[x]! + luminance[below * width + x]!;
      out[y * width + x] = sums[x]! / count;
      sums[x] = sums[x]! - luminance[y * width + x]!;
    }
  }
  return out;
}

interface Gray {
  luminance: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Half the size, each pixel the mean of four: halves the noise, and a blur's width in pixels. */
function halve({ luminance, width, height }: Gray): Gray {
  const [w, h] = [width >> 1, height >> 1];
  const out = new Uint8ClampedArray(w * h);
  for (let y = 0; y < h; y++) {
    const top = 2 * y * width;
    for (let x = 0; x < w; x++) {
      const p = top + 2 * x;
      out[y * w + x] = (luminance[p]! + luminance[p + 1]! + luminance[p + width]! + luminance[p + width + 1]! + 2) >> 2;
    }
  }
  return { luminance: out, width: w, height: h };
}

/** Unsharp mask against the four neighbours: edges softened by focus stand out again. */
function sharpen({ luminance, width, height }: Gray, amount: number): Gray {
  const out = new Uint8ClampedArray(luminance);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const around = (luminance[i - 1]! + luminance[i + 1]! + luminance[i - width]! + luminance[i + width]!) / 4;
      out[i] = luminance[i]! + amount * (luminance[i]! - around);
    }
  }
  return { luminance: out, width, height };
}

/** The middle of the frame (where the guide frame is) at twice the size, bilinear: modules of a small code get more pixels. */
function centreEnlarged({ luminance, width, height }: Gray): Gray {
  const [cw, ch] = [width >> 1, height >> 1];
  const [left, top] = [width >> 2, height >> 2];
  const [w, h] = [cw * 2, ch * 2];
  const out = new Uint8ClampedArray(w * h);
  for (let y = 0; y < h; y++) {
    const sy = top + (y - 0.5) / 2;
    const y0 = Math.max(0, Math.floor(sy));
    const fy = Math.max(0, sy - y0);
    for (let x = 0; x < w; x++) {
      const sx = left + (x - 0.5) / 2;
      const x0 = Math.max(0, Math.floor(sx));
      const fx = Math.max(0, sx - x0);
      const p = y0 * width + x0;
      const upper = luminance[p]! * (1 - fx) + luminance[p + 1]! * fx;
      const lower = luminance[p + width]! * (1 - fx) + luminance[p + width + 1]! * fx;
      out[y * w + x] = upper * (1 - fy) + lower * fy;
    }
  }
  return { luminance: out, width: w, height: h };
}

const code39 = new Code39Reader();
const qrReader = new QRCodeReader();

type Binarize = (source: LuminanceSource) => Binarizer;
const hybrid: Binarize = (source) => new HybridBinarizer(source);
const globalHistogram: Binarize = (source) => new GlobalHistogramBinarizer(source);

function read(reader: { decode(image: BinaryBitmap): { getText(): string } }, source: LuminanceSource, binarize = hybrid): string | null {
  try {
    return reader.decode(new BinaryBitmap(binarize(source))).getText();
  } catch {
    // NotFound, Checksum and Format exceptions all mean "nothing readable here".
    return null;
  }
}

const sourceOf = (gray: Gray) => new RGBLuminanceSource(gray.luminance, gray.width, gray.height);

/**
 * Harder QR passes, for a code that is small, out of focus or noisy (a bill at
 * arm's length), each cheap on its own: at half size with the edges sharpened
 * (halving averages out noise and narrows a blur, sharpening restores the
 * modules' edges: this one reads most such codes), at half size alone, and the
 * middle of the frame enlarged with a global threshold.
 */
const HARDER_QR_PASSES: ((whole: Gray) => string | null)[] = [
  (whole) => read(qrReader, sourceOf(sharpen(halve(whole), 1))),
  (whole) => read(qrReader, sourceOf(halve(whole))),
  (whole) => read(qrReader, sourceOf(centreEnlarged(whole)), globalHistogram),
];

function readQr(whole: Gray, effort: number | "all" | null): string | null {
  const plain = read(qrReader, sourceOf(whole));
  if (plain || effort === null) return plain;
  if (effort === "all") {
    for (const pass of HARDER_QR_PASSES) {
      const text = pass(whole);
      if (text) return text;
    }
    return null;
  }
  return HARDER_QR_PASSES[Math.abs(effort) % HARDER_QR_PASSES.length]!(whole);
}

export function decodeImage(image: RgbaImage, options: DecodeOptions = {}): FrameReads {
  const bands = options.bands ?? DEFAULT_BANDS;
  const { width, height } = image;
  const luminance = toLuminance(image);
  const rows = options.smoothingRows ?? DEFAULT_SMOOTHING_ROWS;
  const smoothed = new RGBLuminanceSource(rows > 1 ? smoothColumns(luminance, width, height, rows) : luminance, width, height);
  const code39Reads = new Set<string>();
  const step = height / (bands + 1);
  const bandHeight = Math.min(height, Math.ceil(step * 2));
  for (let band = 0; band < bands; band++) {
    const top = Math.min(Math.floor(band * step), height - bandHeight);
    const text = read(code39, smoothed.crop(0, top, width, bandHeight));
    if (text) code39Reads.add(text);
  }
  // A frame with barcodes in it is a bill being scanned by its barcodes: the harder QR passes
  // wait, and the camera looks for a QR code in every other such frame only.
  const effort = code39Reads.size > 0 ? null : (options.qrEffort ?? 0);
  const skipQr = options.qr === false || (code39Reads.size > 0 && typeof options.qrEffort === "number" && options.qrEffort % 2 === 1);
  const qr = skipQr ? null : readQr({ luminance, width, height }, effort);
  return { code39: [...code39Reads], qr: qr ? [qr] : [] };
}
