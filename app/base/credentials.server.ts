import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { Env } from "./env.server";

/**
 * Agencies' credentials kept at rest (API key secrets, webhook secrets). The
 * portal must hold them in clear to compute HMACs, so they are sealed with
 * AES-256-GCM under a key derived (HKDF, its own label) from the portal's
 * encryption key, and bound to their row by the associated data: a copy of
 * the table opens nothing, and a sealed value moved to another row fails.
 */

type CredentialEnv = Pick<Env, "BINDING_ENCRYPTION_KEY">;

const SEAL_VERSION = "c1";
const derivedKeys = new Map<string, Buffer>();

function sealingKey(env: CredentialEnv): Buffer {
  let key = derivedKeys.get(env.BINDING_ENCRYPTION_KEY);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", Buffer.from(env.BINDING_ENCRYPTION_KEY, "base64"), "", "agency-credentials", 32));
    derivedKeys.set(env.BINDING_ENCRYPTION_KEY, key);
  }
  return key;
}

/** A new secret to hand to an agency: 32 random bytes, base64url (43 characters). */
export function newCredentialSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** `binding` names the row the secret belongs to (e.g. "api-key:police.k7m2…"). */
export function sealCredential(env: CredentialEnv, binding: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(env), iv);
  cipher.setAAD(Buffer.from(binding));
  const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return `${SEAL_VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), data]).toString("base64")}`;
}

/** The secret sealed for `binding`; throws when the value was sealed for another row or under another key. */
export function openCredential(env: CredentialEnv, binding: string, sealed: string): string {
  const [version, payload] = sealed.split(".", 2);
  if (version !== SEAL_VERSION || !payload) throw new Error("unknown sealed credential version");
  const raw = Buffer.from(payload, "base64");
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(env), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(binding));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}
