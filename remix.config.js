/** @type {import('@remix-run/dev').AppConfig} */
export default {
  // Classic Remix compiler. ESM server output so ESM-only packages (i18next,
  // openid-client, oidc-provider) load natively; dependencies stay external
  // (bundling them all breaks node:crypto at run time, see docs/decisions).
  serverModuleFormat: "esm",
  serverPlatform: "node",
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    // Off: see docs/decisions/001 (per-link route matching cost ~15% of the home page).
    v3_lazyRouteDiscovery: false,
    v3_singleFetch: false,
  },
};
