import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { getCatalogue } from "~/server/catalogue.server";
import { getDb } from "~/server/db.server";

export const handle: RouteHandle = { pageTitle: (t) => t("lookup.chooseTitle") };

export async function loader() {
  const agencies = await getCatalogue(getDb());
  return json({
    agencies: agencies.map((agency) => ({
      code: agency.code,
      nameZh: agency.nameZh,
      nameEn: agency.nameEn,
      billTypes: agency.billTypes.map(({ code, nameZh, nameEn }) => ({ code, nameZh, nameEn })),
    })),
  });
}

export default function ChooseBillType() {
  const { agencies } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  return (
    <>
      <h1>{t("lookup.chooseTitle")}</h1>
      <p className="lead">{t("lookup.chooseIntro")}</p>
      <ul className="agency-list">
        {agencies.map((agency) => (
          <li key={agency.code}>
            <h2 className="agency-heading">{localized(agency, i18n.language)}</h2>
            <ul className="bill-type-links">
              {agency.billTypes.map((billType) => (
                <li key={billType.code}>
                  <Link to={`/lookup/${billType.code}`}>{localized(billType, i18n.language)}</Link>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </>
  );
}
