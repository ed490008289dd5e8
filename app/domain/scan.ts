import { assembleConvenienceBill, likelyRole, normalizeBarcode, type BarcodeParse, type SegmentRole } from "./convenience-barcode";

/**
 * Turning a stream of camera reads into a bill. A frame yields at most a few
 * reads and some are misreads; a value counts once it has been read the same
 * way twice, and the bill is complete when three counted values check out
 * against each other.
 */

export interface FrameReads {
  code39: string[];
  qr: string[];
}

export interface ScanState {
  /** Which of the three barcodes have been read (as far as their shape tells). */
  captured: Record<SegmentRole, boolean>;
  /** Set once three counted values form a bill whose check code holds. */
  bill: BarcodeParse | null;
  /** A QR code read twice the same way. */
  qrText: string | null;
}

export class ScanAccumulator {
  private readonly counts = new Map<string, number>();
  private readonly accepted: string[] = [];
  private acceptedQr: string | null = null;

  constructor(
    private readonly today: string,
    /** Identical reads needed before a value counts (1 for a still photo). */
    private readonly requiredReads = 2,
  ) {}

  add(reads: FrameReads): ScanState {
    for (const raw of reads.code39) {
      const value = normalizeBarcode(raw);
      if (value === "" || this.accepted.includes(value)) continue;
      if (this.count(`1d:${value}`) >= this.requiredReads) this.accepted.push(value);
    }
    for (const text of reads.qr) {
      if (this.acceptedQr === null && this.count(`qr:${text}`) >= this.requiredReads) this.acceptedQr = text;
    }
    return this.state();
  }

  state(): ScanState {
    const bill = assembleConvenienceBill(this.accepted, this.today);
    const captured: Record<SegmentRole, boolean> = { 1: false, 2: false, 3: false };
    if (bill) {
      captured[1] = captured[2] = captured[3] = true;
    } else {
      for (const value of this.accepted) {
        const role = likelyRole(value);
        if (role) captured[role] = true;
      }
    }
    return { captured, bill, qrText: this.acceptedQr };
  }

  private count(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n;
  }
}

/**
 * The path of a QR code's link when it is one of this portal's bill links
 * (`/q?…` on the official origin), else null: a QR code pointing anywhere else
 * is never opened for the resident, it may be a fraud.
 */
export function portalBillLinkPath(text: string, officialOrigin: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return url.origin === officialOrigin && url.pathname === "/q" ? `${url.pathname}${url.search}` : null;
}
