import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { RouteHandle } from "~/route-handle";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.contactThanks.title") };

export function loader({ request }: LoaderFunctionArgs) {
  const reference = new URL(request.url).searchParams.get("ref");
  // Only our own reference format is echoed back onto the page.
  return json({ reference: reference && /^FB-\d{8}-[0-9A-Z]{6}$/.test(reference) ? reference : null });
}

export default function ContactThanks() {
  const { reference } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <div className="confirmation">
        <h1>{t("pages.contactThanks.heading")}</h1>
        <p className="reference">{reference ? t("pages.contactThanks.reference", { reference }) : t("pages.contactThanks.noReference")}</p>
      </div>
      {/* No e-mail reply is promised: the back office cannot send one yet. */}
      <p>{t("pages.contactThanks.handled")}</p>
      {reference ? <p>{t("pages.contactThanks.noEmail")}</p> : null}
      <p>{t("pages.contactThanks.followUp")}</p>
      <p>
        <Link to="/">{t("site.homeLink")}</Link>
      </p>
    </>
  );
}
