import { asc, eq } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { BillCategory, SubjectKind } from "~/domain/catalogue";
import { isPaymentTool, type PaymentTool } from "~/domain/payment-tools";
import type { WriteOffRule } from "~/domain/write-off-number";
import { schema, type Database } from "~/base/db.server";

export interface CatalogueBillType {
  code: string;
  agencyCode: string;
  nameZh: string;
  nameEn: string;
  category: BillCategory;
  subjectKind: SubjectKind;
  /** 代收項目代碼 of the convenience-store barcode. */
  collectionItemCode: string;
  writeOffRule: WriteOffRule;
  writeOffHintZh: string;
  writeOffHintEn: string;
  paymentTools: PaymentTool[];
}

export interface CatalogueAgency {
  code: string;
  nameZh: string;
  nameEn: string;
  billTypes: CatalogueBillType[];
}

/** A bill type row's write-off number rule, as the domain checks it. */
export function writeOffRuleOf(
  row: Pick<typeof schema.billTypes.$inferSelect, "writeOffPrefix" | "writeOffLength" | "writeOffCharset" | "writeOffCheck">,
): WriteOffRule {
  return { prefix: row.writeOffPrefix, length: row.writeOffLength, charset: row.writeOffCharset, check: row.writeOffCheck };
}

/** The active bill catalogue grouped by issuing agency, in the agencies' display order. */
async function listCatalogueByAgency(db: Database): Promise<CatalogueAgency[]> {
  const rows = await db
    .select({
      agencyCode: schema.agencies.code,
      agencyNameZh: schema.agencies.nameZh,
      agencyNameEn: schema.agencies.nameEn,
      code: schema.billTypes.code,
      nameZh: schema.billTypes.nameZh,
      nameEn: schema.billTypes.nameEn,
      category: schema.billTypes.category,
      subjectKind: schema.billTypes.subjectKind,
      collectionItemCode: schema.billTypes.collectionItemCode,
      writeOffPrefix: schema.billTypes.writeOffPrefix,
      writeOffLength: schema.billTypes.writeOffLength,
      writeOffCharset: schema.billTypes.writeOffCharset,
      writeOffCheck: schema.billTypes.writeOffCheck,
      writeOffHintZh: schema.billTypes.writeOffHintZh,
      writeOffHintEn: schema.billTypes.writeOffHintEn,
      paymentTools: schema.billTypes.paymentTools,
    })
    .from(schema.billTypes)
    .innerJoin(schema.agencies, eq(schema.billTypes.agencyCode, schema.agencies.code))
    .where(eq(schema.billTypes.active, true))
    .orderBy(asc(schema.agencies.sortOrder), asc(schema.billTypes.sortOrder));

  const agencies = new Map<string, CatalogueAgency>();
  for (const row of rows) {
    let agency = agencies.get(row.agencyCode);
    if (!agency) {
      agency = { code: row.agencyCode, nameZh: row.agencyNameZh, nameEn: row.agencyNameEn, billTypes: [] };
      agencies.set(row.agencyCode, agency);
    }
    agency.billTypes.push({
      code: row.code,
      agencyCode: row.agencyCode,
      nameZh: row.nameZh,
      nameEn: row.nameEn,
      category: row.category,
      subjectKind: row.subjectKind,
      collectionItemCode: row.collectionItemCode,
      writeOffRule: writeOffRuleOf(row),
      writeOffHintZh: row.writeOffHintZh,
      writeOffHintEn: row.writeOffHintEn,
      paymentTools: row.paymentTools.filter(isPaymentTool),
    });
  }
  return [...agencies.values()];
}

// The catalogue changes a few times a year and is read by every page: keep it
// for a minute per database. A change made in the back office forgets it at
// once, here and (through NOTIFY, app/agencies/changes.server.ts) on every
// other instance; the minute only bounds a missed signal.
const CATALOGUE_TTL_MS = 60_000;
const catalogueCaches = new WeakMap<Database, LRUCache<"catalogue", CatalogueAgency[]>>();

/** The catalogue, served from memory for up to a minute; concurrent misses share one query. */
export async function getCatalogue(db: Database): Promise<CatalogueAgency[]> {
  let cache = catalogueCaches.get(db);
  if (!cache) {
    cache = new LRUCache<"catalogue", CatalogueAgency[]>({
      max: 1,
      ttl: CATALOGUE_TTL_MS,
      fetchMethod: () => listCatalogueByAgency(db),
    });
    catalogueCaches.set(db, cache);
  }
  const catalogue = await cache.fetch("catalogue");
  if (!catalogue) throw new Error("catalogue could not be loaded");
  return catalogue;
}

/** Drops the cached catalogue of `db`: the next read queries the database. */
export function forgetCatalogue(db: Database): void {
  // A new cache, so that a read already under way cannot put the old catalogue back.
  catalogueCaches.delete(db);
}

type Found = { billType: CatalogueBillType; agency: CatalogueAgency } | null;

async function findInCatalogue(db: Database, match: (billType: CatalogueBillType) => boolean): Promise<Found> {
  for (const agency of await getCatalogue(db)) {
    const billType = agency.billTypes.find(match);
    if (billType) return { billType, agency };
  }
  return null;
}

/** A bill type of the active catalogue, with its agency, or null for an unknown code. */
export function findBillType(db: Database, code: string): Promise<Found> {
  return findInCatalogue(db, (billType) => billType.code === code);
}

/** The bill type whose convenience-store barcodes carry this collection-item code. */
export function findBillTypeByCollectionCode(db: Database, collectionItemCode: string): Promise<Found> {
  return findInCatalogue(db, (billType) => billType.collectionItemCode === collectionItemCode);
}

/** What a page choosing a bill type needs of the catalogue, and nothing else. */
export interface ChooserAgency {
  code: string;
  nameZh: string;
  nameEn: string;
  billTypes: Array<{ code: string; nameZh: string; nameEn: string }>;
}

export async function catalogueForChooser(db: Database): Promise<ChooserAgency[]> {
  return (await getCatalogue(db)).map((agency) => ({
    code: agency.code,
    nameZh: agency.nameZh,
    nameEn: agency.nameEn,
    billTypes: agency.billTypes.map(({ code, nameZh, nameEn }) => ({ code, nameZh, nameEn })),
  }));
}
