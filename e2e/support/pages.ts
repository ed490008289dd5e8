import { SITE_PAGES } from "../../app/site-map";

export const LOCALES = [
  { locale: "zh-TW", htmlLang: "zh-Hant-TW" },
  { locale: "en", htmlLang: "en" },
] as const;

export const PAGE_PATHS = SITE_PAGES.map((page) => page.path);
