import { randomUUID } from "node:crypto";
import { and, desc, eq, gt, isNull, lt, or } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { DEFAULT_SECRET_OVERLAP_DAYS, MAX_SECRET_OVERLAP_DAYS, overlapEnd, secretLive } from "~/domain/agency-credentials";
import { newCredentialSecret, openCredential, sealCredential } from "~/base/credentials.server";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { signWebhook } from "~/base/signatures.server";
import { auditAdminChange, firstProblems, formValues, type AdminActor, type FormParse } from "./actor.server";
import { changeSettings, onSettingsChanged } from "./changes.server";

/**
 * Each agency's webhook receiver (one URL, enabled or not) and the secrets
 * its notices are signed with, kept in the database and managed in the back
 * office. A rotation keeps the older secret signing until `retires_at` (the
 * overlap the administrator chose): meanwhile every notice carries one
 * signature per live secret, so the agency switches when it likes.
 */

type CredentialEnv = Pick<Env, "BINDING_ENCRYPTION_KEY">;

const secretBinding = (id: string) => `webhook-secret:${id}`;

interface CachedReceiver {
  url: string;
  enabled: boolean;
  /** Newest first, opened. */
  secrets: Array<{ id: string; secret: string; retiresAt: Date | null }>;
}

/** Where an agency's notices go and the secrets that sign them now (newest first); null when it has none. */
export interface AgencyReceiver {
  agencyCode: string;
  url: string;
  enabled: boolean;
  secrets: string[];
}

// Read by the outbox on every run; kept a minute per database, forgotten on a change (changes.server.ts).
const RECEIVER_TTL_MS = 60_000;
const receiverCaches = new WeakMap<Database, LRUCache<string, CachedReceiver | "none">>();
onSettingsChanged("webhooks", (db) => receiverCaches.delete(db));

async function loadReceiver(db: Database, env: CredentialEnv, agencyCode: string): Promise<CachedReceiver | "none"> {
  const [endpoint] = await db.select().from(schema.agencyWebhookEndpoints).where(eq(schema.agencyWebhookEndpoints.agencyCode, agencyCode));
  if (!endpoint) return "none";
  const secrets = await db
    .select()
    .from(schema.agencyWebhookSecrets)
    .where(eq(schema.agencyWebhookSecrets.agencyCode, agencyCode))
    .orderBy(desc(schema.agencyWebhookSecrets.createdAt), desc(schema.agencyWebhookSecrets.id));
  return {
    url: endpoint.url,
    enabled: endpoint.enabled,
    // A secret that does not open (sealed under another key) signs nothing: the notice then waits, logged, instead of
    // failing the whole delivery run for every agency.
    secrets: secrets.flatMap((row) => {
      try {
        return [{ id: row.id, secret: openCredential(env, secretBinding(row.id), row.secretSealed), retiresAt: row.retiresAt }];
      } catch {
        return [];
      }
    }),
  };
}

export async function findReceiver(db: Database, env: CredentialEnv, agencyCode: string, now = new Date()): Promise<AgencyReceiver | null> {
  let cache = receiverCaches.get(db);
  if (!cache) {
    cache = new LRUCache<string, CachedReceiver | "none">({
      max: 500,
      ttl: RECEIVER_TTL_MS,
      fetchMethod: (code) => loadReceiver(db, env, code),
    });
    receiverCaches.set(db, cache);
  }
  const found = await cache.fetch(agencyCode);
  if (!found || found === "none") return null;
  return {
    agencyCode,
    url: found.url,
    enabled: found.enabled,
    secrets: found.secrets.filter((secret) => secretLive(secret, now)).map((secret) => secret.secret),
  };
}

/** What one call to a receiver gave: its status, or why there was none, and how long it took. */
export interface ReceiverAnswer {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

const RECEIVER_TIMEOUT_MS = 10_000;

/** POSTs a JSON body signed with every live secret; never throws. */
export async function postToReceiver(
  receiver: AgencyReceiver,
  body: string,
  headers: Record<string, string> = {},
): Promise<ReceiverAnswer> {
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  if (receiver.secrets.length === 0) {
    error = `no live webhook secret for agency ${receiver.agencyCode}`;
  } else {
    try {
      const response = await fetch(receiver.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          ...headers,
          // The real clock: the receiver checks the signature's freshness against its own.
          "X-Portal-Signature": signWebhook(receiver.secrets, body, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: AbortSignal.timeout(RECEIVER_TIMEOUT_MS),
      });
      statusCode = response.status;
      await response.body?.cancel();
      if (!response.ok) error = `HTTP ${response.status}`;
    } catch (failure) {
      error = (failure as Error).name === "TimeoutError" ? "no answer within 10 s" : String(failure);
    }
  }
  return { statusCode, error, durationMs: Math.round(performance.now() - started) };
}

// ——— The back office's view ———

export interface ReceiverSettings {
  url: string;
  enabled: boolean;
  updatedAt: string;
}

export interface WebhookSecretListing {
  id: string;
  createdAt: string;
  retiresAt: string | null;
  live: boolean;
}

export async function receiverSettings(
  db: Database,
  agencyCode: string,
  now = new Date(),
): Promise<{ receiver: ReceiverSettings | null; secrets: WebhookSecretListing[] }> {
  const [endpoint] = await db.select().from(schema.agencyWebhookEndpoints).where(eq(schema.agencyWebhookEndpoints.agencyCode, agencyCode));
  const secrets = await db
    .select({
      id: schema.agencyWebhookSecrets.id,
      createdAt: schema.agencyWebhookSecrets.createdAt,
      retiresAt: schema.agencyWebhookSecrets.retiresAt,
    })
    .from(schema.agencyWebhookSecrets)
    .where(eq(schema.agencyWebhookSecrets.agencyCode, agencyCode))
    .orderBy(desc(schema.agencyWebhookSecrets.createdAt));
  return {
    receiver: endpoint ? { url: endpoint.url, enabled: endpoint.enabled, updatedAt: endpoint.updatedAt.toISOString() } : null,
    secrets: secrets.map((row) => ({
      id: row.id,
      createdAt: row.createdAt.toISOString(),
      retiresAt: row.retiresAt?.toISOString() ?? null,
      live: secretLive(row, now),
    })),
  };
}

const RECEIVER_FIELDS = ["url", "enabled"] as const;
export type ReceiverField = (typeof RECEIVER_FIELDS)[number];
/** Keys under `integrations.errors`. */
export type IntegrationProblem = "urlRequired" | "urlInvalid" | "urlTooLong" | "overlapInvalid" | "labelTooLong" | "receiverMissing";

export function parseReceiverForm(form: FormData): FormParse<ReceiverField, IntegrationProblem, { url: string; enabled: boolean }> {
  const values = formValues(form, RECEIVER_FIELDS);
  const result = z
    .object({
      url: z
        .string()
        .trim()
        .min(1, "urlRequired")
        .max(500, "urlTooLong")
        .refine((value) => {
          try {
            const url = new URL(value);
            return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "";
          } catch {
            return false;
          }
        }, "urlInvalid"),
      enabled: z.string().transform((value) => value === "on" || value === "true"),
    })
    .safeParse(values);
  return result.success
    ? { ok: true, input: result.data, values }
    : { ok: false, errors: firstProblems<ReceiverField, IntegrationProblem>(result.error.issues), values };
}

/** An overlap in whole days, 0 to `max`; empty: the default. */
export function parseOverlapDays(raw: FormDataEntryValue | null, fallback: number, max: number): number | null {
  const text = typeof raw === "string" ? raw.trim() : "";
  if (text === "") return fallback;
  if (!/^\d{1,3}$/.test(text)) return null;
  const days = Number(text);
  return days <= max ? days : null;
}

export const parseSecretOverlap = (raw: FormDataEntryValue | null) =>
  parseOverlapDays(raw, DEFAULT_SECRET_OVERLAP_DAYS, MAX_SECRET_OVERLAP_DAYS);

/** Sets an agency's receiver (creating it, or changing its URL or whether it is enabled); audited with before and after. */
export async function saveReceiver(
  db: Database,
  actor: AdminActor,
  agencyCode: string,
  input: { url: string; enabled: boolean },
): Promise<void> {
  await changeSettings(db, "webhooks", async (tx) => {
    const [before] = await tx
      .select({ url: schema.agencyWebhookEndpoints.url, enabled: schema.agencyWebhookEndpoints.enabled })
      .from(schema.agencyWebhookEndpoints)
      .where(eq(schema.agencyWebhookEndpoints.agencyCode, agencyCode))
      .for("update");
    const now = new Date();
    await tx
      .insert(schema.agencyWebhookEndpoints)
      .values({ agencyCode, url: input.url, enabled: input.enabled, updatedAt: now, updatedBy: actor.staffId })
      .onConflictDoUpdate({
        target: schema.agencyWebhookEndpoints.agencyCode,
        set: { url: input.url, enabled: input.enabled, updatedAt: now, updatedBy: actor.staffId },
      });
    await auditAdminChange(tx, actor, {
      action: "webhook_receiver.saved",
      targetType: "agency",
      targetId: agencyCode,
      details: { before: before ?? null, after: input },
    });
  });
}

/**
 * A new secret for an agency's notices, shown once. The secrets that were
 * signing keep signing for `overlapDays` (0: they stop now).
 */
export async function rotateWebhookSecret(
  db: Database,
  env: CredentialEnv,
  actor: AdminActor,
  agencyCode: string,
  overlapDays: number,
  now = new Date(),
): Promise<{ secretId: string; secret: string }> {
  const id = randomUUID();
  const secret = newCredentialSecret();
  const retiresAt = overlapEnd(now, overlapDays);
  await changeSettings(db, "webhooks", async (tx) => {
    // Whatever signs now stops by the new end (an earlier rotation's later end is brought forward too).
    const retired = await tx
      .update(schema.agencyWebhookSecrets)
      .set({ retiresAt })
      .where(
        and(
          eq(schema.agencyWebhookSecrets.agencyCode, agencyCode),
          or(isNull(schema.agencyWebhookSecrets.retiresAt), gt(schema.agencyWebhookSecrets.retiresAt, retiresAt)),
        ),
      )
      .returning({ id: schema.agencyWebhookSecrets.id });
    await tx.insert(schema.agencyWebhookSecrets).values({
      id,
      agencyCode,
      secretSealed: sealCredential(env, secretBinding(id), secret),
      createdAt: now,
      createdBy: actor.staffId,
    });
    await auditAdminChange(tx, actor, {
      action: "webhook_secret.issued",
      targetType: "agency",
      targetId: agencyCode,
      details: { secretId: id, retiring: retired.map((row) => row.id), retiresAt: retired.length > 0 ? retiresAt.toISOString() : null },
    });
  });
  return { secretId: id, secret };
}

/** Writes one line of an agency's delivery log. */
export async function logDelivery(
  db: Database,
  entry: {
    agencyCode: string;
    noticeId: string | null;
    kind: "notice" | "redelivery" | "ping";
    requestedBy: string | null;
    url: string;
    attemptedAt: Date;
  } & ReceiverAnswer,
): Promise<void> {
  await db.insert(schema.webhookDeliveries).values(entry);
}

/** A test ping: a signed `ping` body to the agency's receiver (enabled or not), logged; the answer for the page. */
export async function sendPing(
  db: Database,
  env: CredentialEnv,
  actor: AdminActor,
  agencyCode: string,
): Promise<{ ok: true; answer: ReceiverAnswer } | { ok: false; refusal: "receiverMissing" }> {
  const receiver = await loadReceiver(db, env, agencyCode);
  if (receiver === "none") return { ok: false, refusal: "receiverMissing" };
  const now = new Date();
  const pingId = randomUUID();
  const live: AgencyReceiver = {
    agencyCode,
    url: receiver.url,
    enabled: receiver.enabled,
    secrets: receiver.secrets.filter((secret) => secretLive(secret, now)).map((secret) => secret.secret),
  };
  const body = JSON.stringify({ type: "ping", pingId, agency: agencyCode, sentAt: now.toISOString() });
  const answer = await postToReceiver(live, body, { "X-Portal-Ping-Id": pingId });
  await db.transaction(async (tx) => {
    await logDelivery(tx as unknown as Database, {
      agencyCode,
      noticeId: null,
      kind: "ping",
      requestedBy: actor.staffId,
      url: receiver.url,
      attemptedAt: now,
      ...answer,
    });
    await auditAdminChange(tx as unknown as Database, actor, {
      action: "webhook_receiver.pinged",
      targetType: "agency",
      targetId: agencyCode,
      details: { pingId, statusCode: answer.statusCode, error: answer.error },
    });
  });
  return { ok: true, answer };
}

export interface DeliveryLogLine {
  id: number;
  attemptedAt: string;
  kind: "notice" | "redelivery" | "ping";
  noticeId: string | null;
  noticeKind: string | null;
  noticeState: string | null;
  url: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  requestedBy: string | null;
}

const DELIVERY_LOG_PAGE = 50;

/** An agency's delivery log, newest first, a page at a time (`before`: the last id of the previous page). */
export async function deliveryLog(
  db: Database,
  agencyCode: string,
  page: { before?: number; limit?: number } = {},
): Promise<{ lines: DeliveryLogLine[]; nextBefore: number | null }> {
  const limit = page.limit ?? DELIVERY_LOG_PAGE;
  const d = schema.webhookDeliveries;
  const rows = await db
    .select({
      id: d.id,
      attemptedAt: d.attemptedAt,
      kind: d.kind,
      noticeId: d.noticeId,
      noticeKind: schema.writeOffNotices.kind,
      noticeState: schema.writeOffNotices.state,
      url: d.url,
      statusCode: d.statusCode,
      error: d.error,
      durationMs: d.durationMs,
      requestedBy: schema.staff.displayName,
    })
    .from(d)
    .leftJoin(schema.writeOffNotices, eq(d.noticeId, schema.writeOffNotices.id))
    .leftJoin(schema.staff, eq(d.requestedBy, schema.staff.id))
    .where(and(eq(d.agencyCode, agencyCode), page.before ? lt(d.id, page.before) : undefined))
    .orderBy(desc(d.id))
    .limit(limit + 1);
  const lines = rows.slice(0, limit).map((row) => ({ ...row, attemptedAt: row.attemptedAt.toISOString() }));
  return { lines, nextBefore: rows.length > limit ? lines[lines.length - 1]!.id : null };
}

/**
 * Gives an agency that has no receiver yet one, with a secret chosen by the
 * caller (the demo wing's simulator knows its secrets in advance): not the
 * back office's way, which draws secrets itself and audits who did it. An
 * agency that has a receiver is left as it is. True when installed.
 */
export async function installReceiverIfNone(
  db: Database,
  env: CredentialEnv,
  receiver: { agencyCode: string; url: string; secret: string },
): Promise<boolean> {
  return changeSettings(db, "webhooks", async (tx) => {
    const created = await tx
      .insert(schema.agencyWebhookEndpoints)
      .values({ agencyCode: receiver.agencyCode, url: receiver.url, enabled: true })
      .onConflictDoNothing()
      .returning({ agencyCode: schema.agencyWebhookEndpoints.agencyCode });
    if (created.length === 0) return false;
    const id = randomUUID();
    await tx
      .insert(schema.agencyWebhookSecrets)
      .values({ id, agencyCode: receiver.agencyCode, secretSealed: sealCredential(env, secretBinding(id), receiver.secret) });
    return true;
  });
}
