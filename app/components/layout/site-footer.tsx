import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { FOOTER_NAV, pageAt } from "~/site-map";
import { AccessKeyAnchor } from "./access-key-anchor";

export function SiteFooter() {
  const { t } = useTranslation();
  return (
    <footer className="site-footer">
      <div className="container">
        <AccessKeyAnchor accessKey="Z" title={t("a11y.accessKeyBottom")} />
        <nav aria-label={t("footer.label")}>
          <ul className="footer-links">
            {FOOTER_NAV.map((path) => (
              <li key={path}>
                <Link to={path}>{t(pageAt(path).labelKey)}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <address>
          <p>{t("site.fullName")}</p>
          <p>{t("footer.address")}</p>
          <p>{t("footer.hotline")}</p>
          <p>{t("footer.serviceHours")}</p>
        </address>
        <p className="copyright">{t("footer.copyright", { year: new Date().getFullYear() })}</p>
      </div>
    </footer>
  );
}
