import { ScanAccumulator, type ScanState } from "~/domain/scan";
import { decodeImage } from "./decode.client";

/**
 * The camera side of bill scanning, browser only and loaded only by the scan
 * page. Frames are grabbed and decoded on a timer (not every animation frame)
 * so the page stays responsive; each decode is recorded as a performance
 * measure `scan:decode-frame`, and `scan:camera-started` marks the first frame.
 */

export type CameraProblem = "unsupported" | "denied" | "no_camera" | "in_use" | "failed";

export class CameraError extends Error {
  constructor(readonly problem: CameraProblem) {
    super(problem);
  }
}

export interface CameraScanner {
  stop(): void;
  torchSupported: boolean;
  setTorch(on: boolean): Promise<void>;
}

export interface CameraScannerOptions {
  today: string;
  onState(state: ScanState): void;
  /** Pause between decodes. */
  intervalMs?: number;
  /** Frames wider than this are scaled down before decoding. */
  maxWidth?: number;
}

function problemOf(error: unknown): CameraProblem {
  const name = (error as { name?: string })?.name;
  if (name === "NotAllowedError" || name === "SecurityError") return "denied";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "no_camera";
  if (name === "NotReadableError" || name === "AbortError") return "in_use";
  return "failed";
}

export async function startCameraScanner(video: HTMLVideoElement, options: CameraScannerOptions): Promise<CameraScanner> {
  if (!navigator.mediaDevices?.getUserMedia) throw new CameraError("unsupported");
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      // The rear camera of a phone, at a resolution where barcode bars are several pixels wide.
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (error) {
    throw new CameraError(problemOf(error));
  }
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  await video.play().catch(() => undefined);

  const [track] = stream.getVideoTracks();
  const capabilities = (track?.getCapabilities?.() ?? {}) as MediaTrackCapabilities & { torch?: boolean };
  const accumulator = new ScanAccumulator(options.today);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true })!;
  const interval = options.intervalMs ?? 120;
  const maxWidth = options.maxWidth ?? 1280;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let started = false;
  let frames = 0;

  const tick = () => {
    if (stopped) return;
    if (video.videoWidth > 0) {
      if (!started) {
        started = true;
        performance.mark("scan:camera-started");
      }
      const scale = Math.min(1, maxWidth / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const frame = context.getImageData(0, 0, canvas.width, canvas.height);
      const begin = performance.now();
      // The same decoder as a photo's; the harder QR passes take turns, one a frame.
      const reads = decodeImage(frame, { qrEffort: frames++ });
      performance.measure("scan:decode-frame", { start: begin, end: performance.now() });
      options.onState(accumulator.add(reads));
    }
    if (!stopped) timer = setTimeout(tick, interval);
  };
  timer = setTimeout(tick, 0);

  return {
    torchSupported: capabilities.torch === true,
    async setTorch(on) {
      await track?.applyConstraints({ advanced: [{ torch: on } as MediaTrackConstraintSet] });
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      stream.getTracks().forEach((t) => t.stop());
      video.srcObject = null;
    },
  };
}

/** Reads a photo of a bill (a still: single reads count), at two scales if the first finds nothing. */
export async function scanPhoto(file: Blob, today: string): Promise<ScanState> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true })!;
  const accumulator = new ScanAccumulator(today, 1);
  let state = accumulator.state();
  for (const maxWidth of [2000, 1000]) {
    const scale = Math.min(1, maxWidth / bitmap.width);
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    state = accumulator.add(decodeImage(context.getImageData(0, 0, canvas.width, canvas.height), { qrEffort: "all" }));
    if (state.bill || state.qrText) break;
  }
  bitmap.close();
  return state;
}
