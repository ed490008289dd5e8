import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { viewMail } from "~/back-office/mail-log.server";
import { mayUse, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { DetailRow } from "~/components/detail-row";
import { StackedCell } from "~/components/stacked-cell";
import { formatDateTime } from "~/domain/format";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import styles from "~/styles/back-office-payments.css";

export const handle: RouteHandle = {
  backOfficeTitle: (t, data) =>
    t("mail.detail.title", { subject: (data as { mail?: { subject: string } } | undefined)?.mail?.subject ?? "" }),
};
export const headers = routeHeaders;
export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

const noStore = { "Cache-Control": "no-store" };

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "mail.view" });
  const mail = await viewMail(getDb(), staff, params.mailId ?? "");
  if (!mail) throw new Response("Not found", { status: 404, headers: noStore });
  // The records a mail is about open in their own views, each behind its own permission: linked only where it opens.
  const opens = { payment: mayUse(staff, "payments.view"), refund: mayUse(staff, "refunds.view"), message: mayUse(staff, "inbox.view") };
  return json({ mail, opens }, { headers: noStore });
}

export default function MailDetail() {
  const { mail, opens } = useLoaderData<typeof loader>();
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  const none = t("mail.detail.none");
  const when = (moment: string | null) => (moment ? formatDateTime(moment, locale) : none);
  const about = [
    mail.about.orderId
      ? {
          key: "payment",
          label: t("mail.detail.payment"),
          id: mail.about.orderId,
          to: opens.payment ? `/back-office/payments/${mail.about.orderId}` : null,
        }
      : null,
    mail.about.refundId
      ? {
          key: "refund",
          label: t("mail.detail.refund"),
          id: mail.about.refundId,
          to: opens.refund ? `/back-office/refunds/${mail.about.refundId}` : null,
        }
      : null,
    mail.about.feedbackMessageId
      ? {
          key: "message",
          label: t("mail.detail.contactMessage"),
          id: mail.about.feedbackMessageId,
          to: opens.message ? `/back-office/inbox/${mail.about.feedbackMessageId}` : null,
        }
      : null,
  ].filter((entry) => entry !== null);

  return (
    <>
      <p>
        <Link to="/back-office/mail">{t("mail.detail.back")}</Link>
      </p>
      <h1>{t("mail.detail.title", { subject: mail.subject })}</h1>

      <section aria-labelledby="mail-heading">
        <h2 id="mail-heading">{t("mail.detail.mailHeading")}</h2>
        <dl className="bill-details">
          <DetailRow label={t("mail.detail.kind")}>{t(`mail.kinds.${mail.kind}`)}</DetailRow>
          <DetailRow label={t("mail.detail.state")}>
            <span className={`status-tag mail-state-${mail.state}`}>{t(`mail.states.${mail.state}`)}</span>
          </DetailRow>
          <DetailRow label={t("mail.detail.to")} className="identifier">
            {mail.toAddressMasked}
          </DetailRow>
          <DetailRow label={t("mail.detail.subject")}>{mail.subject}</DetailRow>
          <DetailRow label={t("mail.detail.language")}>{mail.locale}</DetailRow>
          <DetailRow label={t("mail.detail.createdAt")}>{when(mail.createdAt)}</DetailRow>
          <DetailRow label={t("mail.detail.nextAttemptAt")}>{mail.state === "queued" ? when(mail.nextAttemptAt) : none}</DetailRow>
          <DetailRow label={t("mail.detail.sentAt")}>{when(mail.sentAt)}</DetailRow>
          <DetailRow label={t("mail.detail.attempts")}>{mail.attempts}</DetailRow>
          <DetailRow label={t("mail.detail.lastError")}>{mail.lastError ?? none}</DetailRow>
          <DetailRow label={t("mail.detail.attachments")}>{mail.attachmentCount}</DetailRow>
          <DetailRow label={t("mail.detail.member")}>{mail.hasMember ? t("mail.detail.yes") : t("mail.detail.no")}</DetailRow>
        </dl>
        <p>{t("mail.detail.bodyWithheld")}</p>
      </section>

      <section aria-labelledby="about-heading">
        <h2 id="about-heading">{t("mail.detail.aboutHeading")}</h2>
        {about.length === 0 ? (
          <p>{t("mail.detail.nothing")}</p>
        ) : (
          <dl className="bill-details">
            {about.map((entry) => (
              <DetailRow key={entry.key} label={entry.label} className="identifier">
                {entry.to ? <Link to={entry.to}>{entry.id}</Link> : entry.id}
              </DetailRow>
            ))}
          </dl>
        )}
      </section>

      <section aria-labelledby="attempts-heading">
        <h2 id="attempts-heading">{t("mail.detail.attemptsHeading")}</h2>
        {mail.attemptLog.length === 0 ? (
          <p>{t("mail.detail.noAttempts")}</p>
        ) : (
          <div className="table-scroll" role="region" aria-labelledby="attempts-caption" tabIndex={0}>
            <table className="receipt-bills stacked-table payment-timeline">
              <caption id="attempts-caption">{t("mail.detail.attemptsCaption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("mail.detail.attemptColumns.attemptedAt")}</th>
                  <th scope="col">{t("mail.detail.attemptColumns.outcome")}</th>
                  <th scope="col">{t("mail.detail.attemptColumns.detail")}</th>
                  <th scope="col" className="numeric">
                    {t("mail.detail.attemptColumns.duration")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {mail.attemptLog.map((attempt, index) => (
                  <tr key={index}>
                    <StackedCell label={t("mail.detail.attemptColumns.attemptedAt")}>
                      {formatDateTime(attempt.attemptedAt, locale)}
                    </StackedCell>
                    <StackedCell label={t("mail.detail.attemptColumns.outcome")}>
                      {t(`mail.detail.outcomes.${attempt.outcome}`)}
                    </StackedCell>
                    <StackedCell label={t("mail.detail.attemptColumns.detail")}>{attempt.detail || none}</StackedCell>
                    <StackedCell label={t("mail.detail.attemptColumns.duration")} className="numeric">
                      {t("mail.detail.durationMs", { count: attempt.durationMs })}
                    </StackedCell>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
