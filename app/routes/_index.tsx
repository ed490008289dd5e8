import { json } from "@remix-run/node";
import { Link, useLoaderData, useRouteLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { useMemo } from "react";
import { PAYMENT_TOOLS, type PaymentTool } from "~/domain/payment-tools";
import { localized } from "~/i18n";
import type { loader as rootLoader } from "~/root";
import type { RouteHandle } from "~/route-handle";
import { getCatalogue } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";
import { SERVICES } from "~/site-map";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.home.title"), sameForEveryVisitor: true };

export async function loader() {
  return json({ agencies: await getCatalogue(getDb()) });
}

export default function Home() {
  const { agencies } = useLoaderData<typeof loader>();
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const { t, i18n } = useTranslation();
  const billTypeCount = agencies.reduce((sum, agency) => sum + agency.billTypes.length, 0);
  // Nine names shared by thirteen bill types: translate each once (t() is ~20 µs).
  const toolNames = useMemo(() => {
    const names = new Map(PAYMENT_TOOLS.map((tool) => [tool, t(`paymentTools.${tool}`)]));
    const separator = t("listSeparator");
    return (tools: readonly PaymentTool[]) => tools.map((tool) => names.get(tool)).join(separator);
  }, [t]);

  return (
    <>
      <h1>{t("pages.home.heading")}</h1>
      <p className="lead">{t("pages.home.intro")}</p>

      <section aria-labelledby="services-heading">
        <h2 id="services-heading">{t("pages.home.servicesHeading")}</h2>
        <ul className="service-list">
          {SERVICES.map((service) => (
            <li key={service.key} className="service-card">
              <h3>
                {service.path ? (
                  <Link to={service.path}>{t(`pages.home.services.${service.key}.title`)}</Link>
                ) : (
                  t(`pages.home.services.${service.key}.title`)
                )}
              </h3>
              <p>{t(`pages.home.services.${service.key}.description`)}</p>
              {service.path ? null : <p className="status">{t("pages.home.comingSoon")}</p>}
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="catalogue-heading">
        <h2 id="catalogue-heading">{t("pages.home.catalogueHeading")}</h2>
        <p>{t("pages.home.catalogueIntro", { count: billTypeCount })}</p>
        <ul className="agency-list">
          {agencies.map((agency) => (
            <li key={agency.code}>
              <h3>{localized(agency, i18n.language)}</h3>
              <ul className="bill-type-list">
                {agency.billTypes.map((billType) => (
                  <li key={billType.code}>
                    <Link to={`/lookup/${billType.code}`}>{localized(billType, i18n.language)}</Link>
                    <span className="tools">{t("pages.home.payWith", { tools: toolNames(billType.paymentTools) })}</span>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="safety-heading" className="notice">
        <h2 id="safety-heading">{t("pages.home.safetyHeading")}</h2>
        <p>{t("pages.home.safetyText", { host: root?.officialHost ?? "" })}</p>
        <p>
          <Link to="/anti-fraud">{t("pages.home.safetyLink")}</Link>
        </p>
      </section>
    </>
  );
}
