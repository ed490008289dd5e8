import type backOffice from "./locales/back-office/zh-TW.json";
import type common from "./locales/zh-TW.json";

// Translation keys are checked at compile time against the zh-TW file; the
// locale-parity test checks that en.json has exactly the same keys.
declare module "i18next" {
  interface CustomTypeOptions {
    defaultNS: "common";
    resources: { common: typeof common; backOffice: typeof backOffice };
  }
}
