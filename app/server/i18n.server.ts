import { createCookie } from "@remix-run/node";
import { createInstance, type i18n as I18n } from "i18next";
import { initReactI18next } from "react-i18next";
import { RemixI18Next } from "remix-i18next/server";
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, i18nOptions, isLocale, type Locale } from "~/i18n";
import en from "~/locales/en.json";
import zhTW from "~/locales/zh-TW.json";
import { getEnv } from "./env.server";

export const resources = { "zh-TW": { common: zhTW }, en: { common: en } } as const;

/** Remembers the language a visitor chose; a preference, so no personal data. */
export const localeCookie = createCookie("lng", {
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
  i18next: { ...i18nOptions, resources },
});

export async function getLocale(request: Request): Promise<Locale> {
  const locale = await detector.getLocale(request);
  return isLocale(locale) ? locale : DEFAULT_LOCALE;
}

/** A translation function for loaders and actions (messages, titles, e-mails). */
export function getFixedT(locale: Locale) {
  return detector.getFixedT(locale, "common");
}

/** An i18next instance for one server render. */
export async function createRenderI18n(locale: Locale): Promise<I18n> {
  const instance = createInstance();
  await instance.use(initReactI18next).init({ ...i18nOptions, lng: locale, resources });
  return instance;
}

export function serializeLocaleCookie(locale: Locale): Promise<string> {
  return localeCookie.serialize(locale, { secure: getEnv().publicUrlIsHttps });
}
