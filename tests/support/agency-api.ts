import { randomBytes, randomUUID } from "node:crypto";
import { newCredentialSecret, sealCredential } from "~/base/credentials.server";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { signAgencyCall } from "~/base/signatures.server";
import { AGENCY_API_BASE_PATH, AGENCY_API_HEADERS } from "~/domain/agency-api";

/** API keys and signed calls for tests: keys inserted as rows (the back office's issuing is another module's). */

export interface TestApiKey {
  id: string;
  secret: string;
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export async function insertApiKey(
  db: Database,
  env: Pick<Env, "BINDING_ENCRYPTION_KEY">,
  agency: string,
  state: { expiresAt?: Date | null; revokedAt?: Date | null } = {},
): Promise<TestApiKey> {
  const id = `${agency}.${[...randomBytes(16)].map((byte) => BASE32[byte % 32]).join("")}`;
  const secret = newCredentialSecret();
  await db.insert(schema.agencyApiKeys).values({
    id,
    agencyCode: agency,
    label: "test",
    secretSealed: sealCredential(env, `api-key:${id}`, secret),
    expiresAt: state.expiresAt ?? null,
    revokedAt: state.revokedAt ?? null,
  });
  return { id, secret };
}

export interface SigningOptions {
  timestamp?: number;
  nonce?: string;
  /** Signed over this path instead of the one sent (a changed path). */
  signedPath?: string;
  /** Signed over this body instead of the one sent (a changed body). */
  signedBody?: string;
  headers?: Record<string, string>;
}

/** A signed call as an agency's system makes it; `path` is under /api/agency/v1. */
export function signedRequest(
  origin: string,
  key: TestApiKey,
  method: string,
  path: string,
  body?: unknown,
  options: SigningOptions = {},
): Request {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomUUID().replaceAll("-", "");
  const pathWithQuery = `${AGENCY_API_BASE_PATH}${path}`;
  const signature = signAgencyCall(key.secret, {
    timestamp,
    nonce,
    method,
    pathWithQuery: options.signedPath ? `${AGENCY_API_BASE_PATH}${options.signedPath}` : pathWithQuery,
    body: options.signedBody ?? text,
  });
  return new Request(`${origin}${pathWithQuery}`, {
    method,
    headers: {
      ...(text ? { "Content-Type": "application/json" } : {}),
      [AGENCY_API_HEADERS.keyId]: key.id,
      [AGENCY_API_HEADERS.timestamp]: timestamp,
      [AGENCY_API_HEADERS.nonce]: nonce,
      [AGENCY_API_HEADERS.signature]: signature,
      ...options.headers,
    },
    body: text || undefined,
  });
}
