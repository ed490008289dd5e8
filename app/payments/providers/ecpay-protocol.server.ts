import { createHash } from "node:crypto";
import { safeEqual } from "~/base/signatures.server";

/**
 * ECPay AIO (綠界全方位金流) protocol rules, shared by the adapter and the
 * sandbox gateway: the CheckMacValue signature (SHA-256, EncryptType=1; the
 * media-file download still signs with MD5) and the date format. shared/reference/payment-protocols.md has the recipe and
 * the official test vector.
 */

export type EcpayParams = Record<string, string>;

/** URL-encoding as .NET's HttpUtility.UrlEncode does it: space → "+", "~" and "'" encoded. */
function dotNetUrlEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+").replace(/~/g, "%7E").replace(/'/g, "%27");
}

/** SHA-256 for payments; ECPay's vendor host (the media file) checks MD5. */
type MacAlgorithm = "sha256" | "md5";

export function checkMacValue(params: EcpayParams, hashKey: string, hashIv: string, algorithm: MacAlgorithm = "sha256"): string {
  const names = Object.keys(params)
    .filter((name) => name !== "CheckMacValue")
    .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  const raw = `HashKey=${hashKey}&${names.map((name) => `${name}=${params[name]}`).join("&")}&HashIV=${hashIv}`;
  const encoded = dotNetUrlEncode(raw)
    .toLowerCase()
    .replace(/%2d/g, "-")
    .replace(/%5f/g, "_")
    .replace(/%2e/g, ".")
    .replace(/%21/g, "!")
    .replace(/%2a/g, "*")
    .replace(/%28/g, "(")
    .replace(/%29/g, ")");
  return createHash(algorithm).update(encoded).digest("hex").toUpperCase();
}

export function withCheckMacValue(params: EcpayParams, hashKey: string, hashIv: string, algorithm: MacAlgorithm = "sha256"): EcpayParams {
  return { ...params, CheckMacValue: checkMacValue(params, hashKey, hashIv, algorithm) };
}

/** True when the parameters carry their own valid CheckMacValue. */
export function verifyCheckMacValue(params: EcpayParams, hashKey: string, hashIv: string, algorithm: MacAlgorithm = "sha256"): boolean {
  return safeEqual((params.CheckMacValue ?? "").toUpperCase(), checkMacValue(params, hashKey, hashIv, algorithm));
}

/** "yyyy/MM/dd HH:mm:ss" in Taiwan time, as ECPay writes and expects dates. */
export function ecpayDate(moment: Date): string {
  const taipei = new Date(moment.getTime() + 8 * 3600_000).toISOString();
  return `${taipei.slice(0, 10).replaceAll("-", "/")} ${taipei.slice(11, 19)}`;
}

/** The moment of an ECPay date (Taiwan time). */
export function parseEcpayDate(value: string): Date | null {
  const match = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`);
}

/** Bodies ECPay answers with (`a=1&b=2`), and forms it posts. */
export function parseFormBody(body: string): EcpayParams {
  return Object.fromEntries(new URLSearchParams(body));
}
