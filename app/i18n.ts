/** Language set-up shared by the server and the browser; the languages themselves are domain/locale.ts. */
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, isLocale, type Locale } from "~/domain/locale";

export { DEFAULT_LOCALE, SUPPORTED_LOCALES, isLocale, type Locale };

/** BCP 47 tag for `<html lang>`: Taiwan's accessibility rules ask for zh-Hant-TW. */
export const HTML_LANG: Record<Locale, string> = { "zh-TW": "zh-Hant-TW", en: "en" };

export const i18nOptions = {
  supportedLngs: [...SUPPORTED_LOCALES],
  fallbackLng: DEFAULT_LOCALE,
  // Only exact locales exist: don't walk zh-TW → zh → fallback on every lookup.
  load: "currentOnly",
  defaultNS: "common",
  ns: ["common", "backOffice"],
  interpolation: { escapeValue: false },
  react: { useSuspense: false },
} as const;

/** Picks the `nameZh` / `nameEn` style field of catalogue rows. */
export function localized<T extends { nameZh: string; nameEn: string }>(row: T, locale: string): string {
  return locale === "en" ? row.nameEn : row.nameZh;
}
