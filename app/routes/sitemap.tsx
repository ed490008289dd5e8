import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { getCatalogue } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";
import { SERVICES, SITE_PAGES, type SiteSection } from "~/site-map";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.sitemap.title") };

const SECTIONS: SiteSection[] = ["services", "help", "about"];

export async function loader() {
  const agencies = await getCatalogue(getDb());
  return json({
    billTypes: agencies.flatMap((agency) => agency.billTypes.map(({ code, nameZh, nameEn }) => ({ code, nameZh, nameEn }))),
  });
}

export default function Sitemap() {
  const { billTypes } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
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
                    {page.membersOnly ? <span className="hint-inline">{t("pages.sitemap.membersOnly")}</span> : null}
                  </li>
                ))}
                {section === "services"
                  ? liveServices
                      .filter((service) => !SITE_PAGES.some((page) => page.path === service.path))
                      .map((service) => (
                        <li key={service.key}>
                          <Link to={service.path!}>{t(`pages.home.services.${service.key}.title`)}</Link>
                        </li>
                      ))
                  : null}
                {section === "services" ? (
                  <li>
                    {t("pages.sitemap.lookupPages")}
                    <ul>
                      {billTypes.map((billType) => (
                        <li key={billType.code}>
                          <Link to={`/lookup/${billType.code}`}>{localized(billType, i18n.language)}</Link>
                        </li>
                      ))}
                    </ul>
                  </li>
                ) : null}
              </ul>
            </div>
          ))}
        </div>
      </section>
    </>
  );
}
