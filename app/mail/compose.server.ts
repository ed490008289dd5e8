import { escapeHtml } from "~/lib/html";
import type { EmailKind } from "~/domain/email";
import type { Locale } from "~/i18n";
import type { Env } from "~/base/env.server";
import { getFixedT } from "~/base/i18n.server";
import { unsubscribeUrl } from "./unsubscribe.server";

/**
 * One frame for every mail the portal sends: a heading, paragraphs, a table
 * of details, at most one link (always on the portal's official address,
 * PUBLIC_URL), and a footer saying how to tell this mail from a fraud and how
 * to stop this kind of mail. A plain-text part and an HTML part with the same
 * words. Features give the words (already translated, numbers already
 * masked); this module adds the frame's own.
 */
export interface MailContent {
  subject: string;
  heading: string;
  paragraphs: string[];
  /** Label and value pairs, in order (amounts formatted, numbers masked). */
  details?: Array<[string, string]>;
  /** A path on the portal ("/payments/P…"), made absolute on PUBLIC_URL. */
  action?: { label: string; path: string };
}

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

type ComposeEnv = Pick<Env, "PUBLIC_URL" | "PII_HMAC_KEY">;

export async function composeMail(
  env: ComposeEnv,
  kind: EmailKind,
  locale: Locale,
  to: string,
  content: MailContent,
): Promise<ComposedMail> {
  const t = await getFixedT(locale);
  const site = t("site.name");
  const unsubscribe = unsubscribeUrl(env, kind, to);
  const actionUrl = content.action ? `${env.PUBLIC_URL}${content.action.path.startsWith("/") ? "" : "/"}${content.action.path}` : null;
  const antiFraud = t("mail.antiFraud", { url: env.PUBLIC_URL });
  const why = t(`mail.why.${kind}`);
  const stop = t("mail.unsubscribe");

  const text = [
    content.heading,
    "",
    ...content.paragraphs.flatMap((p) => [p, ""]),
    ...(content.details?.length ? [...content.details.map(([label, value]) => `${label}: ${value}`), ""] : []),
    ...(content.action && actionUrl ? [`${content.action.label}: ${actionUrl}`, ""] : []),
    "--",
    site,
    antiFraud,
    why,
    `${stop}: ${unsubscribe}`,
    "",
  ].join("\n");

  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${locale === "en" ? "en" : "zh-Hant-TW"}"><head><meta charset="utf-8"><title>${e(content.subject)}</title></head>
<body style="font-family: sans-serif; line-height: 1.6; color: #1a1a1a; max-width: 40em; margin: 0 auto; padding: 1em;">
<p style="font-weight: bold;">${e(site)}</p>
<h1 style="font-size: 1.4em;">${e(content.heading)}</h1>
${content.paragraphs.map((p) => `<p>${e(p)}</p>`).join("\n")}
${
  content.details?.length
    ? `<table role="presentation" style="border-collapse: collapse;">${content.details
        .map(
          ([label, value]) =>
            `<tr><th scope="row" style="text-align: start; padding: 0.25em 1em 0.25em 0;">${e(label)}</th><td>${e(value)}</td></tr>`,
        )
        .join("")}</table>`
    : ""
}
${content.action && actionUrl ? `<p><a href="${e(actionUrl)}">${e(content.action.label)}</a></p>` : ""}
<hr>
<p style="font-size: 0.9em;">${e(antiFraud)}</p>
<p style="font-size: 0.9em;">${e(why)} <a href="${e(unsubscribe)}">${e(stop)}</a></p>
</body></html>
`;
  return { subject: `${content.subject} | ${site}`, text, html };
}
