import { DEFAULT_LOCALE, HTML_LANG, isLocale, type Locale } from "~/i18n";
import en from "./locales/en.json";
import zhTW from "./locales/zh-TW.json";

import { escapeHtml } from "~/lib/html";

export { escapeHtml };

const WORDS = { "zh-TW": zhTW, en } as const;

type Paths<T, Prefix extends string = ""> = {
  [K in keyof T & string]: T[K] extends string ? `${Prefix}${K}` : Paths<T[K], `${Prefix}${K}.`>;
}[keyof T & string];
export type SandboxKey = Paths<typeof zhTW>;

/**
 * The sandboxes' words in one language. They stand in for other services'
 * pages, so they live in the demo wing's own locale files (same keys in both
 * languages, as the portal's), not among the portal's strings.
 */
export function sandboxT(locale: Locale): (key: SandboxKey) => string {
  return (key) => {
    let value: unknown = WORDS[locale];
    for (const part of key.split(".")) value = (value as Record<string, unknown>)[part];
    return String(value);
  };
}

/**
 * The visitor's language on a sandbox page. The portal names it the way each
 * real service is told (OIDC ui_locales, LINE Pay display.locale, ECPay
 * Language); a page opened without one follows the browser.
 */
export function sandboxLocale(hint: string | undefined, acceptsLanguages: (...languages: string[]) => string | false): Locale {
  const named = (hint ?? "").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (named.startsWith("en")) return "en";
  if (named.startsWith("zh")) return "zh-TW";
  const accepted = acceptsLanguages("zh-TW", "zh", "en");
  if (accepted === "en") return "en";
  return isLocale(accepted) ? accepted : DEFAULT_LOCALE;
}

export interface SandboxPageOptions {
  locale: Locale;
  title: string;
  /** The service whose page it stands in for, shown in the header. */
  service: string;
  banner: string;
  /** Inline styles of the service's own look. */
  style: string;
  body: string;
}

/**
 * A sandbox page with the portal's conventions, so demos and tests meet what
 * a resident would: a skip link first, the ::: anchors with their access keys
 * (U top, C main, Z bottom), header, main and footer landmarks, and the page in
 * the visitor's language.
 */
export function sandboxPage(options: SandboxPageOptions): string {
  const t = sandboxT(options.locale);
  return `<!doctype html>
<html lang="${HTML_LANG[options.locale]}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>
body{font-family:system-ui,"Noto Sans TC",sans-serif;max-width:36rem;margin:0 auto;padding:1rem;line-height:1.6;color:#1b1b1b}
.skip-link{position:absolute;left:-999px;top:0;background:#fff;color:#0b4fa3;padding:.5rem 1rem;font-weight:700}.skip-link:focus{left:1rem}
.access-key{color:#1b1b1b;text-decoration:none;font-size:.875rem}
.banner{background:#fff4d6;color:#3d2e00;padding:.5rem 1rem;font-weight:700}
footer{margin-top:2rem;border-top:1px solid #6f6f6f;font-size:.875rem}
a{color:#0b4fa3}:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px;box-shadow:0 0 0 6px #ffbf47}
${options.style}
</style></head><body>
<a class="skip-link" href="#C">${escapeHtml(t("shell.skipToContent"))}</a>
<header><a id="U" href="#U" accesskey="U" title="${escapeHtml(t("shell.accessKeyTop"))}" class="access-key">:::</a>
<p class="service">${escapeHtml(options.service)}</p><p class="banner">${escapeHtml(options.banner)}</p></header>
<main><a id="C" href="#C" accesskey="C" title="${escapeHtml(t("shell.accessKeyMain"))}" class="access-key">:::</a>
${options.body}</main>
<footer><a id="Z" href="#Z" accesskey="Z" title="${escapeHtml(t("shell.accessKeyBottom"))}" class="access-key">:::</a>
<p>${escapeHtml(t("shell.footer"))}</p></footer></body></html>`;
}
