import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { listAgenciesForAdmin } from "~/agencies/catalogue-admin.server";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("catalogue.title") };
export const headers = routeHeaders;

/** The issuing agencies, each leading to its bill types and its integration (receiver, secrets, API keys). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "integrations.view" });
  const agencies = await listAgenciesForAdmin(getDb());
  await auditStaffAct(staff, { action: "catalogue.viewed", targetType: "catalogue" });
  return json({ agencies }, { headers: { "Cache-Control": "no-store" } });
}

export default function CatalogueAgencies() {
  const { agencies } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("catalogue.title")}</h1>
      <p>{t("catalogue.intro")}</p>
      <div className="table-scroll" role="region" aria-labelledby="agencies-caption" tabIndex={0}>
        <table>
          <caption id="agencies-caption">{t("catalogue.agenciesCaption", { count: agencies.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("catalogue.columns.agency")}</th>
              <th scope="col">{t("catalogue.columns.code")}</th>
              <th scope="col">{t("catalogue.columns.billTypes")}</th>
              <th scope="col">{t("catalogue.columns.order")}</th>
              <th scope="col">{t("catalogue.columns.integration")}</th>
            </tr>
          </thead>
          <tbody>
            {agencies.map((agency) => {
              const name = i18n.language === "en" ? agency.nameEn : agency.nameZh;
              return (
                <tr key={agency.code}>
                  <td>
                    <Link to={`/back-office/catalogue/${agency.code}`}>{name}</Link>
                  </td>
                  <td>
                    <code className="identifier">{agency.code}</code>
                  </td>
                  <td>{agency.billTypes}</td>
                  <td>{agency.sortOrder}</td>
                  <td>
                    <Link to={`/back-office/catalogue/${agency.code}/integration`}>
                      {t("catalogue.integrationLink")}
                      <span className="visually-hidden"> {name}</span>
                    </Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
