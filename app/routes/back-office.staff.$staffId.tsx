import { json, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { STAFF_ROLES } from "~/domain/staff";
import { formatDateTime } from "~/domain/format";
import { answerProxyIntent, proxiesOf, proxyChoices, type ProxyFormAnswer } from "~/back-office/proxies.server";
import {
  agencyChoices,
  grantRole,
  parseRoleGrant,
  revokeRole,
  setStaffActive,
  staffMember,
  type RoleGrantField,
  type StaffFormProblem,
} from "~/back-office/staff-admin.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ProxyForm, ProxyTable } from "~/components/back-office/proxies";
import { ErrorSummary, SelectField, type FieldError } from "~/components/forms";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import stylesheet from "~/styles/back-office-audit.css";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) => (data as { person?: { displayName: string } } | undefined)?.person?.displayName ?? t("admin.title"),
};
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

const notFound = () => new Response("Not found", { status: 404 });

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  await requireStaff(request, context, { permission: "staff.manage" });
  const db = getDb();
  const person = await staffMember(db, params.staffId ?? "");
  if (!person) throw notFound();
  return json(
    { person, agencies: await agencyChoices(db), periods: await proxiesOf(db, person.id), choices: await proxyChoices(db, person.id) },
    { headers: { "Cache-Control": "no-store" } },
  );
}

type Answer = {
  done: string | null;
  refusal: string | null;
  grant: { errors: Partial<Record<RoleGrantField, StaffFormProblem>>; values: Record<RoleGrantField, string> } | null;
  proxy: ProxyFormAnswer | null;
};

export async function action({ request, context, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "staff.manage" });
  const db = getDb();
  const staffId = params.staffId ?? "";
  if (!(await staffMember(db, staffId))) throw notFound();
  const form = await readForm(request);
  const answer: Answer = { done: null, refusal: null, grant: null, proxy: null };
  switch (form.get("intent")) {
    case "grant-role": {
      const parsed = parseRoleGrant(
        form,
        (await agencyChoices(db)).map((a) => a.code),
      );
      if (!parsed.ok) return json({ ...answer, grant: { errors: parsed.errors, values: parsed.values } }, { status: 400 });
      const granted = await grantRole(db, staff, staffId, parsed.input);
      if (!granted.ok) {
        if (granted.refusal !== "already_held" && granted.refusal !== "other_agency") throw notFound();
        const errors: Partial<Record<RoleGrantField, StaffFormProblem>> =
          granted.refusal === "other_agency" ? { agencyCode: "agencyNotTheirs" } : { role: "alreadyHeld" };
        return json({ ...answer, grant: { errors, values: parsed.values } }, { status: 400 });
      }
      return json({ ...answer, done: "roleGranted" });
    }
    case "revoke-role": {
      const revoked = await revokeRole(db, staff, staffId, String(form.get("grantId") ?? ""));
      return revoked.ok ? json({ ...answer, done: "roleRevoked" }) : json({ ...answer, refusal: revoked.refusal }, { status: 400 });
    }
    case "deactivate":
    case "reactivate": {
      const changed = await setStaffActive(db, staff, staffId, form.get("intent") === "reactivate");
      return changed.ok
        ? json({ ...answer, done: form.get("intent") === "reactivate" ? "reactivated" : "deactivated" })
        : json({ ...answer, refusal: changed.refusal }, { status: 400 });
    }
    default: {
      const proxied = await answerProxyIntent(db, staff, staffId, form, { anyPeriod: true });
      if (!proxied) throw new Response("Bad request", { status: 400 });
      return json({ ...answer, ...proxied }, { status: proxied.proxy ? 400 : 200 });
    }
  }
}

export default function StaffMemberPage() {
  const { person, agencies, periods, choices } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const agencyName = (code: string | null) => {
    const agency = agencies.find((a) => a.code === code);
    return agency ? (i18n.language === "en" ? agency.nameEn : agency.nameZh) : t("admin.cityWide");
  };
  const grantMessage = (field: RoleGrantField) => {
    const problem: StaffFormProblem | undefined = answer?.grant?.errors[field];
    return problem ? t(`admin.errors.${problem}`) : undefined;
  };
  const grantErrors: FieldError[] = (["role", "agencyCode"] as const).flatMap((field) => {
    const text = grantMessage(field);
    return text ? [{ fieldId: `grant-${field}`, message: text }] : [];
  });
  return (
    <>
      <p>
        <Link to="/back-office/staff">{t("admin.backToList")}</Link>
      </p>
      <h1>{person.displayName}</h1>
      {answer?.done ? (
        <p role="status" className="notice">
          {t(`admin.done.${answer.done}` as "admin.done.roleGranted")}
        </p>
      ) : null}
      {answer?.refusal ? (
        <p role="alert" className="field-error-text">
          {t(`admin.refusals.${answer.refusal}` as "admin.refusals.not_found")}
        </p>
      ) : null}
      <dl>
        <dt>{t("admin.columns.subject")}</dt>
        <dd>
          <code className="identifier">{person.subject}</code>
        </dd>
        <dt>{t("admin.columns.agency")}</dt>
        <dd>{agencyName(person.agencyCode)}</dd>
        <dt>{t("admin.columns.active")}</dt>
        <dd>{person.active ? t("admin.active") : t("admin.inactive")}</dd>
        <dt>{t("admin.columns.lastSignIn")}</dt>
        <dd>{person.lastSignInAt ? formatDateTime(person.lastSignInAt, i18n.language) : t("admin.neverSignedIn")}</dd>
      </dl>
      <Form method="post">
        <input type="hidden" name="intent" value={person.active ? "deactivate" : "reactivate"} />
        <button type="submit" className="button button-secondary">
          {person.active ? t("admin.deactivate") : t("admin.reactivate")}
        </button>
      </Form>

      <h2>{t("admin.rolesHeading")}</h2>
      {person.roles.length === 0 ? (
        <p>{t("admin.noRoles")}</p>
      ) : (
        <ul>
          {person.roles.map((grant) => (
            <li key={grant.id}>
              {t(`roles.${grant.role}`)}
              {grant.agencyCode ? `（${agencyName(grant.agencyCode)}）` : null} —{" "}
              {t("admin.grantedAt", { time: formatDateTime(grant.grantedAt, i18n.language) })}{" "}
              <Form method="post" className="inline-form">
                <input type="hidden" name="intent" value="revoke-role" />
                <input type="hidden" name="grantId" value={grant.id} />
                <button type="submit" className="button button-secondary">
                  {t("admin.revokeRole")}
                  <span className="visually-hidden"> {t(`roles.${grant.role}`)}</span>
                </button>
              </Form>
            </li>
          ))}
        </ul>
      )}

      <h2 id="grant-heading">{t("admin.grantHeading")}</h2>
      <ErrorSummary errors={grantErrors} />
      <Form method="post" noValidate aria-labelledby="grant-heading">
        <input type="hidden" name="intent" value="grant-role" />
        <SelectField
          id="grant-role"
          name="role"
          label={t("admin.fields.role")}
          placeholder="—"
          defaultValue={answer?.grant?.values.role}
          error={grantMessage("role")}
          options={STAFF_ROLES.map((role) => ({ value: role, label: t(`roles.${role}`) }))}
          required
        />
        <SelectField
          id="grant-agencyCode"
          name="agencyCode"
          label={t("admin.fields.roleAgency")}
          hint={t("admin.fields.roleAgencyHint")}
          placeholder={t("admin.cityWide")}
          defaultValue={answer?.grant?.values.agencyCode ?? person.agencyCode ?? ""}
          error={grantMessage("agencyCode")}
          options={agencies.map((a) => ({ value: a.code, label: i18n.language === "en" ? a.nameEn : a.nameZh }))}
        />
        <button type="submit" className="button">
          {t("admin.grant")}
        </button>
      </Form>

      <h2>{t("admin.proxiesHeading")}</h2>
      <ProxyTable id="staff-proxies-given" caption={t("proxies.givenCaption")} periods={periods.given} revocable otherParty="proxy" />
      <ProxyTable
        id="staff-proxies-received"
        caption={t("proxies.receivedCaption")}
        periods={periods.received}
        revocable
        otherParty="principal"
      />
      <h3>{t("admin.setProxyHeading", { name: person.displayName })}</h3>
      <ProxyForm choices={choices} state={answer?.proxy ?? undefined} />
    </>
  );
}
