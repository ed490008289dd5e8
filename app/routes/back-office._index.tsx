import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { inArray } from "drizzle-orm";
import { useTranslation } from "react-i18next";
import { areasFor } from "~/back-office/area.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { schema, getDb } from "~/base/db.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("home.title") };
export const headers = routeHeaders;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context);
  const principals = [...new Set(staff.roles.map((r) => r.actingFor).filter((id): id is string => id !== null))];
  const names = principals.length
    ? await getDb()
        .select({ id: schema.staff.id, name: schema.staff.displayName })
        .from(schema.staff)
        .where(inArray(schema.staff.id, principals))
    : [];
  return json(
    {
      roles: staff.roles.map((r) => ({ ...r, actingForName: names.find((n) => n.id === r.actingFor)?.name ?? null })),
      areas: areasFor(staff).filter((area) => area.to !== "/back-office"),
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export default function BackOfficeHome() {
  const { roles, areas } = useLoaderData<typeof loader>();
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("home.title")}</h1>
      <h2>{t("home.rolesHeading")}</h2>
      {roles.length === 0 ? (
        <p>{t("home.noRoles")}</p>
      ) : (
        <ul>
          {roles.map((role) => (
            <li key={`${role.role}|${role.agencyCode ?? ""}|${role.actingFor ?? ""}`}>
              {t(`roles.${role.role}`)}
              {role.agencyCode ? `（${role.agencyCode}）` : null}
              {role.actingForName ? ` — ${t("home.actingFor", { name: role.actingForName })}` : null}
            </li>
          ))}
        </ul>
      )}
      <p>{t("home.intro")}</p>
      <ul className="link-list">
        {areas.map((area) => (
          <li key={area.to}>
            <Link to={area.to}>{t(area.key as "home.title")}</Link>
          </li>
        ))}
      </ul>
    </>
  );
}
