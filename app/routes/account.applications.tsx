import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { CaseCard } from "~/components/case-card";
import type { CaseView } from "~/cases/cases.server";
import { applicationsOfMember } from "~/members/applications.server";
import { requireMember } from "~/members/member-request.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("member.applications.title") };
export const headers = routeHeaders;

const PATH = "/account/applications";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireMember(request);
  const applications = await applicationsOfMember({ db: getDb(), env: getEnv(), logger: context.logger }, session.member);
  return json({ applications }, { headers: { "Cache-Control": "private, no-store" } });
}

export default function Applications() {
  const { applications } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  return (
    <>
      <h1>{t("member.applications.title")}</h1>
      <p className="lead">{t("member.applications.intro")}</p>
      {applications.state === "answered" ? (
        <CaseList cases={applications.cases} />
      ) : applications.state === "unavailable" ? (
        <div className="notice notice-warning" role="status">
          <h2>{t("member.applications.unavailableHeading")}</h2>
          <p>{t("member.applications.unavailableText")}</p>
          <p>
            <a href={PATH}>{t("member.applications.tryAgain")}</a>
          </p>
        </div>
      ) : applications.state === "not_verified" ? (
        <div className="notice">
          <h2>{t("member.applications.notVerifiedHeading")}</h2>
          <p>{t("member.applications.notVerifiedText")}</p>
          <p>
            <Link to="/applications">{t("member.applications.publicQuery")}</Link>
          </p>
        </div>
      ) : applications.state === "sign_in_again" ? (
        <div className="notice">
          <p>{t("member.applications.signInAgainText")}</p>
          <p>
            <a href={`/login?returnTo=${encodeURIComponent(PATH)}`}>{t("member.applications.signInAgain")}</a>
          </p>
        </div>
      ) : (
        <p className="notice">{t("member.applications.notConfigured")}</p>
      )}
      <p>
        <Link to="/account">{t("member.applications.backToAccount")}</Link>
      </p>
    </>
  );
}

function CaseList({ cases }: { cases: CaseView[] }) {
  const { t } = useTranslation();
  if (cases.length === 0) return <p>{t("member.applications.none")}</p>;
  return (
    <>
      <p>{t("member.applications.count", { count: cases.length })}</p>
      {cases.map((found) => (
        <CaseCard key={found.caseNumber} found={found} audience="member" />
      ))}
    </>
  );
}
