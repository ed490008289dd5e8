import { createCookie } from "@remix-run/node";
import { createInstance, type i18n as I18n } from "i18next";
import { initReactI18next } from "react-i18next";
import { RemixI18Next } from "remix-i18next/server";
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, i18nOptions, isLocale, type Locale } from "~/i18n";
import backOfficeEn from "~/locales/back-office/en.json";
import backOfficeZhTW from "~/locales/back-office/zh-TW.json";
import en from "~/locales/en.json";
import zhTW from "~/locales/zh-TW.json";
import { getEnv } from "./env.server";

// The back office's words are a namespace of their own: residents' pages never download them.
const resources = { "zh-TW": { common: zhTW, backOffice: backOfficeZhTW }, en: { common: en, backOffice: backOfficeEn } } as const;

/** Remembers the language a visitor chose; a preference, so no personal data. */
const localeCookie = createCookie("lng", {
  path: "/",
  sameSite: "lax",
  httpOnly: true,
  maxAge: 60 * 60 * 24 * 365,
});

const detector = new RemixI18Next({
  // The chosen language first; on a first visit, the browser's Accept-Language.
  detection: {
    supportedLanguages: [...SUPPORTED_LOCALES],
    fallbackLanguage: DEFAULT_LOCALE,
    cookie: localeCookie,
    order: ["cookie", "header"],
  },
});

export async function getLocale(request: Request): Promise<Locale> {
  const locale = await detector.getLocale(request);
  return isLocale(locale) ? locale : DEFAULT_LOCALE;
}

// One initialized instance per language, shared by all requests: nothing ever
// calls changeLanguage on them, and creating one per request cost ~15% of a
// page render.
const instances = new Map<Locale, Promise<I18n>>();

/** The i18next instance for server rendering in this language. */
export function getI18n(locale: Locale): Promise<I18n> {
  let instance = instances.get(locale);
  if (!instance) {
    const created = createInstance();
    instance = created
      .use(initReactI18next)
      .init({ ...i18nOptions, lng: locale, resources })
      .then(() => rememberLanguageHierarchy(created));
    instances.set(locale, instance);
  }
  return instance;
}

/**
 * i18next works out the languages to look a key up in (zh-TW, then the
 * fallback) on every t() call, through Intl's locale canonicalization: ~3 % of
 * a page's CPU for an answer that never changes for these fixed instances.
 * Kept per language; each caller gets its own copy, as before.
 */
function rememberLanguageHierarchy(instance: I18n): I18n {
  const utils = instance.services.languageUtils;
  const resolve = utils.toResolveHierarchy.bind(utils);
  const known = new Map<string, readonly string[]>();
  utils.toResolveHierarchy = (code: string, fallbackCode?: string) => {
    if (typeof code !== "string" || (fallbackCode !== undefined && typeof fallbackCode !== "string")) return resolve(code, fallbackCode);
    const key = `${code}\n${fallbackCode ?? ""}`;
    const codes = known.get(key) ?? resolve(code, fallbackCode);
    // Only our own locales are asked for; the bound keeps an odd caller from growing it.
    if (!known.has(key) && known.size < 16) known.set(key, codes);
    return [...codes];
  };
  return instance;
}

/** A translation function for loaders and actions (messages, titles, e-mails). */
export async function getFixedT(locale: Locale) {
  return (await getI18n(locale)).getFixedT(locale, "common");
}

export function serializeLocaleCookie(locale: Locale): Promise<string> {
  return localeCookie.serialize(locale, { secure: getEnv().publicUrlIsHttps });
}
