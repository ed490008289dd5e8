import bwipjs from "bwip-js/node";
import { PNG } from "pngjs";
import QRCode from "qrcode";

/**
 * Synthetic bill images for the scanner's tests: barcodes drawn by bwip-js,
 * QR codes by qrcode, composed on a white page, and the ways a phone camera
 * spoils them (tilt, blur, dim light). Also the .y4m video Chromium's fake
 * camera plays.
 */

export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

function readPng(buffer: Buffer): RgbaImage {
  const image = PNG.sync.read(buffer);
  return { width: image.width, height: image.height, data: image.data };
}

export function writePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png);
}

export async function code39Image(text: string, scale = 2): Promise<RgbaImage> {
  return readPng(
    await bwipjs.toBuffer({
      bcid: "code39",
      text,
      scale,
      height: 10,
      includetext: true,
      textxalign: "center",
      paddingwidth: 10,
      paddingheight: 6,
      backgroundcolor: "FFFFFF",
    }),
  );
}

export async function qrImage(text: string, width = 400): Promise<RgbaImage> {
  return readPng(await QRCode.toBuffer(text, { errorCorrectionLevel: "M", width, margin: 4 }));
}

/** Images stacked top to bottom on a white page, centred, with a gap between. */
export function stack(images: RgbaImage[], width: number, height: number, gap = 40): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const total = images.reduce((sum, image) => sum + image.height, 0) + gap * (images.length - 1);
  let y = Math.floor((height - total) / 2);
  for (const image of images) {
    const x0 = Math.floor((width - image.width) / 2);
    for (let row = 0; row < image.height; row++) {
      const from = row * image.width * 4;
      data.set(image.data.subarray(from, from + image.width * 4), ((y + row) * width + x0) * 4);
    }
    y += image.height + gap;
  }
  return { width, height, data };
}

/** The three barcodes of a bill, stacked as printed. */
export async function billImage(barcodes: readonly string[], width = 1280, height = 720): Promise<RgbaImage> {
  return stack(await Promise.all(barcodes.map((text) => code39Image(text))), width, height);
}

/** Rotated about the centre (nearest neighbour), white where nothing maps. */
export function rotate(image: RgbaImage, degrees: number): RgbaImage {
  const { width, height } = image;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const a = (degrees * Math.PI) / 180;
  const [cos, sin, cx, cy] = [Math.cos(a), Math.sin(a), width / 2, height / 2];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = Math.round(cos * (x - cx) + sin * (y - cy) + cx);
      const sy = Math.round(-sin * (x - cx) + cos * (y - cy) + cy);
      if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
      data.set(image.data.subarray((sy * width + sx) * 4, (sy * width + sx) * 4 + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/** A box blur of the given radius: an out-of-focus phone camera. */
export function blur(image: RgbaImage, radius: number): RgbaImage {
  const { width, height } = image;
  const data = new Uint8ClampedArray(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = -radius; dy <= radius; dy++) {
          for (let dx = -radius; dx <= radius; dx++) {
            const yy = Math.min(height - 1, Math.max(0, y + dy));
            const xx = Math.min(width - 1, Math.max(0, x + dx));
            sum += image.data[(yy * width + xx) * 4 + c]!;
            n++;
          }
        }
        data[(y * width + x) * 4 + c] = sum / n;
      }
      data[(y * width + x) * 4 + 3] = 255;
    }
  }
  return { width, height, data };
}

/** Black and white squeezed into a narrow grey range: a faint print under dim light. */
export function lowContrast(image: RgbaImage, low: number, high: number): RgbaImage {
  const data = new Uint8ClampedArray(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : low + ((high - low) * image.data[i]!) / 255;
  return { ...image, data };
}

/**
 * A YUV4MPEG2 video (4:2:0, full-range BT.601, as ffmpeg's yuv420p/C420jpeg)
 * of the given frames, for `--use-file-for-fake-video-capture`. Chromium
 * loops it. Width and height must be even.
 */
export function y4m(frames: RgbaImage[], fps = 30): Buffer {
  const { width, height } = frames[0]!;
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n`);
  const chunks: Buffer[] = [header];
  for (const frame of frames) {
    const y = Buffer.alloc(width * height);
    const u = Buffer.alloc((width / 2) * (height / 2));
    const v = Buffer.alloc((width / 2) * (height / 2));
    const px = (x: number, row: number) => {
      const p = (row * width + x) * 4;
      return [frame.data[p]!, frame.data[p + 1]!, frame.data[p + 2]!] as const;
    };
    for (let row = 0; row < height; row++) {
      for (let x = 0; x < width; x++) {
        const [r, g, b] = px(x, row);
        y[row * width + x] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      }
    }
    for (let row = 0; row < height; row += 2) {
      for (let x = 0; x < width; x += 2) {
        let cb = 0;
        let cr = 0;
        for (const [dx, dy] of [
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
        ] as const) {
          const [r, g, b] = px(x + dx, row + dy);
          cb += -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
          cr += 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
        }
        const i = (row / 2) * (width / 2) + x / 2;
        u[i] = Math.max(0, Math.min(255, Math.round(cb / 4)));
        v[i] = Math.max(0, Math.min(255, Math.round(cr / 4)));
      }
    }
    chunks.push(Buffer.from("FRAME\n"), y, u, v);
  }
  return Buffer.concat(chunks);
}
