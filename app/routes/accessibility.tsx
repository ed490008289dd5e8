import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { RouteHandle } from "~/route-handle";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.accessibility.title"), sameForEveryVisitor: true };

export default function AccessibilityStatement() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("pages.accessibility.title")}</h1>
      <p className="lead">{t("pages.accessibility.intro")}</p>
      <h2>{t("pages.accessibility.standardHeading")}</h2>
      <p>{t("pages.accessibility.standard")}</p>
      <h2>{t("pages.accessibility.measuresHeading")}</h2>
      <ul>
        {t("pages.accessibility.measures", { returnObjects: true }).map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <h2>{t("pages.accessibility.testingHeading")}</h2>
      <p>{t("pages.accessibility.testing")}</p>
      <h2>{t("pages.accessibility.limitationsHeading")}</h2>
      <ul>
        {t("pages.accessibility.limitations", { returnObjects: true }).map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <h2>{t("pages.accessibility.feedbackHeading")}</h2>
      <p>
        {t("pages.accessibility.feedback")} <Link to="/contact">{t("nav.contact")}</Link>
      </p>
      <p>{t("pages.accessibility.updated")}</p>
    </>
  );
}
