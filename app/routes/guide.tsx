import { useTranslation } from "react-i18next";
import type { RouteHandle } from "~/route-handle";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.guide.title"), sameForEveryVisitor: true };

export default function Guide() {
  const { t } = useTranslation();
  const sections = t("pages.guide.sections", { returnObjects: true });
  return (
    <>
      <h1>{t("pages.guide.title")}</h1>
      <p className="lead">{t("pages.guide.intro")}</p>
      {sections.map((section, i) => (
        <section key={section.heading} aria-labelledby={`guide-section-${i}`}>
          <h2 id={`guide-section-${i}`}>{section.heading}</h2>
          <ol className="steps">
            {section.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        </section>
      ))}
    </>
  );
}
