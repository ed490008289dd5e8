/** The fields of the back office's catalogue forms, shared by the pages and the services that read them. */

export const AGENCY_FIELDS = ["nameZh", "nameEn", "phone", "websiteUrl", "sortOrder"] as const;
export type AgencyField = (typeof AGENCY_FIELDS)[number];

/** A new agency's form: its code and kind (fixed once created), then the details above. */
export const NEW_AGENCY_FIELDS = ["code", "kind", ...AGENCY_FIELDS] as const;
export type NewAgencyField = (typeof NEW_AGENCY_FIELDS)[number];

export const BILL_TYPE_FIELDS = [
  "code",
  "nameZh",
  "nameEn",
  "category",
  "subjectKind",
  "collectionItemCode",
  "writeOffPrefix",
  "writeOffLength",
  "writeOffCharset",
  "writeOffCheck",
  "writeOffHintZh",
  "writeOffHintEn",
  "paymentTools",
  "active",
  "sortOrder",
] as const;
export type BillTypeField = (typeof BILL_TYPE_FIELDS)[number];
