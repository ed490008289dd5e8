import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { allowListRefusals } from "~/back-office/allow-list.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getEnv } from "~/base/env.server";
import { formatNetwork } from "~/base/networks.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("settings.title") };
export const headers = routeHeaders;

/** What the back office is configured with (read only: the settings are the deployment's environment). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context, { permission: "settings.view" });
  const env = getEnv();
  return json(
    {
      networks: env.backOfficeNetworks.map(formatNetwork),
      agencyNetworks: env.backOfficeAgencyNetworks.map((entry) => ({ agency: entry.agency, networks: entry.networks.map(formatNetwork) })),
      refusals: allowListRefusals(),
      idleMinutes: env.STAFF_IDLE_MINUTES,
      sessionHours: env.STAFF_SESSION_HOURS,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export default function Settings() {
  const data = useLoaderData<typeof loader>();
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("settings.title")}</h1>
      <p>{t("settings.intro")}</p>
      <h2>{t("settings.networksHeading")}</h2>
      {data.networks.length === 0 ? (
        <p>{t("settings.noNetworks")}</p>
      ) : (
        <ul>
          {data.networks.map((network) => (
            <li key={network}>
              <code>{network}</code>
            </li>
          ))}
        </ul>
      )}
      <h2>{t("settings.agencyNetworksHeading")}</h2>
      {data.agencyNetworks.length === 0 ? (
        <p>{t("settings.noAgencyNetworks")}</p>
      ) : (
        <dl>
          {data.agencyNetworks.map((entry) => (
            <div key={entry.agency}>
              <dt>{entry.agency}</dt>
              <dd>
                {entry.networks.map((network) => (
                  <code key={network}>{network} </code>
                ))}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <p>{t("settings.refusals", { count: data.refusals })}</p>
      <h2>{t("settings.sessionsHeading")}</h2>
      <dl>
        <dt>{t("settings.idle")}</dt>
        <dd>{t("settings.minutes", { count: data.idleMinutes })}</dd>
        <dt>{t("settings.absolute")}</dt>
        <dd>{t("settings.hours", { count: data.sessionHours })}</dd>
      </dl>
    </>
  );
}
