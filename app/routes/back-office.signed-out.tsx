import { useTranslation } from "react-i18next";
import type { RouteHandle } from "~/route-handle";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("signedOut.title") };

export default function StaffSignedOut() {
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("signedOut.title")}</h1>
      <p>{t("signedOut.text")}</p>
      <p>
        <a href="/back-office/login" className="button">
          {t("signedOut.again")}
        </a>
      </p>
    </>
  );
}
