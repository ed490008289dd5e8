import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { useTranslation } from "react-i18next";
import { PasskeyRefused, completeRegistration, registrationOptions } from "~/back-office/passkeys.server";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { hasPasskey } from "~/back-office/staff-sessions.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { PasskeyRegistration } from "~/components/passkey";
import { safeRedirect } from "~/lib/safe-redirect";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("passkey.title") };
export const headers = routeHeaders;

const returnToOf = (url: string) => safeRedirect(new URL(url).searchParams.get("returnTo"), "/back-office");

/** At the first sign-in: every act of consequence is signed with this passkey later. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { passkeyRegistration: true });
  const returnTo = returnToOf(request.url);
  if (await hasPasskey(getDb(), staff.staffId)) return redirect(returnTo, { headers: { "Cache-Control": "no-store" } });
  const options = await registrationOptions(getDb(), getEnv(), {
    id: staff.staffId,
    subject: staff.session.staff.subject,
    displayName: staff.name,
  });
  return json({ options, returnTo }, { headers: { "Cache-Control": "no-store" } });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { passkeyRegistration: true });
  const form = await readForm(request);
  let response: RegistrationResponseJSON;
  try {
    response = JSON.parse(String(form.get("credential") ?? "")) as RegistrationResponseJSON;
    if (typeof response?.response?.clientDataJSON !== "string") throw new Error("not a registration");
  } catch {
    return json({ refused: true }, { status: 400 });
  }
  try {
    const { credentialId } = await completeRegistration(getDb(), getEnv(), staff.staffId, response);
    await auditStaffAct(staff, {
      action: "staff.passkey_registered",
      targetType: "staff",
      targetId: staff.staffId,
      details: { credentialId },
    });
  } catch (error) {
    if (!(error instanceof PasskeyRefused)) throw error;
    context.logger.warn({ reason: error.reason }, "passkey registration refused");
    return json({ refused: true }, { status: 400 });
  }
  return redirect(returnToOf(request.url), { status: 303, headers: { "Cache-Control": "no-store" } });
}

export default function PasskeyPage() {
  const { options } = useLoaderData<typeof loader>();
  const refused = useActionData<typeof action>()?.refused === true;
  const { t } = useTranslation("backOffice");
  return (
    <>
      <h1>{t("passkey.title")}</h1>
      {refused ? (
        <div className="error-summary" role="alert" tabIndex={-1}>
          <p>{t("passkey.failed", { reason: t("passkey.refused") })}</p>
        </div>
      ) : null}
      <p>{t("passkey.intro")}</p>
      <PasskeyRegistration options={options} />
    </>
  );
}
