import { asc, eq } from "drizzle-orm";
import { LRUCache } from "lru-cache";
import type { BillCategory } from "~/domain/catalogue";
import { isPaymentTool, type PaymentTool } from "~/domain/payment-tools";
import { schema, type Database } from "./db.server";

export interface CatalogueBillType {
  code: string;
  nameZh: string;
  nameEn: string;
  category: BillCategory;
  paymentTools: PaymentTool[];
}

export interface CatalogueAgency {
  code: string;
  nameZh: string;
  nameEn: string;
  billTypes: CatalogueBillType[];
}

/** The active bill catalogue grouped by issuing agency, in the agencies' display order. */
export async function listCatalogueByAgency(db: Database): Promise<CatalogueAgency[]> {
  const rows = await db
    .select({
      agencyCode: schema.agencies.code,
      agencyNameZh: schema.agencies.nameZh,
      agencyNameEn: schema.agencies.nameEn,
      code: schema.billTypes.code,
      nameZh: schema.billTypes.nameZh,
      nameEn: schema.billTypes.nameEn,
      category: schema.billTypes.category,
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
      nameZh: row.nameZh,
      nameEn: row.nameEn,
      category: row.category as BillCategory,
      paymentTools: row.paymentTools.filter(isPaymentTool),
    });
  }
  return [...agencies.values()];
}

// The catalogue changes a few times a year and is read by every page: keep it
// for a minute per database (several instances then agree within a minute).
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
