import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { BillTypeChooser } from "~/components/bill-type-chooser";
import { getMemberSession } from "~/members/member-request.server";
import type { RouteHandle } from "~/route-handle";
import { catalogueForChooser } from "~/bills/catalogue.server";
import { getDb } from "~/base/db.server";

export const handle: RouteHandle = { pageTitle: (t) => t("records.title") };

/** 繳費紀錄查詢: a bill's payments for anyone with its number; a member's whole history for members. */
export async function loader({ request }: LoaderFunctionArgs) {
  return json({ agencies: await catalogueForChooser(getDb()), member: (await getMemberSession(request)) !== null });
}

export default function Records() {
  const { agencies, member } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("records.title")}</h1>
      <p className="lead">{t("records.intro")}</p>
      <div className="notice">
        <h2>{t("records.membersHeading")}</h2>
        <p>
          {member ? t("records.membersText") : t("records.membersLoginText")} <Link to="/account/payments">{t("records.membersLink")}</Link>
        </p>
      </div>
      <h2>{t("records.byNumberHeading")}</h2>
      <p>{t("records.byNumberText")}</p>
      <BillTypeChooser agencies={agencies} hrefFor={(code) => `/lookup/${code}?for=records`} headingLevel={3} />
    </>
  );
}
