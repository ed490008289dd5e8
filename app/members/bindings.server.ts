import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { and, asc, count, eq } from "drizzle-orm";
import { maskSubject } from "~/domain/masking";
import {
  BINDING_LIMITS,
  isBindingKind,
  normalizeBindingLabel,
  normalizeBindingValue,
  type BindingKind,
  type BindingValueProblem,
} from "~/domain/member";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";

/**
 * Numbers members bind (車號 / 水號 / 電號). They are personal data: stored
 * encrypted with AES-256-GCM (the member and kind bound in as associated
 * data, so a ciphertext copied to another member's row does not decrypt),
 * matched through a keyed hash, shown masked. Every query here takes the
 * member's id from the session, never from the form: a member reaches only
 * their own bindings however ids are guessed.
 */

type BindingEnv = Pick<Env, "BINDING_ENCRYPTION_KEY" | "PII_HMAC_KEY">;

/** A binding as its member sees it: masked, with the label they gave it. */
export interface BindingView {
  id: string;
  kind: BindingKind;
  label: string;
  valueMasked: string;
  createdAt: string;
}

/** A binding with its number, for asking bill sources; never sent to a browser. */
export interface OpenedBinding extends BindingView {
  value: string;
}

// A version prefix leaves room for a key rotation: "v1." marks the first key.
const CIPHER_VERSION = "v1";

function encryptBindingValue(env: BindingEnv, memberId: string, kind: BindingKind, value: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(env.BINDING_ENCRYPTION_KEY, "base64"), iv);
  cipher.setAAD(Buffer.from(`${memberId}|${kind}`));
  const data = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return `${CIPHER_VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), data]).toString("base64")}`;
}

function decryptBindingValue(env: BindingEnv, memberId: string, kind: BindingKind, stored: string): string {
  const [version, payload] = stored.split(".", 2);
  if (version !== CIPHER_VERSION || !payload) throw new Error("unknown binding ciphertext version");
  const raw = Buffer.from(payload, "base64");
  const decipher = createDecipheriv("aes-256-gcm", Buffer.from(env.BINDING_ENCRYPTION_KEY, "base64"), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(`${memberId}|${kind}`));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

/** Keyed, so the small space of plates and account numbers cannot be enumerated from a copy of the table. */
function bindingValueHash(env: BindingEnv, kind: BindingKind, value: string): string {
  return createHmac("sha256", env.PII_HMAC_KEY).update(`binding|${kind}|${value}`).digest("hex");
}

const toView = (row: typeof schema.memberBindings.$inferSelect): BindingView => ({
  id: row.id,
  kind: row.kind,
  label: row.label,
  valueMasked: row.valueMasked,
  createdAt: row.createdAt.toISOString(),
});

function memberRows(db: Database, memberId: string) {
  return db
    .select()
    .from(schema.memberBindings)
    .where(eq(schema.memberBindings.memberId, memberId))
    .orderBy(asc(schema.memberBindings.createdAt), asc(schema.memberBindings.id));
}

/** The member's bindings in the order they were added, grouped by kind by the caller. */
export async function listBindings(db: Database, memberId: string): Promise<BindingView[]> {
  return (await memberRows(db, memberId)).map(toView);
}

/** The member's bindings with their numbers decrypted, for the bill sources. */
export async function openBindings(db: Database, env: BindingEnv, memberId: string): Promise<OpenedBinding[]> {
  return (await memberRows(db, memberId)).map((row) => ({
    ...toView(row),
    value: decryptBindingValue(env, memberId, row.kind, row.valueCiphertext),
  }));
}

export interface AuditContext {
  memberId: string;
  requestId: string | null;
}

async function audit(
  db: Pick<Database, "insert">,
  context: AuditContext,
  action: "binding.add" | "binding.rename" | "binding.remove",
  bindingId: string,
  details: Record<string, string>,
): Promise<void> {
  await db.insert(schema.auditLog).values({
    actorType: "member",
    actorId: context.memberId,
    action,
    targetType: "member_binding",
    targetId: bindingId,
    requestId: context.requestId,
    // Masked values only: the audit log is read by more people than the bindings table.
    details,
  });
}

export type BindingProblem = BindingValueProblem | "kind" | "label_long" | "duplicate" | "limit" | "not_found";

export type BindingChange<T> = { ok: true; binding: T } | { ok: false; problems: BindingProblem[] };

export async function addBinding(
  db: Database,
  env: BindingEnv,
  context: AuditContext,
  input: { kind: unknown; value: string; label: string },
): Promise<BindingChange<BindingView>> {
  if (!isBindingKind(input.kind)) return { ok: false, problems: ["kind"] };
  const kind = input.kind;
  const value = normalizeBindingValue(kind, input.value);
  const label = normalizeBindingLabel(input.label);
  const problems: BindingProblem[] = [];
  if (!value.ok) problems.push(value.problem);
  if (!label.ok) problems.push(label.problem);
  if (!value.ok || !label.ok) return { ok: false, problems };

  const valueHash = bindingValueHash(env, kind, value.value);
  return db.transaction(async (tx) => {
    // Serializes one member's concurrent additions, so two requests cannot both pass the limit.
    await tx.select({ id: schema.members.id }).from(schema.members).where(eq(schema.members.id, context.memberId)).for("update");
    const [existing] = await tx
      .select({ id: schema.memberBindings.id })
      .from(schema.memberBindings)
      .where(
        and(
          eq(schema.memberBindings.memberId, context.memberId),
          eq(schema.memberBindings.kind, kind),
          eq(schema.memberBindings.valueHash, valueHash),
        ),
      );
    if (existing) return { ok: false as const, problems: ["duplicate" as const] };
    const [counted] = await tx
      .select({ n: count() })
      .from(schema.memberBindings)
      .where(and(eq(schema.memberBindings.memberId, context.memberId), eq(schema.memberBindings.kind, kind)));
    if ((counted?.n ?? 0) >= BINDING_LIMITS[kind]) return { ok: false as const, problems: ["limit" as const] };

    const [row] = await tx
      .insert(schema.memberBindings)
      .values({
        memberId: context.memberId,
        kind,
        label: label.label,
        valueCiphertext: encryptBindingValue(env, context.memberId, kind, value.value),
        valueHash,
        valueMasked: maskSubject(value.value, kind),
      })
      .returning();
    await audit(tx, context, "binding.add", row!.id, { kind, value: row!.valueMasked, label: row!.label });
    return { ok: true as const, binding: toView(row!) };
  });
}

const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);

export async function renameBinding(
  db: Database,
  context: AuditContext,
  input: { bindingId: string; label: string },
): Promise<BindingChange<BindingView>> {
  const label = normalizeBindingLabel(input.label);
  if (!label.ok) return { ok: false, problems: [label.problem] };
  if (!isUuid(input.bindingId)) return { ok: false, problems: ["not_found"] };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(schema.memberBindings)
      .set({ label: label.label, updatedAt: new Date() })
      // The member's id in the condition: another member's binding id finds nothing.
      .where(and(eq(schema.memberBindings.id, input.bindingId), eq(schema.memberBindings.memberId, context.memberId)))
      .returning();
    if (!row) return { ok: false as const, problems: ["not_found" as const] };
    await audit(tx, context, "binding.rename", row.id, { kind: row.kind, value: row.valueMasked, label: row.label });
    return { ok: true as const, binding: toView(row) };
  });
}

export async function removeBinding(
  db: Database,
  context: AuditContext,
  input: { bindingId: string },
): Promise<BindingChange<BindingView>> {
  if (!isUuid(input.bindingId)) return { ok: false, problems: ["not_found"] };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(schema.memberBindings)
      .where(and(eq(schema.memberBindings.id, input.bindingId), eq(schema.memberBindings.memberId, context.memberId)))
      .returning();
    if (!row) return { ok: false as const, problems: ["not_found" as const] };
    await audit(tx, context, "binding.remove", row.id, { kind: row.kind, value: row.valueMasked, label: row.label });
    return { ok: true as const, binding: toView(row) };
  });
}
