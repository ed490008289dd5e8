import QRCode from "qrcode";
import { normalizeWriteOffNumber } from "~/domain/write-off-number";
import { safeEqual, shortSignature } from "~/base/signatures.server";

/**
 * Signed links printed as QR codes on paper bills (繳費單 QR Code). An agency
 * signs, with its own key, the bill type, the write-off number and an expiry;
 * the portal opens the bill without a captcha when the signature holds.
 *
 *   {PUBLIC_URL}/q?t={billType}&n={writeOffNumber}&e={expiresEpochSeconds}&k={keyId}&s={signature}
 *   signature = base64url(HMAC-SHA256(secret, "q1|keyId|billType|writeOffNumber|expires"))[0..22]
 *
 * docs/agency-bill-links.md describes this for agencies' own systems.
 */

export interface AgencyLinkKey {
  id: string;
  /** The agency whose bills this key may sign. */
  agency: string;
  secret: string;
}

export interface BillLinkTarget {
  billTypeCode: string;
  writeOffNumber: string;
  expiresAt: Date;
}

const VERSION = "q1";

function signature(key: AgencyLinkKey, billTypeCode: string, writeOffNumber: string, expires: string): string {
  return shortSignature(key.secret, VERSION, key.id, billTypeCode, writeOffNumber, expires);
}

/** The link to print on a bill. */
export function createBillLink(baseUrl: string, key: AgencyLinkKey, target: BillLinkTarget): string {
  const number = normalizeWriteOffNumber(target.writeOffNumber);
  const expires = String(Math.floor(target.expiresAt.getTime() / 1000));
  const query = new URLSearchParams({
    t: target.billTypeCode,
    n: number,
    e: expires,
    k: key.id,
    s: signature(key, target.billTypeCode, number, expires),
  });
  return `${baseUrl.replace(/\/+$/, "")}/q?${query}`;
}

export type BillLinkCheck =
  | { ok: true; billTypeCode: string; writeOffNumber: string; key: AgencyLinkKey }
  | { ok: false; reason: "incomplete" | "unknown_key" | "tampered" | "expired"; billTypeCode?: string; writeOffNumber?: string };

/** Checks a link's query: complete, signed by a known key, unchanged, not expired (in that order). */
export function verifyBillLink(
  query: URLSearchParams,
  findKey: (id: string) => AgencyLinkKey | undefined,
  now = new Date(),
): BillLinkCheck {
  const billTypeCode = query.get("t") ?? "";
  const rawNumber = query.get("n") ?? "";
  const expires = query.get("e") ?? "";
  const keyId = query.get("k") ?? "";
  const given = query.get("s") ?? "";
  const writeOffNumber = normalizeWriteOffNumber(rawNumber);
  const hints = {
    billTypeCode: /^[a-z][a-z0-9-]{1,39}$/.test(billTypeCode) ? billTypeCode : undefined,
    writeOffNumber: /^[0-9A-Z]{1,20}$/.test(writeOffNumber) ? writeOffNumber : undefined,
  };
  if (!hints.billTypeCode || !writeOffNumber || !/^\d{1,12}$/.test(expires) || !keyId || !given) {
    return { ok: false, reason: "incomplete", ...hints };
  }
  const key = findKey(keyId);
  if (!key) return { ok: false, reason: "unknown_key", ...hints };
  if (!safeEqual(given, signature(key, billTypeCode, writeOffNumber, expires))) {
    return { ok: false, reason: "tampered", ...hints };
  }
  if (Number(expires) * 1000 <= now.getTime()) return { ok: false, reason: "expired", ...hints };
  return { ok: true, billTypeCode, writeOffNumber, key };
}

/** The QR code of a link, as SVG text (for print layouts) or PNG bytes. */
export async function billLinkQr(url: string, format: "svg" | "png"): Promise<string | Buffer> {
  const options = { errorCorrectionLevel: "M" as const, margin: 4 };
  return format === "svg"
    ? QRCode.toString(url, { ...options, type: "svg" })
    : QRCode.toBuffer(url, { ...options, type: "png", width: 512 });
}

/** The keys the portal accepts: those configured (AGENCY_LINK_KEYS), by id. */
export function agencyLinkKeyFinder(configured: AgencyLinkKey[]) {
  const byId = new Map(configured.map((key) => [key.id, key]));
  return (id: string): AgencyLinkKey | undefined => byId.get(id);
}
