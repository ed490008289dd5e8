import { createHmac } from "node:crypto";
import { and, eq, isNotNull, sql } from "drizzle-orm";
import { isEmailKind, normalizeEmailAddress, type EmailKind } from "~/domain/email";
import { schema, type Database } from "~/base/db.server";
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

/** Whether the address behind this digest has already stopped this kind. */
export async function hasOptedOut(db: Database, kind: EmailKind, digest: string): Promise<boolean> {
  const [row] = await db
    .select({ kind: schema.emailOptOuts.kind })
    .from(schema.emailOptOuts)
    .where(and(eq(schema.emailOptOuts.addressDigest, digest), eq(schema.emailOptOuts.kind, kind)));
  return row !== undefined;
}

/**
 * Stops a kind of mail for the address of a genuine link: recorded as an
 * opt-out (which the outbox and the mail job honour for anyone), and, for a
 * member whose account has that address, the kind taken out of their
 * choices too, so their account page says what they get. Members are found
 * by computing the digest of each address that still gets the kind: the
 * addresses are kept in clear for sending, not by digest.
 */
export async function unsubscribe(
  db: Database,
  env: Pick<Env, "PII_HMAC_KEY">,
  link: { kind: EmailKind; digest: string },
  now = new Date(),
): Promise<{ members: number }> {
  return db.transaction(async (tx) => {
    await tx.insert(schema.emailOptOuts).values({ addressDigest: link.digest, kind: link.kind, createdAt: now }).onConflictDoNothing();
    const candidates = await tx
      .select({ id: schema.members.id, email: schema.members.email, kinds: schema.members.emailKinds })
      .from(schema.members)
      .where(and(isNotNull(schema.members.email), sql`${link.kind} = any(${schema.members.emailKinds})`));
    const owners = candidates.filter((member) => member.email && addressDigest(env, member.email) === link.digest);
    for (const member of owners) {
      await tx
        .update(schema.members)
        .set({ emailKinds: member.kinds.filter((kind) => kind !== link.kind) })
        .where(eq(schema.members.id, member.id));
    }
    return { members: owners.length };
  });
}
