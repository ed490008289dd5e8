import { randomBytes } from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import { API_KEY_ID_PATTERN, DEFAULT_KEY_OVERLAP_DAYS, MAX_KEY_OVERLAP_DAYS } from "~/domain/agency-api";
import { KEY_ID_ALPHABET, apiKeyStatus, overlapEnd, type ApiKeyStatus } from "~/domain/agency-credentials";
import { newCredentialSecret, sealCredential } from "~/base/credentials.server";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { auditAdminChange, type AdminActor } from "./actor.server";
import { changeSettings } from "./changes.server";
import { parseOverlapDays } from "./webhook-receivers.server";

/**
 * Agencies' API keys (機關介接金鑰) over their life: issued (the secret shown
 * once, kept sealed under binding `api-key:<id>`), rotated (a new key; the old
 * one works until the overlap ends), revoked (at once). The agency API
 * (`app/agency-api/`) reads the rows to check signed calls; every change here
 * is announced (topic `api-keys`) so that a copy it keeps can be forgotten.
 */

type CredentialEnv = Pick<Env, "BINDING_ENCRYPTION_KEY">;

export const apiKeyBinding = (keyId: string) => `api-key:${keyId}`;

function newKeyId(agencyCode: string): string {
  const bytes = randomBytes(16);
  const id = `${agencyCode}.${[...bytes].map((byte) => KEY_ID_ALPHABET[byte % 32]).join("")}`;
  if (!API_KEY_ID_PATTERN.test(id)) throw new Error(`agency code ${agencyCode} cannot name an API key`);
  return id;
}

/** A key just made: the only time its secret is seen. */
export interface IssuedApiKey {
  keyId: string;
  secret: string;
}

const LABEL_MAX = 60;

/** A label of at most 60 characters (the database's bound); null when longer. */
export function parseKeyLabel(raw: FormDataEntryValue | null): string | null {
  const label = typeof raw === "string" ? raw.trim() : "";
  return [...label].length <= LABEL_MAX ? label : null;
}

export const parseKeyOverlap = (raw: FormDataEntryValue | null) => parseOverlapDays(raw, DEFAULT_KEY_OVERLAP_DAYS, MAX_KEY_OVERLAP_DAYS);

async function insertKey(tx: Database, env: CredentialEnv, actor: AdminActor, agencyCode: string, label: string, now: Date) {
  const keyId = newKeyId(agencyCode);
  const secret = newCredentialSecret();
  await tx.insert(schema.agencyApiKeys).values({
    id: keyId,
    agencyCode,
    label,
    secretSealed: sealCredential(env, apiKeyBinding(keyId), secret),
    createdAt: now,
    createdBy: actor.staffId,
  });
  return { keyId, secret };
}

export async function issueApiKey(
  db: Database,
  env: CredentialEnv,
  actor: AdminActor,
  agencyCode: string,
  label: string,
  now = new Date(),
): Promise<IssuedApiKey> {
  return changeSettings(db, "api-keys", async (tx) => {
    const issued = await insertKey(tx, env, actor, agencyCode, label, now);
    await auditAdminChange(tx, actor, {
      action: "api_key.issued",
      targetType: "agency",
      targetId: agencyCode,
      details: { keyId: issued.keyId, label },
    });
    return issued;
  });
}

export type KeyRefusal = "not_found" | "not_usable";

/**
 * A new key in place of `keyId` (same agency and label); the old key keeps
 * working for `overlapDays` (0: it stops now), or until its own earlier end.
 */
export async function rotateApiKey(
  db: Database,
  env: CredentialEnv,
  actor: AdminActor,
  agencyCode: string,
  keyId: string,
  overlapDays: number,
  now = new Date(),
): Promise<{ ok: true; issued: IssuedApiKey; oldKeyExpiresAt: Date } | { ok: false; refusal: KeyRefusal }> {
  return changeSettings(db, "api-keys", async (tx) => {
    const [old] = await tx
      .select()
      .from(schema.agencyApiKeys)
      .where(and(eq(schema.agencyApiKeys.id, keyId), eq(schema.agencyApiKeys.agencyCode, agencyCode)))
      .for("update");
    if (!old) return { ok: false as const, refusal: "not_found" as const };
    if (apiKeyStatus(old, now).state !== "active" && apiKeyStatus(old, now).state !== "overlap")
      return { ok: false as const, refusal: "not_usable" as const };
    const end = overlapEnd(now, overlapDays);
    const expiresAt = old.expiresAt && old.expiresAt.getTime() < end.getTime() ? old.expiresAt : end;
    await tx.update(schema.agencyApiKeys).set({ expiresAt }).where(eq(schema.agencyApiKeys.id, keyId));
    const issued = await insertKey(tx, env, actor, agencyCode, old.label, now);
    await auditAdminChange(tx, actor, {
      action: "api_key.rotated",
      targetType: "agency",
      targetId: agencyCode,
      details: {
        keyId: issued.keyId,
        replaces: keyId,
        before: { expiresAt: old.expiresAt?.toISOString() ?? null },
        after: { expiresAt: expiresAt.toISOString() },
      },
    });
    return { ok: true as const, issued, oldKeyExpiresAt: expiresAt };
  });
}

/** Stops a key at once; a key already revoked is left as it was. */
export async function revokeApiKey(
  db: Database,
  actor: AdminActor,
  agencyCode: string,
  keyId: string,
  now = new Date(),
): Promise<{ ok: true } | { ok: false; refusal: KeyRefusal }> {
  return changeSettings(db, "api-keys", async (tx) => {
    const revoked = await tx
      .update(schema.agencyApiKeys)
      .set({ revokedAt: now })
      .where(
        and(eq(schema.agencyApiKeys.id, keyId), eq(schema.agencyApiKeys.agencyCode, agencyCode), isNull(schema.agencyApiKeys.revokedAt)),
      )
      .returning({ expiresAt: schema.agencyApiKeys.expiresAt });
    if (revoked.length === 0) return { ok: false as const, refusal: "not_found" as const };
    await auditAdminChange(tx, actor, {
      action: "api_key.revoked",
      targetType: "agency",
      targetId: agencyCode,
      details: { keyId, before: { revokedAt: null }, after: { revokedAt: now.toISOString() } },
    });
    return { ok: true as const };
  });
}

export interface ApiKeyListing {
  id: string;
  label: string;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  status: { state: ApiKeyStatus["state"]; at: string | null };
}

/** An agency's keys, newest first, with their state at `now`; never a secret. */
export async function listApiKeys(db: Database, agencyCode: string, now = new Date()): Promise<ApiKeyListing[]> {
  const k = schema.agencyApiKeys;
  const rows = await db
    .select({
      id: k.id,
      label: k.label,
      createdAt: k.createdAt,
      createdBy: schema.staff.displayName,
      lastUsedAt: k.lastUsedAt,
      expiresAt: k.expiresAt,
      revokedAt: k.revokedAt,
    })
    .from(k)
    .leftJoin(schema.staff, eq(k.createdBy, schema.staff.id))
    .where(eq(k.agencyCode, agencyCode))
    .orderBy(desc(k.createdAt), desc(k.id));
  return rows.map((row) => {
    const status = apiKeyStatus(row, now);
    return {
      id: row.id,
      label: row.label,
      createdAt: row.createdAt.toISOString(),
      createdBy: row.createdBy,
      lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
      status: {
        state: status.state,
        at: status.state === "active" ? null : (status.state === "overlap" ? status.until : status.at).toISOString(),
      },
    };
  });
}
