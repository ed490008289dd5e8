import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { BillTypeChooser } from "~/components/bill-type-chooser";
import type { RouteHandle } from "~/route-handle";
import { catalogueForChooser } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";

export const handle: RouteHandle = { pageTitle: (t) => t("lookup.chooseTitle") };

export async function loader() {
  return json({ agencies: await catalogueForChooser(getDb()) });
}

export default function ChooseBillType() {
  const { agencies } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("lookup.chooseTitle")}</h1>
      <p className="lead">{t("lookup.chooseIntro")}</p>
      <BillTypeChooser agencies={agencies} hrefFor={(code) => `/lookup/${code}`} />
    </>
  );
}
