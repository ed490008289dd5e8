/**
 * The portal's languages. zh-TW is the default; English is complete, not a
 * partial translation (a test compares the keys). Here, below every layer,
 * because the database checks the languages it stores (payers', members').
 */
export const SUPPORTED_LOCALES = ["zh-TW", "en"] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "zh-TW";

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (SUPPORTED_LOCALES as readonly string[]).includes(value);
}
