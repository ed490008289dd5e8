import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import type { RouteHandle } from "~/route-handle";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.faq.title"), sameForEveryVisitor: true };

export default function Faq() {
  const { t } = useTranslation();
  const items = t("pages.faq.items", { returnObjects: true });
  return (
    <>
      <h1>{t("pages.faq.title")}</h1>
      <p className="lead">
        {t("pages.faq.intro")} <Link to="/contact">{t("nav.contact")}</Link>
      </p>
      <div className="faq-list">
        {items.map((item) => (
          <details key={item.question}>
            <summary>{item.question}</summary>
            <p>{item.answer}</p>
          </details>
        ))}
      </div>
    </>
  );
}
