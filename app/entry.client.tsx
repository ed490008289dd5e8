import { RemixBrowser } from "@remix-run/react";
import i18next from "i18next";
import { StrictMode, startTransition } from "react";
import { hydrateRoot } from "react-dom/client";
import { I18nextProvider, initReactI18next } from "react-i18next";
import { RequestInfoProvider } from "./components/request-info";
import { DEFAULT_LOCALE, i18nOptions, isLocale, type Locale } from "./i18n";

// Only the page's language is downloaded, as its own fingerprinted chunk.
const loaders: Record<Locale, () => Promise<{ default: object }>> = {
  "zh-TW": () => import("./locales/zh-TW.json"),
  en: () => import("./locales/en.json"),
};

async function hydrate() {
  const declared = document.documentElement.dataset.locale;
  const locale = isLocale(declared) ? declared : DEFAULT_LOCALE;
  const { default: common } = await loaders[locale]();
  await i18next.use(initReactI18next).init({ ...i18nOptions, lng: locale, resources: { [locale]: { common } } });
  const requestId = document.querySelector<HTMLMetaElement>('meta[name="request-id"]')?.content ?? "";
  const formRefused = document.querySelector('meta[name="form-refused"]') !== null;

  startTransition(() => {
    hydrateRoot(
      document,
      <RequestInfoProvider value={{ nonce: "", requestId, formRefused }}>
        <I18nextProvider i18n={i18next}>
          <StrictMode>
            <RemixBrowser />
          </StrictMode>
        </I18nextProvider>
      </RequestInfoProvider>,
    );
  });
}

void hydrate();
