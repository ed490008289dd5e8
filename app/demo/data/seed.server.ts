import { and, inArray, isNull, sql } from "drizzle-orm";
import { taipeiDate } from "~/domain/dates";
import { isAgencyRole } from "~/domain/staff";
import { recordAudit } from "~/base/audit.server";
import { schema, type Database } from "~/base/db.server";
import { hashNationalId } from "~/base/pii.server";
import { sealCredential } from "~/base/credentials.server";
import type { Env } from "~/base/env.server";
import { installReceiverIfNone } from "~/agencies/webhook-receivers.server";
import { demoApiKey, demoWebhookSecret } from "../keys";
import { DEMO_AGENCIES, DEMO_BILL_TYPES } from "./catalogue";
import { generateDemoData, type DemoDataOptions } from "./generate";
import { DEMO_STAFF, type DemoStaffMember } from "./staff";

const INSERT_BATCH = 500;

export interface SeedResult {
  seeded: boolean;
  agencies: number;
  billTypes: number;
  bills: number;
}

/**
 * Loads the demo catalogue and bills into an empty database, in one
 * transaction: a crash half-way leaves the database empty, and the next start
 * seeds again. A database that already has agencies is left alone.
 */
export async function seedDemoDataIfEmpty(db: Database, options: { piiHmacKey: string } & Partial<DemoDataOptions>): Promise<SeedResult> {
  const existing = await db.select({ code: schema.agencies.code }).from(schema.agencies).limit(1);
  if (existing.length > 0) return { seeded: false, agencies: 0, billTypes: 0, bills: 0 };

  const { bills } = generateDemoData({ today: options.today ?? taipeiDate(), ...options });
  await db.transaction(async (tx) => {
    await tx.insert(schema.agencies).values(DEMO_AGENCIES.map((agency, i) => ({ ...agency, sortOrder: i })));
    await tx.insert(schema.billTypes).values(
      DEMO_BILL_TYPES.map((type, i) => ({
        code: type.code,
        agencyCode: type.agencyCode,
        nameZh: type.nameZh,
        nameEn: type.nameEn,
        category: type.category,
        subjectKind: type.subjectKind,
        collectionItemCode: type.collectionItemCode,
        writeOffPrefix: type.writeOff.prefix,
        writeOffLength: type.writeOff.length,
        writeOffCharset: type.writeOff.charset,
        writeOffCheck: type.writeOff.check,
        writeOffHintZh: type.writeOffHintZh,
        writeOffHintEn: type.writeOffHintEn,
        paymentTools: type.paymentTools,
        sortOrder: i,
      })),
    );
    // Hashing is the slow part of the seed: hash each resident once.
    const hashes = new Map<string, string>();
    const rows = bills.map(({ payerNationalId, ...bill }) => {
      let hash = hashes.get(payerNationalId);
      if (!hash) {
        hash = hashNationalId(payerNationalId, options.piiHmacKey);
        hashes.set(payerNationalId, hash);
      }
      return { ...bill, payerNationalIdHash: hash };
    });
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await tx.insert(schema.bills).values(rows.slice(i, i + INSERT_BATCH));
    }
    await tx.execute(sql`analyze bills`);
  });
  return { seeded: true, agencies: DEMO_AGENCIES.length, billTypes: DEMO_BILL_TYPES.length, bills: bills.length };
}

/**
 * Gives the demo staff their accounts and roles, on every start: staff are
 * matched by subject and left as they are, and a staff member who holds a
 * live role keeps exactly those, so what a demo's administrator changed in
 * the back office survives a restart. (One whose roles were all revoked gets
 * the demo role back: the demo account should sign in to something.) Every
 * grant is audited as the system's, as a grant in the back office is as its
 * administrator's.
 */
export async function seedDemoStaff(
  db: Database,
  staff: readonly DemoStaffMember[] = DEMO_STAFF,
  now = new Date(),
): Promise<{ staff: number; grants: number }> {
  return db.transaction(async (tx) => {
    // A database seeded with another catalogue may lack an agency: its staff wait rather than stop the start.
    const agencies = await tx.select({ code: schema.agencies.code }).from(schema.agencies);
    const known = new Set(agencies.map((agency) => agency.code));
    const seeded = staff.filter((member) => member.agencyCode === null || known.has(member.agencyCode));
    if (seeded.length === 0) return { staff: 0, grants: 0 };
    const added = await tx
      .insert(schema.staff)
      .values(seeded.map((member) => ({ subject: member.sub, displayName: member.name, agencyCode: member.agencyCode })))
      .onConflictDoNothing({ target: schema.staff.subject })
      .returning({ id: schema.staff.id });
    const rows = await tx
      .select({ id: schema.staff.id, subject: schema.staff.subject })
      .from(schema.staff)
      .where(
        inArray(
          schema.staff.subject,
          seeded.map((member) => member.sub),
        ),
      );
    const idOf = new Map(rows.map((row) => [row.subject, row.id]));
    const holding = await tx
      .selectDistinct({ staffId: schema.staffRoles.staffId })
      .from(schema.staffRoles)
      .where(and(inArray(schema.staffRoles.staffId, [...idOf.values()]), isNull(schema.staffRoles.revokedAt)));
    const withRole = new Set(holding.map((row) => row.staffId));
    const grants = seeded
      .filter((member) => !withRole.has(idOf.get(member.sub)!))
      .map((member) => ({
        staffId: idOf.get(member.sub)!,
        role: member.role,
        agencyCode: isAgencyRole(member.role) ? member.agencyCode : null,
        grantedAt: now,
      }));
    if (grants.length === 0) return { staff: added.length, grants: 0 };
    const granted = await tx.insert(schema.staffRoles).values(grants).returning({
      id: schema.staffRoles.id,
      staffId: schema.staffRoles.staffId,
      role: schema.staffRoles.role,
      agencyCode: schema.staffRoles.agencyCode,
    });
    for (const grant of granted) {
      await recordAudit(
        tx,
        {
          actorType: "system",
          actorId: null,
          action: "staff.role_granted",
          targetType: "staff",
          targetId: grant.staffId,
          details: { roleId: grant.id, role: grant.role, agencyCode: grant.agencyCode, by: "demo seed" },
        },
        now,
      );
    }
    return { staff: added.length, grants: granted.length };
  });
}

/** Gives every demo agency its simulator's API key (docs/agency-api.md), on every start; an existing key is left as it is. */
export async function seedDemoApiKeys(db: Database, env: Pick<Env, "BINDING_ENCRYPTION_KEY">): Promise<number> {
  const keys = DEMO_AGENCIES.map((agency) => demoApiKey(agency.code));
  const inserted = await db
    .insert(schema.agencyApiKeys)
    .values(
      keys.map((key) => ({
        id: key.id,
        agencyCode: key.agency,
        label: "demo simulator",
        secretSealed: sealCredential(env, `api-key:${key.id}`, key.secret),
      })),
    )
    .onConflictDoNothing()
    .returning({ id: schema.agencyApiKeys.id });
  return inserted.length;
}

/**
 * Points every agency of the database that has no webhook receiver at the
 * agency simulator, with the secret the simulator knows (demoWebhookSecret),
 * on every start: a receiver set in the back office is left as it is. The
 * number of receivers set.
 */
export async function seedSimulatorReceivers(
  db: Database,
  env: Pick<Env, "BINDING_ENCRYPTION_KEY">,
  simulatorUrl: string,
): Promise<number> {
  let installed = 0;
  for (const { code } of await db.select({ code: schema.agencies.code }).from(schema.agencies)) {
    const url = `${simulatorUrl}/agencies/${code}/write-offs`;
    if (await installReceiverIfNone(db, env, { agencyCode: code, url, secret: demoWebhookSecret(code) })) installed += 1;
  }
  return installed;
}
