import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { RouteHandle } from "~/route-handle";
import { getEnv } from "~/base/env.server";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.antiFraud.title"), sameForEveryVisitor: true };

export function loader() {
  return json({ officialUrl: getEnv().PUBLIC_URL });
}

export default function AntiFraud() {
  const { officialUrl } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  const lists = [
    ["recogniseHeading", t("pages.antiFraud.recognise", { returnObjects: true })],
    ["billsHeading", t("pages.antiFraud.bills", { returnObjects: true })],
    ["neverHeading", t("pages.antiFraud.never", { returnObjects: true })],
  ] as const;
  return (
    <>
      <h1>{t("pages.antiFraud.title")}</h1>
      <section aria-labelledby="official-heading" className="notice">
        <h2 id="official-heading">{t("pages.antiFraud.officialHeading")}</h2>
        <p>
          {t("pages.antiFraud.officialAddressLabel")}
          <strong className="official-address" lang="en">
            {officialUrl}
          </strong>
        </p>
        <p>{t("pages.antiFraud.officialAddressNote")}</p>
      </section>
      {lists.map(([heading, items]) => (
        <section key={heading} aria-labelledby={`fraud-${heading}`}>
          <h2 id={`fraud-${heading}`}>{t(`pages.antiFraud.${heading}`)}</h2>
          <ul>
            {items.map((item) => (
              <li key={item}>{item}</li>
            ))}
          </ul>
        </section>
      ))}
      <section aria-labelledby="fraud-report">
        <h2 id="fraud-report">{t("pages.antiFraud.reportHeading")}</h2>
        <p>{t("pages.antiFraud.report")}</p>
      </section>
    </>
  );
}
