import { json, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { formatDateTime } from "~/domain/format";
import {
  agencyChoices,
  createStaff,
  listStaff,
  parseNewStaff,
  type NewStaffField,
  type StaffFormProblem,
} from "~/back-office/staff-admin.server";
import { requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import stylesheet from "~/styles/back-office-audit.css";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("admin.title") };
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context, { permission: "staff.manage" });
  const db = getDb();
  return json({ staff: await listStaff(db), agencies: await agencyChoices(db) }, { headers: { "Cache-Control": "no-store" } });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "staff.manage" });
  const db = getDb();
  const parsed = parseNewStaff(
    await readForm(request),
    (await agencyChoices(db)).map((a) => a.code),
  );
  const refused = (errors: Partial<Record<NewStaffField, StaffFormProblem>>) => json({ errors, values: parsed.values }, { status: 400 });
  if (!parsed.ok) return refused(parsed.errors);
  const created = await createStaff(db, staff, parsed.input);
  if (!created.ok) return refused({ subject: created.problem });
  return redirect(`/back-office/staff/${created.id}`, 303);
}

export default function StaffList() {
  const { staff, agencies } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const agencyName = (code: string | null) => {
    const agency = agencies.find((a) => a.code === code);
    return agency ? (i18n.language === "en" ? agency.nameEn : agency.nameZh) : t("admin.cityWide");
  };
  const message = (field: NewStaffField) => {
    const problem: StaffFormProblem | undefined = answer?.errors[field];
    return problem ? t(`admin.errors.${problem}`) : undefined;
  };
  const errors: FieldError[] = (["subject", "displayName", "agencyCode"] as const).flatMap((field) => {
    const text = message(field);
    return text ? [{ fieldId: `new-staff-${field}`, message: text }] : [];
  });
  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("admin.title")}</h1>
      <div className="table-scroll" role="region" aria-labelledby="staff-caption" tabIndex={0}>
        <table>
          <caption id="staff-caption">{t("admin.staffCaption", { count: staff.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("admin.columns.name")}</th>
              <th scope="col">{t("admin.columns.subject")}</th>
              <th scope="col">{t("admin.columns.agency")}</th>
              <th scope="col">{t("admin.columns.active")}</th>
              <th scope="col">{t("admin.columns.roles")}</th>
              <th scope="col">{t("admin.columns.lastSignIn")}</th>
            </tr>
          </thead>
          <tbody>
            {staff.map((person) => (
              <tr key={person.id}>
                <td>
                  <Link to={`/back-office/staff/${person.id}`}>{person.displayName}</Link>
                </td>
                <td>
                  <code className="identifier">{person.subject}</code>
                </td>
                <td>{agencyName(person.agencyCode)}</td>
                <td>{person.active ? t("admin.active") : t("admin.inactive")}</td>
                <td>
                  {person.roles.length === 0
                    ? t("admin.noRoles")
                    : person.roles.map((r) => `${t(`roles.${r.role}`)}${r.agencyCode ? `（${r.agencyCode}）` : ""}`).join("、")}
                </td>
                <td>{person.lastSignInAt ? formatDateTime(person.lastSignInAt, i18n.language) : t("admin.neverSignedIn")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2 id="new-staff-heading">{t("admin.addHeading")}</h2>
      <p>{t("admin.addIntro")}</p>
      <Form method="post" noValidate aria-labelledby="new-staff-heading">
        <TextField
          id="new-staff-subject"
          name="subject"
          label={t("admin.fields.subject")}
          hint={t("admin.fields.subjectHint")}
          defaultValue={answer?.values.subject}
          error={message("subject")}
          autoComplete="off"
          spellCheck={false}
          required
        />
        <TextField
          id="new-staff-displayName"
          name="displayName"
          label={t("admin.fields.name")}
          defaultValue={answer?.values.displayName}
          error={message("displayName")}
          autoComplete="off"
          required
        />
        <SelectField
          id="new-staff-agencyCode"
          name="agencyCode"
          label={t("admin.fields.agency")}
          hint={t("admin.fields.agencyHint")}
          placeholder={t("admin.cityWide")}
          defaultValue={answer?.values.agencyCode}
          error={message("agencyCode")}
          options={agencies.map((a) => ({ value: a.code, label: i18n.language === "en" ? a.nameEn : a.nameZh }))}
        />
        <button type="submit" className="button">
          {t("admin.add")}
        </button>
      </Form>
    </>
  );
}
