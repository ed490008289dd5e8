import { json, redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { LookupForm } from "~/components/lookup-form";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { issueCaptcha } from "~/lookup/captcha.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { openBillLink } from "~/lookup/lookup.server";
import { commitVisitorSession, getVisitorSession, grantBill, visitorId } from "~/base/session.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("qrLink.title") };
export const headers = routeHeaders;

/**
 * A paper bill's QR code opens this page. A genuine link opens the bill
 * without a captcha; anything else gets an explanation and the normal
 * look-up form, never the bill.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const env = getEnv();
  const outcome = await openBillLink(getDb(), { env, logger: context.logger }, new URL(request.url).searchParams);
  const session = await getVisitorSession(request);
  if (outcome.kind === "found") {
    grantBill(session, outcome.bill.id, "qr_link");
    return redirect("/bills", { status: 303, headers: { "Set-Cookie": await commitVisitorSession(session) } });
  }
  const billType = outcome.billType;
  return json(
    {
      reason: outcome.reason,
      writeOffNumber: outcome.writeOffNumber,
      billType: billType && {
        code: billType.code,
        nameZh: billType.nameZh,
        nameEn: billType.nameEn,
        writeOffHintZh: billType.writeOffHintZh,
        writeOffHintEn: billType.writeOffHintEn,
      },
      captchaToken: billType ? issueCaptcha(env.CAPTCHA_SECRET, visitorId(session)).token : null,
      memberLogin: env.oidc !== null,
    },
    { status: 400, headers: { "Set-Cookie": await commitVisitorSession(session), "Cache-Control": "no-store" } },
  );
}

export default function BillLink() {
  const { reason, writeOffNumber, billType, captchaToken, memberLogin } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  return (
    <>
      <h1>{t("qrLink.heading")}</h1>
      <div className="notice notice-warning">
        <p>{t(`qrLink.reasons.${reason}`)}</p>
        <p>{t("qrLink.whatToDo")}</p>
      </div>
      {billType && captchaToken ? (
        <>
          <h2>{t("lookup.pageHeading", { billType: localized(billType, i18n.language) })}</h2>
          <LookupForm
            billType={billType}
            captchaToken={captchaToken}
            values={{ writeOffNumber: writeOffNumber ?? "" }}
            memberLogin={memberLogin}
          />
        </>
      ) : (
        <p>
          <Link to="/lookup">{t("lookup.chooseTitle")}</Link>
        </p>
      )}
    </>
  );
}
