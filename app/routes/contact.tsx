import { json, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ErrorSummary, SelectField, TextAreaField, TextField, type FieldError } from "~/components/forms";
import { FEEDBACK_FIELDS, FEEDBACK_TOPICS, type FeedbackField } from "~/domain/feedback";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { feedbackAgencies, parseFeedback, submitFeedback, type FeedbackErrors } from "~/feedback/feedback.server";
import { readForm } from "~/base/form.server";
import { getLocale } from "~/base/i18n.server";

export const handle: RouteHandle = { pageTitle: (t) => t("pages.contact.title") };
// Retry-After of a 429 reaches a form posted without JavaScript too.
export const headers = routeHeaders;

export async function action({ request, context }: ActionFunctionArgs) {
  const agencies = await feedbackAgencies(getDb());
  const parsed = parseFeedback(
    await readForm(request),
    agencies.map((agency) => agency.code),
  );
  if (!parsed.ok) return json({ errors: parsed.errors, values: parsed.values, retryInMinutes: null }, { status: 400 });
  const submitted = await submitFeedback(getDb(), parsed.input, {
    locale: await getLocale(request),
    requestId: context.requestId,
    clientAddress: context.clientAddress,
    limit: getEnv().RATE_LIMIT_FEEDBACK_PER_ADDRESS,
  });
  if (!submitted.ok) {
    context.logger.warn({ retryAfterSeconds: submitted.retryAfterSeconds }, "feedback refused: too many from this address");
    return json(
      { errors: {} as FeedbackErrors, values: parsed.values, retryInMinutes: Math.ceil(submitted.retryAfterSeconds / 60) },
      { status: 429, headers: { "Retry-After": String(submitted.retryAfterSeconds) } },
    );
  }
  context.logger.info({ reference: submitted.reference, topic: submitted.topic, agency: submitted.agencyCode }, "feedback received");
  return redirect(`/contact/thanks?ref=${encodeURIComponent(submitted.reference)}`, 303);
}

export async function loader(_: LoaderFunctionArgs) {
  return json({ agencies: await feedbackAgencies(getDb()) });
}

const fieldId = (field: FeedbackField) => `contact-${field}`;

export default function Contact() {
  const actionData = useActionData<typeof action>();
  const { agencies } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation();
  const errors = actionData?.errors ?? {};
  const values = actionData?.values;
  const message = (field: FeedbackField) => {
    const error = errors[field];
    return error ? t(`pages.contact.errors.${error.code}`, { count: error.count ?? 0 }) : undefined;
  };
  /** The props every field of the form takes from its name: id, name, what was sent, its problem. */
  const field = (f: FeedbackField) => ({ id: fieldId(f), name: f, defaultValue: values?.[f], error: message(f) });
  const retryInMinutes = actionData?.retryInMinutes;
  const summary: FieldError[] = [
    ...(retryInMinutes ? [{ message: t("pages.contact.errors.rateLimited", { count: retryInMinutes }) }] : []),
    ...FEEDBACK_FIELDS.flatMap((field) => {
      const text = message(field);
      return text ? [{ fieldId: fieldId(field), message: text }] : [];
    }),
  ];

  return (
    <>
      <ErrorSummary errors={summary} />
      <h1>{t("pages.contact.title")}</h1>
      <p className="lead">{t("pages.contact.intro")}</p>
      <p>{t("pages.contact.otherChannels")}</p>
      <p>{t("pages.contact.privacy")}</p>
      {/* noValidate: our own localized messages and summary instead of the browser's bubbles. */}
      <Form method="post" noValidate>
        <SelectField
          {...field("topic")}
          label={t("pages.contact.fields.topic")}
          placeholder={t("pages.contact.fields.topicPlaceholder")}
          options={FEEDBACK_TOPICS.map((topic) => ({ value: topic, label: t(`pages.contact.topics.${topic}`) }))}
          required
        />
        <SelectField
          {...field("agency")}
          label={t("pages.contact.fields.agency")}
          hint={t("pages.contact.fields.agencyHint")}
          placeholder={t("pages.contact.fields.agencyPlaceholder")}
          options={agencies.map((agency) => ({ value: agency.code, label: localized(agency, i18n.language) }))}
        />
        <TextField {...field("name")} label={t("pages.contact.fields.name")} autoComplete="name" required />
        <TextField
          {...field("email")}
          type="email"
          label={t("pages.contact.fields.email")}
          hint={t("pages.contact.fields.emailHint")}
          autoComplete="email"
          spellCheck={false}
          required
        />
        <TextField {...field("phone")} type="tel" label={t("pages.contact.fields.phone")} autoComplete="tel" />
        <TextAreaField
          {...field("message")}
          label={t("pages.contact.fields.message")}
          hint={t("pages.contact.fields.messageHint")}
          required
        />
        <button type="submit" className="button">
          {t("pages.contact.submit")}
        </button>
      </Form>
    </>
  );
}
