import { createHmac } from "node:crypto";
import { isEmailKind, normalizeEmailAddress, type EmailKind } from "~/domain/email";
import type { Env } from "~/base/env.server";
import { safeEqual, shortSignature } from "~/base/signatures.server";

/**
 * Unsubscribe links (取消訂閱): one per kind of mail and address, signed, so
 * a link stops only the kind it came with and cannot be forged for another
 * address. The address itself is never in the link: its keyed digest is.
 */
type TokenEnv = Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY">;

/** The keyed digest (PII_HMAC_KEY) an address is known by in opt-outs and links. */
export function addressDigest(env: Pick<Env, "PII_HMAC_KEY">, address: string): string {
  return createHmac("sha256", env.PII_HMAC_KEY)
    .update(`email|${normalizeEmailAddress(address)}`)
    .digest("hex");
}

const signatureOf = (env: Pick<Env, "PII_HMAC_KEY">, kind: EmailKind, digest: string) =>
  shortSignature(env.PII_HMAC_KEY, "unsubscribe", kind, digest);

export function unsubscribeUrl(env: TokenEnv, kind: EmailKind, address: string): string {
  const digest = addressDigest(env, address);
  return `${env.PUBLIC_URL}/email/unsubscribe?${new URLSearchParams({ kind, a: digest, s: signatureOf(env, kind, digest) })}`;
}

/** The kind and address digest of a genuine link's query; null for anything else. */
export function readUnsubscribeLink(env: Pick<Env, "PII_HMAC_KEY">, query: URLSearchParams): { kind: EmailKind; digest: string } | null {
  const kind = query.get("kind");
  const digest = query.get("a") ?? "";
  const signature = query.get("s") ?? "";
  if (!isEmailKind(kind) || !/^[0-9a-f]{64}$/.test(digest)) return null;
  return safeEqual(signature, signatureOf(env, kind, digest)) ? { kind, digest } : null;
}
