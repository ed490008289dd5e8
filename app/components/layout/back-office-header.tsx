import { NavLink } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { Locale } from "~/i18n";
import { AccessKeyAnchor } from "./access-key-anchor";
import { LanguageSwitch } from "./site-header";

interface BackOfficeNavItem {
  to: string;
  label: string;
}

interface BackOfficeHeaderProps {
  locale: Locale;
  serviceNotice: "none" | "demo";
  staff: { name: string; agencyName: string | null } | null;
  nav: BackOfficeNavItem[];
}

/** The back office's own header: who is signed in, sign-out, language, and the functions their roles open. */
export function BackOfficeHeader({ locale, serviceNotice, staff, nav }: BackOfficeHeaderProps) {
  const { t } = useTranslation("backOffice");
  const { t: tc } = useTranslation();
  return (
    <header className="site-header back-office-header">
      <AccessKeyAnchor accessKey="U" title={tc("a11y.accessKeyTop")} />
      {serviceNotice === "demo" ? (
        <div className="demo-banner">
          <div className="container">
            <p>{tc("site.demoBanner")}</p>
          </div>
        </div>
      ) : null}
      <div className="container header-main">
        <a href="/back-office" className="site-title">
          <span className="site-title-owner">{tc("site.owner")}</span>
          <span className="site-title-name">{t("area.nameLong")}</span>
        </a>
        <div className="member-bar">
          {staff ? (
            <>
              <span className="member-name">
                {t("area.signedInAs", { name: staff.name, agency: staff.agencyName ?? t("area.cityStaff") })}
              </span>
              <form method="post" action="/back-office/logout">
                <button type="submit" className="button button-secondary">
                  {t("area.signOut")}
                </button>
              </form>
            </>
          ) : null}
          <LanguageSwitch locale={locale} />
        </div>
      </div>
      {nav.length > 0 ? (
        <nav className="site-nav" aria-label={t("area.nav")}>
          <div className="container">
            <ul>
              {nav.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.to === "/back-office"}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </div>
        </nav>
      ) : null}
    </header>
  );
}
