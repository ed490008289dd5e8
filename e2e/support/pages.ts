import { SITE_PAGES } from "../../app/site-map";

export const LOCALES = [
  { locale: "zh-TW", htmlLang: "zh-Hant-TW" },
  { locale: "en", htmlLang: "en" },
] as const;

export const PAGE_PATHS = SITE_PAGES.map((page) => page.path);
/** Pages anyone can open; the members' pages are checked logged in, in members.spec.ts. */
export const PUBLIC_PAGE_PATHS = SITE_PAGES.filter((page) => !page.membersOnly).map((page) => page.path);
