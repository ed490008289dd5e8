import jpeg from "jpeg-js";
import { composeConvenienceBarcodes } from "../../app/domain/convenience-barcode";
import { seededRandom } from "../../app/demo/data/generate";
import { blur, code39Image, lowContrast, qrImage, rotate, stack, type RgbaImage } from "./images";

/**
 * Bills as a phone camera sees them, for the scanner's tests and benchmark:
 * barcodes drawn by two encoders (bwip-js, and the Code 39 drawer below, with
 * other bar-width ratios, narrow bars and quiet zones), then spoilt as phone
 * pictures are: out of focus, sensor noise, tilted, seen at an angle, dim,
 * unevenly lit, JPEG-compressed. Deterministic: every run makes the same
 * frames. None of these is the bill the e2e tests scan.
 */

// Code 39 as ZXing's reader tables it: 9 elements (bar, space, …), a 1 bit is a wide one.
const CODE39_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%";
const CODE39_PATTERNS = [
  0x034, 0x121, 0x061, 0x160, 0x031, 0x130, 0x070, 0x025, 0x124, 0x064, 0x109, 0x049, 0x148, 0x019, 0x118, 0x058, 0x00d, 0x10c, 0x04c,
  0x01c, 0x103, 0x043, 0x142, 0x013, 0x112, 0x052, 0x007, 0x106, 0x046, 0x016, 0x181, 0x0c1, 0x1c0, 0x091, 0x190, 0x0d0, 0x085, 0x184,
  0x0c4, 0x0a8, 0x0a2, 0x08a, 0x02a,
];
const CODE39_ASTERISK = 0x094;

interface Code39Drawing {
  /** Narrow bar width in pixels (may be fractional: bars are anti-aliased). */
  narrow: number;
  /** Wide bar width as a multiple of the narrow (Code 39 allows 2 to 3). */
  ratio: number;
  /** White margin left and right, in narrow bars (the specification asks for 10). */
  quietZone: number;
  height: number;
}

/** A Code 39 barcode drawn without bwip-js: fractional widths, grey anti-aliased edges, no text. */
function drawCode39(text: string, { narrow, ratio, quietZone, height }: Code39Drawing): RgbaImage {
  const patterns = [CODE39_ASTERISK, ...[...text].map((char) => CODE39_PATTERNS[CODE39_ALPHABET.indexOf(char)]!), CODE39_ASTERISK];
  // Edges of the bars along x, in pixels.
  const bars: [number, number][] = [];
  let x = quietZone * narrow;
  for (const pattern of patterns) {
    for (let element = 0; element < 9; element++) {
      const width = (pattern >> (8 - element)) & 1 ? narrow * ratio : narrow;
      if (element % 2 === 0) bars.push([x, x + width]);
      x += width;
    }
    x += narrow; // the gap between characters
  }
  const width = Math.ceil(x - narrow + quietZone * narrow);
  const row = new Float64Array(width).fill(1);
  for (const [from, to] of bars) {
    for (let px = Math.floor(from); px < Math.ceil(to); px++) {
      row[px] = row[px]! - (Math.min(px + 1, to) - Math.max(px, from));
    }
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let px = 0; px < width; px++) {
      const value = Math.round(Math.max(0, row[px]!) * 255);
      data.set([value, value, value, 255], (y * width + px) * 4);
    }
  }
  return { width, height, data };
}

/** Gaussian sensor noise of the given standard deviation (seeded). */
export function noise(image: RgbaImage, sigma: number, seed: number): RgbaImage {
  const random = seededRandom(seed);
  const data = new Uint8ClampedArray(image.data);
  for (let p = 0; p < data.length; p += 4) {
    // Box–Muller; one value per pixel, the same on R, G and B (luminance noise).
    const n = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) * sigma;
    for (let c = 0; c < 3; c++) data[p + c] = data[p + c]! + n;
  }
  return { ...image, data };
}

/** Through a JPEG encoder and back at the given quality (1–100): blocks and ringing. */
function jpegArtefacts(image: RgbaImage, quality: number): RgbaImage {
  const encoded = jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data) }, quality);
  const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: true });
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}

/**
 * Seen at an angle: the top edge narrower than the bottom by `keystone` (a
 * share of the width), and the picture scaled by `scale` about the centre.
 * Bilinear sampling, white outside the page.
 */
function perspective(image: RgbaImage, keystone: number, scale = 1): RgbaImage {
  const { width, height } = image;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const [cx, cy] = [width / 2, height / 2];
  const sample = (x: number, y: number, c: number) => {
    const [x0, y0] = [Math.floor(x), Math.floor(y)];
    const [fx, fy] = [x - x0, y - y0];
    const at = (xx: number, yy: number) => image.data[(Math.min(height - 1, yy) * width + Math.min(width - 1, xx)) * 4 + c]!;
    return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
  };
  for (let y = 0; y < height; y++) {
    // Row y shows the source row sy, shrunk horizontally more towards the top.
    const sy = cy + (y - cy) / scale;
    const rowScale = scale * (1 - keystone * (1 - y / height));
    for (let x = 0; x < width; x++) {
      const sx = cx + (x - cx) / rowScale;
      if (sx < 0 || sy < 0 || sx > width - 1 || sy > height - 1) continue;
      for (let c = 0; c < 3; c++) data[(y * width + x) * 4 + c] = sample(sx, sy, c);
    }
  }
  return { width, height, data };
}

/** Light falling off from one side to the other: from full light to `darkest` (a share). */
function unevenLight(image: RgbaImage, darkest: number): RgbaImage {
  const data = new Uint8ClampedArray(image.data);
  for (let p = 0; p < data.length; p += 4) {
    const x = (p / 4) % image.width;
    const light = 1 - (1 - darkest) * (x / image.width);
    for (let c = 0; c < 3; c++) data[p + c] = data[p + c]! * light;
  }
  return { ...image, data };
}

export interface DistortedBill {
  name: string;
  /** The three barcodes printed on it. */
  barcodes: [string, string, string];
  /** A 1280×720 camera frame. */
  frame: RgbaImage;
}

/** A different bill for each picture: another biller's collection code, write-off number, amount. */
function barcodesFor(i: number): [string, string, string] {
  return composeConvenienceBarcodes({
    deadline: "2026-12-31",
    collectionItemCode: ["Q7K", "3ZA", "M20", "TX9", "0B4", "K8P", "W1W", "R5D", "H6E", "N2N", "ZZ3", "A9C"][i % 12]!,
    writeOffNumber: `${"ABCDEFGHJK"[i % 10]}${String(8_371_004_215 + i * 97_531).padStart(13, "0")}`.slice(0, 14 + (i % 3)),
    period: "1512",
    amount: 137 + i * 4_219,
  });
}

const bwip = (barcodes: readonly string[], scale = 2) => Promise.all(barcodes.map((text) => code39Image(text, scale)));
const drawn = (barcodes: readonly string[], drawing: Code39Drawing) => barcodes.map((text) => drawCode39(text, drawing));

const RECIPES: { name: string; make(barcodes: [string, string, string]): Promise<RgbaImage> }[] = [
  { name: "bwip-js, out of focus (3 px box blur twice)", make: async (b) => blur(blur(stack(await bwip(b), 1280, 720), 1), 1) },
  { name: "bwip-js, sensor noise σ 40", make: async (b) => noise(stack(await bwip(b), 1280, 720), 40, 1) },
  {
    name: "own encoder 2.2:1, narrow 2.5 px, 4-bar quiet zone, blurred",
    make: async (b) => blur(stack(drawn(b, { narrow: 2.5, ratio: 2.2, quietZone: 4, height: 60 }), 1280, 720, 30), 1),
  },
  {
    name: "own encoder 3:1, narrow 2 px, tilted 3°, noise σ 20",
    make: async (b) => noise(rotate(stack(drawn(b, { narrow: 2, ratio: 3, quietZone: 10, height: 70 }), 1280, 720), 3), 20, 2),
  },
  { name: "bwip-js, seen at an angle (keystone 18%)", make: async (b) => perspective(stack(await bwip(b), 1280, 720), 0.18, 1.1) },
  {
    name: "bwip-js, low contrast 110–165 under dim light, noise σ 8",
    make: async (b) => noise(lowContrast(stack(await bwip(b), 1280, 720), 110, 165), 8, 3),
  },
  { name: "bwip-js, JPEG quality 12", make: async (b) => jpegArtefacts(stack(await bwip(b), 1280, 720), 12) },
  {
    name: "own encoder 2.5:1, narrow 1.6 px (held far), light falling to 60%, JPEG 30",
    make: async (b) =>
      jpegArtefacts(unevenLight(stack(drawn(b, { narrow: 1.6, ratio: 2.5, quietZone: 8, height: 50 }), 1280, 720, 24), 0.6), 30),
  },
  {
    name: "bwip-js, everything a little: blur, tilt −2°, noise σ 15, JPEG 40",
    make: async (b) => jpegArtefacts(noise(rotate(blur(stack(await bwip(b), 1280, 720), 1), -2), 15, 4), 40),
  },
  {
    name: "own encoder 2.4:1, narrow 3.5 px, out of focus (5 px box blur)",
    make: async (b) => blur(stack(drawn(b, { narrow: 3.5, ratio: 2.4, quietZone: 10, height: 64 }), 1280, 720), 2),
  },
];

/** How many pictures the set has (the benchmark's camera runs one video each). */
export const DISTORTED_BILL_COUNT = RECIPES.length;

/** The benchmark's and the test's set of spoilt bill pictures. */
export function distortedBills(): Promise<DistortedBill[]> {
  return Promise.all(
    RECIPES.map(async (recipe, i) => {
      const barcodes = barcodesFor(i);
      return { name: recipe.name, barcodes, frame: await recipe.make(barcodes) };
    }),
  );
}

/** A small QR code (`size` px across) in a 1280×720 frame, out of focus: held at arm's length. */
export async function smallQrFrame(text: string, size = 160, blurRadius = 1): Promise<RgbaImage> {
  const frame = stack([await qrImage(text, size)], 1280, 720);
  return blurRadius > 0 ? blur(frame, blurRadius) : frame;
}
