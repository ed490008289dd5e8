import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { AGENCY_KINDS } from "~/domain/catalogue";
import { createAgency, listAgenciesForAdmin, parseNewAgencyForm, type CatalogueProblem } from "~/agencies/catalogue-admin.server";
import { auditStaffAct, mayUse, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import { NEW_AGENCY_FIELDS, type NewAgencyField } from "~/lib/catalogue-forms";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { backOfficeTitle: (t) => t("catalogue.title") };
export const headers = routeHeaders;

/** The issuing agencies, each leading to its bill types and its integration (receiver, secrets, API keys). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "integrations.view" });
  const agencies = await listAgenciesForAdmin(getDb());
  await auditStaffAct(staff, { action: "catalogue.viewed", targetType: "catalogue" });
  return json({ agencies, canManage: mayUse(staff, "catalogue.manage") }, { headers: { "Cache-Control": "no-store" } });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "catalogue.manage" });
  const parsed = parseNewAgencyForm(await readForm(request));
  let errors: Partial<Record<NewAgencyField, CatalogueProblem>> = parsed.ok ? {} : parsed.errors;
  if (parsed.ok) {
    const created = await createAgency(getDb(), { staffId: staff.staffId, requestId: staff.requestId }, parsed.input);
    if (created.ok) return redirect(`/back-office/catalogue/${parsed.input.code}?created=1`, { status: 303 });
    errors = { code: created.refusal };
  }
  return json({ errors, values: parsed.values }, { status: 400, headers: { "Cache-Control": "no-store" } });
}

export default function CatalogueAgencies() {
  const { agencies, canManage } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const errors: FieldError[] = NEW_AGENCY_FIELDS.flatMap((field) => {
    const problem = answer?.errors[field];
    return problem ? [{ fieldId: `new-agency-${field}`, message: t(`catalogue.errors.${problem}`, { count: 0 }) }] : [];
  });
  const errorOf = (field: NewAgencyField) => errors.find((e) => e.fieldId === `new-agency-${field}`)?.message;
  const values = answer?.values;
  return (
    <>
      <ErrorSummary errors={errors} />
      <h1>{t("catalogue.title")}</h1>
      <p>{t("catalogue.intro")}</p>
      <div className="table-scroll" role="region" aria-labelledby="agencies-caption" tabIndex={0}>
        <table>
          <caption id="agencies-caption">{t("catalogue.agenciesCaption", { count: agencies.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("catalogue.columns.agency")}</th>
              <th scope="col">{t("catalogue.columns.code")}</th>
              <th scope="col">{t("catalogue.columns.billTypes")}</th>
              <th scope="col">{t("catalogue.columns.order")}</th>
              <th scope="col">{t("catalogue.columns.integration")}</th>
            </tr>
          </thead>
          <tbody>
            {agencies.map((agency) => {
              const name = i18n.language === "en" ? agency.nameEn : agency.nameZh;
              return (
                <tr key={agency.code}>
                  <td>
                    <Link to={`/back-office/catalogue/${agency.code}`}>{name}</Link>
                  </td>
                  <td>
                    <code className="identifier">{agency.code}</code>
                  </td>
                  <td>{agency.billTypes}</td>
                  <td>{agency.sortOrder}</td>
                  <td>
                    <Link to={`/back-office/catalogue/${agency.code}/integration`}>
                      {t("catalogue.integrationLink")}
                      <span className="visually-hidden"> {name}</span>
                    </Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {canManage ? (
        <>
          <h2 id="new-agency-heading">{t("catalogue.newAgencyHeading")}</h2>
          <Form method="post" noValidate aria-labelledby="new-agency-heading">
            <TextField
              id="new-agency-code"
              name="code"
              label={t("catalogue.fields.agencyCode")}
              hint={t("catalogue.fields.agencyCodeHint")}
              defaultValue={values?.code}
              error={errorOf("code")}
              maxLength={32}
              required
            />
            <SelectField
              id="new-agency-kind"
              name="kind"
              label={t("catalogue.fields.kind")}
              placeholder="—"
              defaultValue={values?.kind}
              error={errorOf("kind")}
              options={AGENCY_KINDS.map((kind) => ({ value: kind, label: t(`catalogue.kinds.${kind}`) }))}
              required
            />
            <TextField
              id="new-agency-nameZh"
              name="nameZh"
              label={t("catalogue.fields.nameZh")}
              defaultValue={values?.nameZh}
              error={errorOf("nameZh")}
              required
            />
            <TextField
              id="new-agency-nameEn"
              name="nameEn"
              label={t("catalogue.fields.nameEn")}
              defaultValue={values?.nameEn}
              error={errorOf("nameEn")}
              required
            />
            <TextField
              id="new-agency-phone"
              name="phone"
              type="tel"
              label={t("catalogue.fields.phone")}
              hint={t("catalogue.fields.phoneHint")}
              defaultValue={values?.phone}
              error={errorOf("phone")}
            />
            <TextField
              id="new-agency-websiteUrl"
              name="websiteUrl"
              label={t("catalogue.fields.websiteUrl")}
              hint={t("catalogue.fields.websiteUrlHint")}
              defaultValue={values?.websiteUrl}
              error={errorOf("websiteUrl")}
            />
            <TextField
              id="new-agency-sortOrder"
              name="sortOrder"
              inputMode="numeric"
              label={t("catalogue.fields.sortOrder")}
              hint={t("catalogue.fields.sortOrderHint")}
              defaultValue={values?.sortOrder ?? String(agencies.length)}
              error={errorOf("sortOrder")}
              required
            />
            <button type="submit" className="button">
              {t("catalogue.addAgency")}
            </button>
          </Form>
        </>
      ) : null}
    </>
  );
}
