import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { RouteHandle } from "~/route-handle";
import { SERVICES, SITE_PAGES, type SiteSection } from "~/site-map";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.sitemap.title") };

const SECTIONS: SiteSection[] = ["services", "help", "about"];

export default function Sitemap() {
  const { t } = useTranslation();
  const liveServices = SERVICES.filter((service) => service.path);
  return (
    <>
      <h1>{t("pages.sitemap.title")}</h1>
      <p className="lead">{t("pages.sitemap.intro")}</p>

      <section aria-labelledby="access-keys-heading">
        <h2 id="access-keys-heading">{t("pages.sitemap.accessKeysHeading")}</h2>
        <p>{t("pages.sitemap.accessKeysIntro")}</p>
        <ul>
          {t("pages.sitemap.accessKeys", { returnObjects: true }).map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
        <p>{t("pages.sitemap.browserKeys")}</p>
      </section>

      <section aria-labelledby="pages-heading">
        <h2 id="pages-heading">{t("pages.sitemap.pagesHeading")}</h2>
        <div className="sitemap-groups">
          {SECTIONS.map((section) => (
            <div key={section}>
              <h3>{t(`pages.sitemap.groups.${section}`)}</h3>
              <ul>
                {SITE_PAGES.filter((page) => page.section === section).map((page) => (
                  <li key={page.path}>
                    <Link to={page.path}>{t(page.labelKey)}</Link>
                  </li>
                ))}
                {section === "services"
                  ? liveServices.map((service) => (
                      <li key={service.key}>
                        <Link to={service.path!}>{t(`pages.home.services.${service.key}.title`)}</Link>
                      </li>
                    ))
                  : null}
              </ul>
            </div>
          ))}
        </div>
      </section>
    </>
  );
}
