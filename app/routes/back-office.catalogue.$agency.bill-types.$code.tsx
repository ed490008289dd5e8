import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { BILL_CATEGORIES, SUBJECT_KINDS } from "~/domain/catalogue";
import { PAYMENT_TOOLS } from "~/domain/payment-tools";
import { WRITE_OFF_CHARSETS, WRITE_OFF_CHECKS } from "~/domain/write-off-number";
import {
  agencyForAdmin,
  billTypeForAdmin,
  parseBillTypeForm,
  saveBillType,
  type BillTypeAdmin,
  type CatalogueProblem,
} from "~/agencies/catalogue-admin.server";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, SelectField, TextField, type FieldError } from "~/components/forms";
import { BILL_TYPE_FIELDS, type BillTypeField } from "~/lib/catalogue-forms";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) =>
    (data as { billType?: { nameZh: string } | null } | undefined)?.billType?.nameZh ?? t("catalogue.newBillType"),
};
export const headers = routeHeaders;

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not found", { status: 404, headers: noStore });

/** The agency, and the bill type edited (null: a new one, at …/bill-types/new). */
async function target(params: { agency?: string; code?: string }) {
  const db = getDb();
  const found = await agencyForAdmin(db, params.agency ?? "");
  if (!found) throw notFound();
  if (params.code === "new") return { agency: found.agency, billType: null };
  const billType = await billTypeForAdmin(db, found.agency.code, params.code ?? "");
  if (!billType) throw notFound();
  return { agency: found.agency, billType };
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "catalogue.manage" });
  const { agency, billType } = await target(params);
  if (billType) await auditStaffAct(staff, { action: "catalogue.bill_type_viewed", targetType: "bill_type", targetId: billType.code });
  return json({ agency: { code: agency.code, nameZh: agency.nameZh, nameEn: agency.nameEn }, billType }, { headers: noStore });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "catalogue.manage" });
  const { agency, billType } = await target(params);
  const parsed = parseBillTypeForm(await readForm(request), billType?.code ?? null);
  if (!parsed.ok) return json({ errors: parsed.errors, values: parsed.values, strandedBills: null }, { status: 400, headers: noStore });
  const saved = await saveBillType(
    getDb(),
    { staffId: staff.staffId, requestId: staff.requestId },
    agency.code,
    billType?.code ?? null,
    parsed.input,
  );
  if (!saved.ok) {
    if (saved.refusal.field === null) throw notFound();
    const errors: Partial<Record<BillTypeField, CatalogueProblem>> = { [saved.refusal.field]: saved.refusal.problem };
    return json({ errors, values: parsed.values, strandedBills: saved.refusal.strandedBills ?? null }, { status: 400, headers: noStore });
  }
  return redirect(`/back-office/catalogue/${agency.code}?saved=${saved.code}`, { status: 303, headers: noStore });
}

function savedValues(billType: BillTypeAdmin | null): Record<BillTypeField, string> {
  if (!billType)
    return {
      ...(Object.fromEntries(BILL_TYPE_FIELDS.map((field) => [field, ""])) as Record<BillTypeField, string>),
      writeOffCheck: "none",
      active: "on",
      sortOrder: "0",
    };
  return {
    code: billType.code,
    nameZh: billType.nameZh,
    nameEn: billType.nameEn,
    category: billType.category,
    subjectKind: billType.subjectKind,
    collectionItemCode: billType.collectionItemCode,
    writeOffPrefix: billType.writeOffRule.prefix,
    writeOffLength: String(billType.writeOffRule.length),
    writeOffCharset: billType.writeOffRule.charset,
    writeOffCheck: billType.writeOffRule.check,
    writeOffHintZh: billType.writeOffHintZh,
    writeOffHintEn: billType.writeOffHintEn,
    paymentTools: billType.paymentTools.join(","),
    active: billType.active ? "on" : "",
    sortOrder: String(billType.sortOrder),
  };
}

export default function BillTypeFormPage() {
  const { agency, billType } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const values = answer?.values ?? savedValues(billType);
  const errors: FieldError[] = BILL_TYPE_FIELDS.flatMap((field) => {
    const problem = answer?.errors[field];
    return problem
      ? [{ fieldId: `bill-type-${field}`, message: t(`catalogue.errors.${problem}`, { count: answer?.strandedBills ?? 0 }) }]
      : [];
  });
  const errorOf = (field: BillTypeField) => errors.find((e) => e.fieldId === `bill-type-${field}`)?.message;
  const chosenTools = values.paymentTools.split(",");
  const title = billType ? (i18n.language === "en" ? billType.nameEn : billType.nameZh) : t("catalogue.newBillType");
  const field = (name: BillTypeField, extra: { hint?: string; required?: boolean; inputMode?: "numeric"; maxLength?: number } = {}) => (
    <TextField
      id={`bill-type-${name}`}
      name={name}
      label={t(`catalogue.fields.${name}`)}
      defaultValue={values[name]}
      error={errorOf(name)}
      required={extra.required ?? true}
      {...extra}
    />
  );
  return (
    <>
      <p>
        <Link to={`/back-office/catalogue/${agency.code}`}>{i18n.language === "en" ? agency.nameEn : agency.nameZh}</Link>
      </p>
      <ErrorSummary errors={errors} />
      <h1>{title}</h1>
      <Form method="post" noValidate>
        {billType ? (
          <p>
            {t("catalogue.fields.code")}: <code className="identifier">{billType.code}</code>
          </p>
        ) : (
          field("code", { hint: t("catalogue.fields.codeHint"), maxLength: 40 })
        )}
        {field("nameZh")}
        {field("nameEn")}
        <SelectField
          id="bill-type-category"
          name="category"
          label={t("catalogue.fields.category")}
          placeholder="—"
          defaultValue={values.category}
          error={errorOf("category")}
          options={BILL_CATEGORIES.map((category) => ({ value: category, label: t(`catalogue.categories.${category}`) }))}
          required
        />
        <SelectField
          id="bill-type-subjectKind"
          name="subjectKind"
          label={t("catalogue.fields.subjectKind")}
          placeholder="—"
          defaultValue={values.subjectKind}
          error={errorOf("subjectKind")}
          options={SUBJECT_KINDS.map((kind) => ({ value: kind, label: t(`catalogue.subjectKinds.${kind}`) }))}
          required
        />
        {field("collectionItemCode", { hint: t("catalogue.fields.collectionItemCodeHint"), maxLength: 3 })}
        <fieldset>
          <legend>{t("catalogue.ruleHeading")}</legend>
          <p className="hint">{t("catalogue.ruleIntro")}</p>
          {field("writeOffPrefix", { hint: t("catalogue.fields.writeOffPrefixHint"), required: false, maxLength: 4 })}
          {field("writeOffLength", { hint: t("catalogue.fields.writeOffLengthHint"), inputMode: "numeric", maxLength: 2 })}
          <SelectField
            id="bill-type-writeOffCharset"
            name="writeOffCharset"
            label={t("catalogue.fields.writeOffCharset")}
            placeholder="—"
            defaultValue={values.writeOffCharset}
            error={errorOf("writeOffCharset")}
            options={WRITE_OFF_CHARSETS.map((charset) => ({ value: charset, label: t(`catalogue.charsets.${charset}`) }))}
            required
          />
          <SelectField
            id="bill-type-writeOffCheck"
            name="writeOffCheck"
            label={t("catalogue.fields.writeOffCheck")}
            placeholder="—"
            defaultValue={values.writeOffCheck}
            error={errorOf("writeOffCheck")}
            options={WRITE_OFF_CHECKS.map((check) => ({ value: check, label: t(`catalogue.checks.${check}`) }))}
            required
          />
        </fieldset>
        {field("writeOffHintZh", { hint: t("catalogue.fields.writeOffHintHint") })}
        {field("writeOffHintEn", { hint: t("catalogue.fields.writeOffHintHint") })}
        <fieldset
          id="bill-type-paymentTools"
          tabIndex={-1}
          aria-describedby={errorOf("paymentTools") ? "bill-type-paymentTools-error" : undefined}
          className={errorOf("paymentTools") ? "form-group form-group-error" : "form-group"}
        >
          <legend>{t("catalogue.fields.paymentTools")}</legend>
          {errorOf("paymentTools") ? (
            <span id="bill-type-paymentTools-error" className="field-error">
              {errorOf("paymentTools")}
            </span>
          ) : null}
          {PAYMENT_TOOLS.map((tool) => (
            <div key={tool} className="checkbox">
              <input type="checkbox" id={`tool-${tool}`} name="paymentTools" value={tool} defaultChecked={chosenTools.includes(tool)} />
              <label htmlFor={`tool-${tool}`}>{common(`paymentTools.${tool}`)}</label>
            </div>
          ))}
        </fieldset>
        <div className="checkbox">
          <input type="checkbox" id="bill-type-active" name="active" defaultChecked={values.active === "on" || values.active === "true"} />
          <label htmlFor="bill-type-active">{t("catalogue.fields.active")}</label>
        </div>
        {field("sortOrder", { hint: t("catalogue.fields.sortOrderHint"), inputMode: "numeric", maxLength: 4 })}
        <button type="submit" className="button">
          {t("catalogue.save")}
        </button>
      </Form>
    </>
  );
}
