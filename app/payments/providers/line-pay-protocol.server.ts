import { createHmac } from "node:crypto";
import { safeEqual } from "~/base/signatures.server";

/**
 * LINE Pay Online API v3 protocol rules, shared by the adapter and the
 * sandbox: the request signature and reading answers whose 19-digit
 * transaction ids do not fit a JavaScript number.
 */

/** Base64(HMAC-SHA256(channelSecret, channelSecret + path + payload + nonce)). */
export function linePaySignature(channelSecret: string, path: string, payload: string, nonce: string): string {
  return createHmac("sha256", channelSecret)
    .update(channelSecret + path + payload + nonce)
    .digest("base64");
}

export function verifyLinePaySignature(channelSecret: string, path: string, payload: string, nonce: string, given: string): boolean {
  return safeEqual(given, linePaySignature(channelSecret, path, payload, nonce));
}

/**
 * JSON.parse, with transaction ids kept as strings: LINE Pay sends them as
 * 19-digit numbers, which JSON.parse would silently round.
 */
export function parseLinePayJson<T = unknown>(text: string): T {
  return JSON.parse(text.replace(/"(transactionId|refundTransactionId)"\s*:\s*(\d+)/g, '"$1":"$2"')) as T;
}

/** Writes a transaction id back as a bare JSON number, as LINE Pay does. */
export function stringifyLinePayJson(value: unknown): string {
  return JSON.stringify(value).replace(/"(transactionId|refundTransactionId)":"(\d+)"/g, '"$1":$2');
}

/** Return codes of `GET /v3/payments/requests/{transactionId}/check`. */
export const LINE_PAY_CHECK = {
  waiting: "0000",
  authorized: "0110",
  cancelledOrExpired: "0121",
  failed: "0122",
  completed: "0123",
} as const;
