import { sql } from "drizzle-orm";
import { taipeiDate } from "~/domain/dates";
import { schema, type Database } from "~/base/db.server";
import { hashNationalId } from "~/base/pii.server";
import { DEMO_AGENCIES, DEMO_BILL_TYPES } from "./catalogue";
import { generateDemoData, type DemoDataOptions } from "./generate";

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
