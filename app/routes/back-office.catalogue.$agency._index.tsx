import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { agencyForAdmin, parseAgencyForm, updateAgency, type CatalogueProblem } from "~/agencies/catalogue-admin.server";
import { auditStaffAct, mayUse, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, TextField, type FieldError } from "~/components/forms";
import { AGENCY_FIELDS, type AgencyField } from "~/lib/catalogue-forms";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) => (data as { agency?: { nameZh: string } } | undefined)?.agency?.nameZh ?? t("catalogue.title"),
};
export const headers = routeHeaders;

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not found", { status: 404, headers: noStore });

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "integrations.view" });
  const found = await agencyForAdmin(getDb(), params.agency ?? "");
  if (!found) throw notFound();
  await auditStaffAct(staff, { action: "catalogue.agency_viewed", targetType: "agency", targetId: found.agency.code });
  const query = new URL(request.url).searchParams;
  const saved = query.get("saved");
  const created = query.get("created") === "1";
  const savedBillType = found.billTypes.find((type) => type.code === saved)?.code ?? null;
  return json({ ...found, savedBillType, created, canManage: mayUse(staff, "catalogue.manage") }, { headers: noStore });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "catalogue.manage" });
  const db = getDb();
  const found = await agencyForAdmin(db, params.agency ?? "");
  if (!found) throw notFound();
  const parsed = parseAgencyForm(await readForm(request));
  const errors: Partial<Record<AgencyField, CatalogueProblem>> = parsed.ok ? {} : parsed.errors;
  if (!parsed.ok) return json({ errors, values: parsed.values, saved: false }, { status: 400, headers: noStore });
  const updated = await updateAgency(db, { staffId: staff.staffId, requestId: staff.requestId }, found.agency.code, parsed.input);
  if (!updated.ok) throw notFound();
  return json({ errors, values: parsed.values, saved: true }, { headers: noStore });
}

export default function CatalogueAgency() {
  const { agency, billTypes, savedBillType, created, canManage } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const en = i18n.language === "en";
  const errors: FieldError[] = AGENCY_FIELDS.flatMap((field) => {
    const problem = answer?.errors[field];
    return problem ? [{ fieldId: `agency-${field}`, message: t(`catalogue.errors.${problem}`) }] : [];
  });
  const errorOf = (field: AgencyField) => errors.find((e) => e.fieldId === `agency-${field}`)?.message;
  const value = (field: AgencyField, saved: string) => (answer && !answer.saved ? answer.values[field] : saved);
  return (
    <>
      <p>
        <Link to="/back-office/catalogue">{t("catalogue.backToList")}</Link>
      </p>
      <ErrorSummary errors={errors} />
      <h1>{en ? agency.nameEn : agency.nameZh}</h1>
      {created && !answer ? (
        <p role="status" className="notice">
          {t("catalogue.done.agencyCreated", { code: agency.code })}
        </p>
      ) : null}
      {answer?.saved || (savedBillType && !answer) ? (
        <p role="status" className="notice">
          {answer?.saved ? t("catalogue.done.agencySaved") : t("catalogue.done.billTypeSaved", { code: savedBillType })}
        </p>
      ) : null}
      <p>
        <Link to={`/back-office/catalogue/${agency.code}/integration`}>{t("catalogue.integrationLink")}</Link>
      </p>

      <h2 id="bill-types-heading">{t("catalogue.billTypesHeading")}</h2>
      <div className="table-scroll" role="region" aria-labelledby="bill-types-caption" tabIndex={0}>
        <table>
          <caption id="bill-types-caption">{t("catalogue.billTypesCaption", { count: billTypes.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("catalogue.columns.billType")}</th>
              <th scope="col">{t("catalogue.columns.code")}</th>
              <th scope="col">{t("catalogue.columns.collectionItemCode")}</th>
              <th scope="col">{t("catalogue.columns.rule")}</th>
              <th scope="col">{t("catalogue.columns.tools")}</th>
              <th scope="col">{t("catalogue.columns.active")}</th>
            </tr>
          </thead>
          <tbody>
            {billTypes.map((type) => (
              <tr key={type.code}>
                <td>
                  <Link to={`/back-office/catalogue/${agency.code}/bill-types/${type.code}`}>{en ? type.nameEn : type.nameZh}</Link>
                </td>
                <td>
                  <code className="identifier">{type.code}</code>
                </td>
                <td>
                  <code className="identifier">{type.collectionItemCode}</code>
                </td>
                <td>
                  {t("catalogue.ruleSummary", {
                    prefix: type.writeOffRule.prefix || "—",
                    length: type.writeOffRule.length,
                    charset: t(`catalogue.charsets.${type.writeOffRule.charset}`),
                    check: t(`catalogue.checks.${type.writeOffRule.check}`),
                  })}
                </td>
                <td>{type.paymentTools.map((tool) => common(`paymentTools.${tool}`)).join(en ? ", " : "、")}</td>
                <td>{type.active ? t("catalogue.offered") : t("catalogue.notOffered")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canManage ? (
        <p>
          <Link to={`/back-office/catalogue/${agency.code}/bill-types/new`} className="button button-secondary">
            {t("catalogue.newBillType")}
          </Link>
        </p>
      ) : null}

      {canManage ? (
        <>
          <h2 id="agency-form-heading">{t("catalogue.agencyHeading")}</h2>
          <Form method="post" noValidate aria-labelledby="agency-form-heading">
            <TextField
              id="agency-nameZh"
              name="nameZh"
              label={t("catalogue.fields.nameZh")}
              defaultValue={value("nameZh", agency.nameZh)}
              error={errorOf("nameZh")}
              required
            />
            <TextField
              id="agency-nameEn"
              name="nameEn"
              label={t("catalogue.fields.nameEn")}
              defaultValue={value("nameEn", agency.nameEn)}
              error={errorOf("nameEn")}
              required
            />
            <TextField
              id="agency-phone"
              name="phone"
              type="tel"
              label={t("catalogue.fields.phone")}
              hint={t("catalogue.fields.phoneHint")}
              defaultValue={value("phone", agency.phone ?? "")}
              error={errorOf("phone")}
            />
            <TextField
              id="agency-websiteUrl"
              name="websiteUrl"
              label={t("catalogue.fields.websiteUrl")}
              hint={t("catalogue.fields.websiteUrlHint")}
              defaultValue={value("websiteUrl", agency.websiteUrl ?? "")}
              error={errorOf("websiteUrl")}
            />
            <TextField
              id="agency-sortOrder"
              name="sortOrder"
              inputMode="numeric"
              label={t("catalogue.fields.sortOrder")}
              hint={t("catalogue.fields.sortOrderHint")}
              defaultValue={value("sortOrder", String(agency.sortOrder))}
              error={errorOf("sortOrder")}
              required
            />
            <button type="submit" className="button">
              {t("catalogue.save")}
            </button>
          </Form>
        </>
      ) : null}
    </>
  );
}
