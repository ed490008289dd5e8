/**
 * Every page of the portal, in one place: the home page's service entry
 * points, the header and footer, and the sitemap page (網站導覽) are built from
 * this list, so a page that does not exist is never linked. Later features add
 * their pages here when they land.
 */
export type SiteSection = "services" | "help" | "about";

export interface SitePage {
  path: string;
  /** i18n key of the page's name. */
  labelKey:
    | "lookup.chooseTitle"
    | "scan.title"
    | "bills.title"
    | "member.dashboard.title"
    | "member.bindings.title"
    | "member.emailSettings.title"
    | "member.applications.title"
    | "records.title"
    | "applicationQuery.title"
    | "history.title"
    | "nav.home"
    | "nav.guide"
    | "nav.faq"
    | "nav.antiFraud"
    | "nav.contact"
    | "footer.sitemap"
    | "footer.accessibility"
    | "footer.statistics"
    | "pages.agencyApi.title";
  section: SiteSection;
  /** Reached after logging in as a member (the page asks for it first). */
  membersOnly?: true;
}

export const SITE_PAGES: readonly SitePage[] = [
  { path: "/", labelKey: "nav.home", section: "services" },
  { path: "/lookup", labelKey: "lookup.chooseTitle", section: "services" },
  { path: "/scan", labelKey: "scan.title", section: "services" },
  { path: "/bills", labelKey: "bills.title", section: "services" },
  { path: "/account", labelKey: "member.dashboard.title", section: "services", membersOnly: true },
  { path: "/account/bindings", labelKey: "member.bindings.title", section: "services", membersOnly: true },
  { path: "/account/applications", labelKey: "member.applications.title", section: "services", membersOnly: true },
  { path: "/records", labelKey: "records.title", section: "services" },
  { path: "/applications", labelKey: "applicationQuery.title", section: "services" },
  { path: "/account/payments", labelKey: "history.title", section: "services", membersOnly: true },
  { path: "/account/email", labelKey: "member.emailSettings.title", section: "services", membersOnly: true },
  { path: "/guide", labelKey: "nav.guide", section: "help" },
  { path: "/faq", labelKey: "nav.faq", section: "help" },
  { path: "/anti-fraud", labelKey: "nav.antiFraud", section: "help" },
  { path: "/contact", labelKey: "nav.contact", section: "help" },
  { path: "/statistics", labelKey: "footer.statistics", section: "about" },
  { path: "/accessibility", labelKey: "footer.accessibility", section: "about" },
  { path: "/sitemap", labelKey: "footer.sitemap", section: "about" },
  { path: "/developers/agency-api", labelKey: "pages.agencyApi.title", section: "about" },
];

/** Services on the home page; `path` is set only once the page exists. */
export type ServiceKey = "lookup" | "scan" | "member" | "records" | "applicationQuery";

export const SERVICES: ReadonlyArray<{ key: ServiceKey; path?: string }> = [
  { key: "lookup", path: "/lookup" },
  { key: "scan", path: "/scan" },
  { key: "member", path: "/account" },
  { key: "records", path: "/records" },
  { key: "applicationQuery", path: "/applications" },
];

export const HEADER_NAV = ["/", "/lookup", "/scan", "/guide", "/faq", "/anti-fraud", "/contact"] as const;
export const FOOTER_NAV = ["/sitemap", "/statistics", "/accessibility", "/contact"] as const;

export function pageAt(path: string): SitePage {
  const page = SITE_PAGES.find((p) => p.path === path);
  if (!page) throw new Error(`no page registered at ${path}`);
  return page;
}
