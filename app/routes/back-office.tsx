import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, Outlet, isRouteErrorResponse, useRouteError } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { agencyName, areasFor } from "~/back-office/area.server";
import { getStaffSession, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { getLocale } from "~/base/i18n.server";
import { idleSecondsLeft } from "~/base/session-tokens.server";
import { ErrorPage } from "~/components/error-page";

/**
 * The back office's frame: who is signed in and what their roles open. The
 * pages below check their own permissions; this only shapes the header.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const env = getEnv();
  const session = await getStaffSession(request);
  if (!session)
    return json({ staff: null, nav: [] as Array<{ to: string; key: string }>, idle: null }, { headers: { "Cache-Control": "no-store" } });
  const staff = await requireStaff(request, context, { passkeyRegistration: true });
  const now = Date.now();
  return json(
    {
      staff: { name: staff.name, agencyName: await agencyName(getDb(), staff.agencyCode, await getLocale(request)) },
      nav: areasFor(staff),
      idle: {
        idleSeconds: idleSecondsLeft(session, now),
        warnSeconds: Math.min(120, (env.STAFF_IDLE_MINUTES * 60) / 2),
        checkedAt: new Date(now).toISOString(),
      },
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export default function BackOffice() {
  return <Outlet />;
}

/** Refusals and unknown items in the back office's words; a 404 for what the staff member may not see either. */
export function ErrorBoundary() {
  const error = useRouteError();
  const { t } = useTranslation("backOffice");
  if (isRouteErrorResponse(error) && (error.status === 403 || error.status === 404)) {
    const kind = error.status === 403 ? "forbidden" : "notFound";
    return (
      <article className="error-page">
        <h1>{t(`errors.${kind}Title`)}</h1>
        <p>{t(`errors.${kind}Text`)}</p>
        <p>
          <Link to="/back-office">{t("errors.backHome")}</Link>
        </p>
      </article>
    );
  }
  return <ErrorPage kind={isRouteErrorResponse(error) && error.status < 500 ? "badRequest" : "server"} error={error} />;
}
