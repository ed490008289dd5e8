import { json, redirect, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { RECORDED_REPLY_CHANNELS } from "~/domain/feedback";
import { formatDateTime } from "~/domain/format";
import { inboxMessage, revealedSender, senderRevealTarget, workOnMessage, type InboxWorkResult } from "~/back-office/inbox.server";
import { answerRevealIntent, type RevealState } from "~/back-office/reveal.server";
import { forbidden, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { ErrorSummary, SelectField, TextAreaField, type FieldError } from "~/components/forms";
import { RevealPanel } from "~/components/back-office/reveal-panel";
import { localized } from "~/i18n";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import inboxStyles from "~/styles/back-office-inbox.css";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) => {
    const reference = (data as { message?: { reference: string } } | undefined)?.message?.reference;
    return reference ? t("inbox.messageTitle", { reference }) : t("inbox.title");
  },
};
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: inboxStyles }];

const noStore = { "Cache-Control": "no-store" };
const notFound = () => new Response("Not Found", { status: 404, headers: noStore });

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "inbox.view" });
  const message = await inboxMessage(getDb(), staff, params.messageId ?? "");
  if (!message) throw notFound();
  return json({ message }, { headers: noStore });
}

type ActionAnswer =
  | { reveal: RevealState; sender?: { name: string; email: string; phone: string | null } }
  | { work: Extract<InboxWorkResult, { kind: "invalid" }> };

export async function action({ request, context, params }: ActionFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "inbox.view" });
  const messageId = params.messageId ?? "";
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  if (intent === "reveal-prepare" || intent === "reveal-confirm") {
    const reveal = await senderRevealTarget(getDb(), staff, messageId);
    if (reveal === "not_found") throw notFound();
    if (!reveal) throw forbidden();
    const state = await answerRevealIntent(staff, reveal.target, form, reveal.actingFor);
    const sender = state.stage === "revealed" ? ((await revealedSender(getDb(), messageId)) ?? undefined) : undefined;
    return json<ActionAnswer>({ reveal: state, sender }, { headers: noStore });
  }
  const result = await workOnMessage(getDb(), staff, messageId, form, new Date(), getEnv());
  switch (result.kind) {
    case "done":
      return redirect(`/back-office/inbox/${messageId}?done=${result.intent}`, { status: 303, headers: noStore });
    case "invalid":
      return json<ActionAnswer>({ work: result }, { status: 400, headers: noStore });
    case "not_found":
      throw notFound();
    case "forbidden":
      throw forbidden();
    default:
      throw new Response("Bad Request", { status: 400, headers: noStore });
  }
}

export default function InboxMessagePage() {
  const { message } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>() as ActionAnswer | undefined;
  const [searchParams] = useSearchParams();
  const { t, i18n } = useTranslation("backOffice");
  const { t: common } = useTranslation();
  const locale = i18n.language;
  const reveal = answer && "reveal" in answer ? answer.reveal : undefined;
  const revealed = reveal?.stage === "revealed" && answer && "sender" in answer ? answer.sender : undefined;
  const work = answer && "work" in answer ? answer.work : undefined;
  const done = searchParams.get("done");

  const errorText = (code: string | undefined) => (code ? t(`inbox.errors.${code}` as "inbox.errors.noteRequired") : undefined);
  const fieldErrors: Record<string, string | undefined> = {
    status: work?.intent === "status" ? errorText(work.errors.status) : undefined,
    note: work?.intent === "note" ? errorText(work.errors.note) : undefined,
    "email-reply": work?.intent === "email_reply" ? errorText(work.errors.reply) : undefined,
    reply: work?.intent === "reply" ? errorText(work.errors.reply) : undefined,
    channel: work?.intent === "reply" ? errorText(work.errors.channel) : undefined,
  };
  const summary: FieldError[] = Object.entries(fieldErrors).flatMap(([field, text]) =>
    text ? [{ fieldId: `inbox-${field}`, message: text }] : [],
  );
  // What was typed goes back into the form it came from only.
  const typed = (field: "status" | "note" | "reply" | "channel", intent: string = field === "channel" ? "reply" : field) =>
    work?.intent === intent ? work.values[field] : undefined;
  const sender = revealed ?? message.sender;

  return (
    <>
      <ErrorSummary errors={summary} />
      <p>
        <Link to="/back-office/inbox">{t("inbox.backToList")}</Link>
      </p>
      <h1>{t("inbox.messageTitle", { reference: message.reference })}</h1>
      {done === "status" || done === "note" || done === "reply" || done === "email_reply" ? (
        <p role="status" className="notice">
          {t(`inbox.done.${done}`)}
        </p>
      ) : null}
      <dl>
        <dt>{t("inbox.reference")}</dt>
        <dd className="identifier">{message.reference}</dd>
        <dt>{t("inbox.receivedAt")}</dt>
        <dd>{formatDateTime(message.createdAt, locale)}</dd>
        <dt>{t("inbox.topic")}</dt>
        <dd>{common(`pages.contact.topics.${message.topic}`)}</dd>
        <dt>{t("inbox.agency")}</dt>
        <dd>
          {message.agencyNameZh && message.agencyNameEn
            ? localized({ nameZh: message.agencyNameZh, nameEn: message.agencyNameEn }, locale)
            : t("inbox.portalTeam")}
        </dd>
        <dt>{t("inbox.status")}</dt>
        <dd>{t(`inbox.statuses.${message.status}`)}</dd>
      </dl>

      <h2>{t("inbox.messageHeading")}</h2>
      <p className="inbox-message-text" lang={message.locale === "en" ? "en" : "zh-Hant-TW"}>
        {message.message}
      </p>

      <h2>{t("inbox.sender")}</h2>
      {revealed ? <p role="status">{t("reveal.revealedNotice")}</p> : <p>{t("inbox.senderMasked")}</p>}
      <dl>
        <dt>{t("inbox.senderName")}</dt>
        <dd>{sender.name}</dd>
        <dt>{t("inbox.senderEmail")}</dt>
        <dd>{sender.email}</dd>
        <dt>{t("inbox.senderPhone")}</dt>
        <dd>{sender.phone ?? t("inbox.noPhone")}</dd>
      </dl>
      {revealed ? null : message.may.reveal ? (
        <RevealPanel fieldsLabel={t("inbox.senderFields")} state={reveal?.stage === "revealed" ? undefined : reveal} />
      ) : (
        <p>{t("inbox.noReveal")}</p>
      )}

      <h2>{t("inbox.historyHeading")}</h2>
      {message.actions.length === 0 ? (
        <p>{t("inbox.noHistory")}</p>
      ) : (
        <ol className="inbox-history">
          {message.actions.map((act) => (
            <li key={act.id}>
              <p>
                <strong>{t(`inbox.kinds.${act.kind}`)}</strong>
                {act.kind === "status" && act.status ? ` ${t("inbox.statusTo", { status: t(`inbox.statuses.${act.status}`) })}` : null}
              </p>
              <p>
                {formatDateTime(act.createdAt, locale)}
                {" — "}
                {act.actingForName
                  ? t("inbox.historyByProxy", { name: act.staffName, principal: act.actingForName })
                  : t("inbox.historyBy", { name: act.staffName })}
              </p>
              {act.kind === "reply" && act.replyChannel ? (
                <p>{t("inbox.replyBy", { channel: t(`inbox.channels.${act.replyChannel}`) })}</p>
              ) : null}
              {act.body ? <p className="inbox-message-text">{act.body}</p> : null}
            </li>
          ))}
        </ol>
      )}

      {message.may.work ? (
        <div className="inbox-work">
          <h2>{t("inbox.workHeading")}</h2>
          <section aria-labelledby="inbox-status-heading">
            <h3 id="inbox-status-heading">{t("inbox.statusFormHeading")}</h3>
            {message.statusChanges.length === 0 ? (
              <p>{t("inbox.noStatusChange")}</p>
            ) : (
              <Form method="post" noValidate>
                <input type="hidden" name="intent" value="status" />
                <SelectField
                  id="inbox-status"
                  name="status"
                  label={t("inbox.statusNew")}
                  hint={t("inbox.statusHint")}
                  placeholder={t("inbox.choose")}
                  defaultValue={typed("status")}
                  error={fieldErrors.status}
                  options={message.statusChanges.map((status) => ({ value: status, label: t(`inbox.statuses.${status}`) }))}
                  required
                />
                <button type="submit" className="button">
                  {t("inbox.statusSubmit")}
                </button>
              </Form>
            )}
          </section>
          <section aria-labelledby="inbox-note-heading">
            <h3 id="inbox-note-heading">{t("inbox.noteFormHeading")}</h3>
            <Form method="post" noValidate>
              <input type="hidden" name="intent" value="note" />
              <TextAreaField
                id="inbox-note"
                name="note"
                label={t("inbox.note")}
                hint={t("inbox.noteHint")}
                rows={4}
                defaultValue={typed("note")}
                error={fieldErrors.note}
                required
              />
              <button type="submit" className="button">
                {t("inbox.noteSubmit")}
              </button>
            </Form>
          </section>
          <section aria-labelledby="inbox-email-reply-heading">
            <h3 id="inbox-email-reply-heading">{t("inbox.emailReplyFormHeading")}</h3>
            {message.mayReply ? (
              <>
                <p>{t("inbox.emailReplyIntro")}</p>
                <Form method="post" noValidate>
                  <input type="hidden" name="intent" value="email_reply" />
                  <TextAreaField
                    id="inbox-email-reply"
                    name="reply"
                    label={t("inbox.emailReply")}
                    hint={t("inbox.emailReplyHint")}
                    rows={8}
                    defaultValue={typed("reply", "email_reply")}
                    error={fieldErrors["email-reply"]}
                    required
                  />
                  <button type="submit" className="button">
                    {t("inbox.emailReplySubmit")}
                  </button>
                </Form>
              </>
            ) : (
              <p>{t("inbox.replyClosed")}</p>
            )}
          </section>
          <section aria-labelledby="inbox-reply-heading">
            <h3 id="inbox-reply-heading">{t("inbox.replyFormHeading")}</h3>
            {message.mayReply ? (
              <>
                <p>{t("inbox.replyIntro")}</p>
                <Form method="post" noValidate>
                  <input type="hidden" name="intent" value="reply" />
                  <TextAreaField
                    id="inbox-reply"
                    name="reply"
                    label={t("inbox.reply")}
                    hint={t("inbox.replyHint")}
                    rows={6}
                    defaultValue={typed("reply")}
                    error={fieldErrors.reply}
                    required
                  />
                  <SelectField
                    id="inbox-channel"
                    name="channel"
                    label={t("inbox.channel")}
                    placeholder={t("inbox.choose")}
                    defaultValue={typed("channel")}
                    error={fieldErrors.channel}
                    options={RECORDED_REPLY_CHANNELS.map((channel) => ({ value: channel, label: t(`inbox.channels.${channel}`) }))}
                    required
                  />
                  <button type="submit" className="button">
                    {t("inbox.replySubmit")}
                  </button>
                </Form>
              </>
            ) : (
              <p>{t("inbox.replyClosed")}</p>
            )}
          </section>
        </div>
      ) : (
        <p>{t("inbox.readOnly")}</p>
      )}
    </>
  );
}
