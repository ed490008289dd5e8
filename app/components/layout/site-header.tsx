import { NavLink, useLocation } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { HTML_LANG, SUPPORTED_LOCALES, type Locale } from "~/i18n";
import { HEADER_NAV, pageAt } from "~/site-map";
import { AccessKeyAnchor } from "./access-key-anchor";

// A language's name is written in that language, whatever the page's language.
const LANGUAGE_NAMES: Record<Locale, string> = { "zh-TW": "中文", en: "English" };

interface SiteHeaderProps {
  locale: Locale;
  officialHost: string;
  /** The configured notice above every page ("demo": no money moves here). */
  serviceNotice: "none" | "demo";
  member: { name: string } | null;
  /** Whether an identity provider is configured (no login link otherwise). */
  memberLogin: boolean;
}

export function SiteHeader({ locale, officialHost, serviceNotice, member, memberLogin }: SiteHeaderProps) {
  const { t } = useTranslation();
  return (
    <header className="site-header">
      <AccessKeyAnchor accessKey="U" title={t("a11y.accessKeyTop")} />
      <div className="official-banner">
        <div className="container">
          <p>
            {t("site.officialBanner", { host: officialHost })} <a href="/anti-fraud">{t("site.officialBannerLink")}</a>
          </p>
        </div>
      </div>
      {serviceNotice === "demo" ? (
        <div className="demo-banner">
          <div className="container">
            <p>{t("site.demoBanner")}</p>
          </div>
        </div>
      ) : null}
      <div className="container header-main">
        <a href="/" className="site-title">
          <span className="site-title-owner">{t("site.owner")}</span>
          <span className="site-title-name">{t("site.name")}</span>
        </a>
        <div className="member-bar">
          {member ? <MemberLinks name={member.name} /> : memberLogin ? <LoginLink /> : null}
          <LanguageSwitch locale={locale} />
        </div>
      </div>
      <nav className="site-nav" aria-label={t("nav.label")}>
        <div className="container">
          <ul>
            {HEADER_NAV.map((path) => (
              <li key={path}>
                <NavLink to={path} end prefetch="intent">
                  {t(pageAt(path).labelKey)}
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      </nav>
    </header>
  );
}

/** A plain form post: works without JavaScript and reloads the page in the new language. */
export function LanguageSwitch({ locale }: { locale: Locale }) {
  const { t } = useTranslation();
  const location = useLocation();
  const others = SUPPORTED_LOCALES.filter((other) => other !== locale);
  return (
    <form method="post" action="/language" className="language-switch" aria-label={t("language.label")}>
      <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
      <span className="visually-hidden">{t("language.current")}</span>
      {others.map((other) => (
        <button key={other} type="submit" name="lng" value={other} lang={HTML_LANG[other]} className="button button-secondary">
          {LANGUAGE_NAMES[other]}
        </button>
      ))}
    </form>
  );
}

// Coming back to these pages after login would make no sense: they go to the dashboard.
const NO_RETURN = /^\/(login|logout|logged-out|auth)(\/|$)/;

function LoginLink() {
  const { t } = useTranslation();
  const location = useLocation();
  const here = `${location.pathname}${location.search}`;
  const href = NO_RETURN.test(location.pathname) || here === "/" ? "/login" : `/login?returnTo=${encodeURIComponent(here)}`;
  return (
    <a href={href} className="button button-secondary">
      {t("member.header.login")}
    </a>
  );
}

/** The member's name leads to their dashboard; logging out is a plain form post. */
function MemberLinks({ name }: { name: string }) {
  const { t } = useTranslation();
  return (
    <>
      <NavLink to="/account" prefetch="intent">
        {t("member.header.account", { name })}
      </NavLink>
      <form method="post" action="/logout">
        <button type="submit" className="button button-secondary">
          {t("member.header.logout")}
        </button>
      </form>
    </>
  );
}
