import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The signature of write-off notices sent to agencies:
 *   X-Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * The timestamp lets receivers refuse old replays (we suggest 5 minutes).
 */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(header.split(",").map((part) => part.split("=", 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds || !parts.v1) return false;
  const expected = Buffer.from(signWebhook(secret, body, timestamp).split("v1=")[1]!);
  const given = Buffer.from(parts.v1);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Requests the portal makes to outside bill sources (the water and power
 * companies, the parking system):
 *   X-Portal-Key-Id: <key id>
 *   X-Portal-Timestamp: <unix seconds>
 *   X-Portal-Signature: <hex HMAC-SHA256(secret, "<timestamp>\n<METHOD>\n<path>\n<body>")>
 */
export function signRequest(secret: string, request: { method: string; path: string; body: string }, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}\n${request.method}\n${request.path}\n${request.body}`).digest("hex");
}

export function verifyRequest(
  secret: string,
  request: { method: string; path: string; body: string; timestamp: string; signature: string },
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(request.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signRequest(secret, request, timestamp));
  const given = Buffer.from(request.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
