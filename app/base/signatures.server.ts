import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { canonicalRequest } from "~/domain/agency-api";

/**
 * Constant-time comparison of two strings' UTF-8 bytes: false, never an
 * exception, when their byte lengths differ (which they can even when their
 * character lengths are equal, e.g. "é" against "4").
 */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

/** base64url(HMAC-SHA256(secret, parts joined with "|")), first 22 characters: the portal's short signatures (captchas, QR links, receipts). */
export function shortSignature(secret: string, ...parts: string[]): string {
  return createHmac("sha256", secret).update(parts.join("|")).digest("base64url").slice(0, 22);
}

/**
 * The signature of write-off notices sent to agencies:
 *   X-Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…]
 * one `v1` per live secret, the newest first: during a rotation's overlap the
 * receiver may check with the old secret or the new one. The timestamp lets
 * receivers refuse old replays (we suggest 5 minutes).
 */
export function signWebhook(secrets: string | readonly string[], body: string, timestamp: number): string {
  const signatures = (typeof secrets === "string" ? [secrets] : secrets).map((secret) => `v1=${webhookMac(secret, body, timestamp)}`);
  return [`t=${timestamp}`, ...signatures].join(",");
}

function webhookMac(secret: string, body: string, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** A receiver's check: fresh, and one of the `v1`s made with (one of) its secret(s). */
export function verifyWebhook(
  secrets: string | readonly string[],
  body: string,
  header: string,
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const pairs = header.split(",").map((part): [string, string] => {
    const at = part.indexOf("=");
    return at < 0 ? ["", ""] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
  const timestamps = pairs.filter(([key]) => key === "t").map(([, value]) => value);
  const timestamp = Number(timestamps[0]);
  if (timestamps.length !== 1 || !/^\d+$/.test(timestamps[0] ?? "") || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const given = pairs.filter(([key, value]) => key === "v1" && value !== "").map(([, value]) => value);
  const expected = (typeof secrets === "string" ? [secrets] : secrets).map((secret) => webhookMac(secret, body, timestamp));
  // Every pair compared, so the time taken says nothing about which matched.
  let matched = false;
  for (const signature of given) for (const mac of expected) matched = safeEqual(signature, mac) || matched;
  return matched;
}

/**
 * Requests the portal makes to outside bill sources (the water and power
 * companies, the parking system):
 *   X-Portal-Key-Id: <key id>
 *   X-Portal-Timestamp: <unix seconds>
 *   X-Portal-Signature: <hex HMAC-SHA256(secret, "<timestamp>\n<METHOD>\n<path>\n<body>")>
 */
function signRequest(secret: string, request: { method: string; path: string; body: string }, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}\n${request.method}\n${request.path}\n${request.body}`).digest("hex");
}

/** A signed POST that could not be made or timed out: the caller names its outside system unavailable. */
export class SignedPostFailed extends Error {
  constructor(
    readonly reason: "timeout" | "network",
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * POSTs a JSON body to an outside system (a bill source, the e-counter),
 * signed as above, with a timeout and no redirects followed; the response
 * whatever its status.
 */
export async function signedJsonPost(
  endpoint: { url: string; keyId: string; secret: string },
  path: string,
  payload: unknown,
  timeoutMs: number,
  now = Date.now(),
): Promise<Response> {
  const url = new URL(`${endpoint.url.replace(/\/+$/, "")}/${path}`);
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(now / 1000);
  try {
    return await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-Portal-Key-Id": endpoint.keyId,
        "X-Portal-Timestamp": String(timestamp),
        "X-Portal-Signature": signRequest(endpoint.secret, { method: "POST", path: url.pathname, body }, timestamp),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new SignedPostFailed(timedOut ? "timeout" : "network", String(error));
  }
}

export function verifyRequest(
  secret: string,
  request: { method: string; path: string; body: string; timestamp: string; signature: string },
  now = Date.now(),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(request.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  return safeEqual(request.signature, signRequest(secret, request, timestamp));
}

/**
 * Calls agencies make to the agency API (docs/agency-api.md):
 *   X-Agency-Signature: <hex HMAC-SHA256(secret, canonicalRequest(…))>
 * over the timestamp, the nonce, the method, the path with its query and the
 * body's SHA-256, so no part of a call can be changed or replayed elsewhere.
 */
export function signAgencyCall(
  secret: string,
  call: { timestamp: string; nonce: string; method: string; pathWithQuery: string; body: string | Uint8Array },
): string {
  const bodySha256 = createHash("sha256").update(call.body).digest("hex");
  return createHmac("sha256", secret)
    .update(canonicalRequest({ ...call, bodySha256 }))
    .digest("hex");
}
