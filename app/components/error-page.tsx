import { Link } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { useRequestInfo } from "./request-info";

/** Localized error pages inside the normal layout; never a stack trace. */
export function ErrorPage({ kind }: { kind: "notFound" | "badRequest" | "server" }) {
  const { t } = useTranslation();
  const { requestId } = useRequestInfo();
  return (
    <article className="error-page">
      <h1>{t(`errors.${kind}.heading`)}</h1>
      <p>{t(`errors.${kind}.text`)}</p>
      {kind === "server" && requestId ? (
        <p>
          {t("errors.server.reference", { reference: requestId })}
        </p>
      ) : null}
      <p>
        <Link to="/">{t("site.homeLink")}</Link>
      </p>
    </article>
  );
}
