import { json, redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { getMemberSession } from "~/members/member-request.server";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.loggedOut.title") };
export const headers = routeHeaders;

export async function loader({ request }: LoaderFunctionArgs) {
  const idle = new URL(request.url).searchParams.get("reason") === "idle";
  // The idle warning sends here when its time is up; activity in another tab may have kept the session.
  if (idle && (await getMemberSession(request))) return redirect("/account", { headers: { "Cache-Control": "no-store" } });
  return json({ idle }, { headers: { "Cache-Control": "no-store" } });
}

export default function LoggedOut() {
  const { idle } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <div className="confirmation">
        <h1>{t(idle ? "member.loggedOut.idleHeading" : "member.loggedOut.heading")}</h1>
      </div>
      <p>{t(idle ? "member.loggedOut.idleText" : "member.loggedOut.text")}</p>
      <p>
        <a href="/login" className="button">
          {t("member.loggedOut.loginAgain")}
        </a>
      </p>
      <p>
        <Link to="/">{t("site.homeLink")}</Link>
      </p>
    </>
  );
}
