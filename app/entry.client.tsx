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
// The back office's namespace, only on its pages (<html data-area="back-office">).
const backOfficeLoaders: Record<Locale, () => Promise<{ default: object }>> = {
  "zh-TW": () => import("./locales/back-office/zh-TW.json"),
  en: () => import("./locales/back-office/en.json"),
};

async function hydrate() {
  const declared = document.documentElement.dataset.locale;
  const locale = isLocale(declared) ? declared : DEFAULT_LOCALE;
  const backOffice = document.documentElement.dataset.area === "back-office";
  const [{ default: common }, backOfficeWords] = await Promise.all([loaders[locale](), backOffice ? backOfficeLoaders[locale]() : null]);
  await i18next.use(initReactI18next).init({
    ...i18nOptions,
    lng: locale,
    resources: { [locale]: backOfficeWords ? { common, backOffice: backOfficeWords.default } : { common } },
  });
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
