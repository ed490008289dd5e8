import { json, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { answerProxyIntent, proxiesOf, proxyChoices } from "~/back-office/proxies.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ProxyForm, ProxyTable } from "~/components/back-office/proxies";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import stylesheet from "~/styles/back-office-audit.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("proxies.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "proxies.set_own" });
  const db = getDb();
  return json(
    { periods: await proxiesOf(db, staff.staffId), choices: await proxyChoices(db, staff.staffId) },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "proxies.set_own" });
  const answer = await answerProxyIntent(getDb(), staff, staff.staffId, await readForm(request), { anyPeriod: false });
  if (!answer) throw new Response("Bad request", { status: 400 });
  return json(answer, { status: answer.proxy ? 400 : 200 });
}

export default function Proxies() {
  const { periods, choices } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("proxies.title")}</h1>
      <p>{t("proxies.intro")}</p>
      {answer?.done ? (
        <p role="status" className="notice">
          {t(`proxies.done.${answer.done}` as "proxies.done.proxySet")}
        </p>
      ) : null}
      <h2>{t("proxies.givenHeading")}</h2>
      <ProxyTable id="proxies-given" caption={t("proxies.givenCaption")} periods={periods.given} revocable otherParty="proxy" />
      <h2>{t("proxies.receivedHeading")}</h2>
      <ProxyTable
        id="proxies-received"
        caption={t("proxies.receivedCaption")}
        periods={periods.received}
        revocable={false}
        otherParty="principal"
      />
      <h2>{t("proxies.setHeading")}</h2>
      <ProxyForm choices={choices} state={answer?.proxy ?? undefined} />
    </>
  );
}
