import { Link, useLocation } from "@remix-run/react";
import { errorReference } from "~/lib/error-reference";
import { useTranslation } from "react-i18next";
import { useRequestInfo } from "./request-info";

/** Localized error pages inside the normal layout; never a stack trace. */
export function ErrorPage({ kind, error }: { kind: "notFound" | "badRequest" | "server"; error?: unknown }) {
  const { t } = useTranslation();
  const { requestId: documentRequestId } = useRequestInfo();
  // "default" is the location the document was rendered for; later ones came from in-browser navigation.
  const requestId = errorReference(error, documentRequestId, useLocation().key === "default");
  return (
    <article className="error-page">
      <h1>{t(`errors.${kind}.heading`)}</h1>
      <p>{kind === "server" && !requestId ? t("errors.server.textWithoutReference") : t(`errors.${kind}.text`)}</p>
      {kind === "server" && requestId ? <p>{t("errors.server.reference", { reference: requestId })}</p> : null}
      <p>
        <Link to="/">{t("site.homeLink")}</Link>
      </p>
    </article>
  );
}
