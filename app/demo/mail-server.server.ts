import { randomUUID } from "node:crypto";
import express, { type Request, type Response } from "express";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { Locale } from "~/i18n";
import { escapeHtml, sandboxLocale, sandboxPage, sandboxT } from "./html";

/**
 * The demo's mail server (示範郵件伺服器): an SMTP server on this machine that
 * takes every mail the portal sends (any sign-in accepted), parses it and
 * keeps the latest in memory, and the pages on the sandbox gateway that list
 * them (`/_sandbox/mails`, and `/_sandbox/mails.json` for tests; a mail's
 * HTML opened alone under a sandboxing CSP, or read as source), so a tester
 * reads the receipts and reminders a resident would get. Nothing is relayed.
 */

interface ReceivedMail {
  id: string;
  receivedAt: string;
  from: string;
  /** The envelope's recipients (what the portal addressed). */
  to: string[];
  subject: string;
  /** The portal's kind of mail (its X-Portal-Mail-Kind header), if it said. */
  kind: string | null;
  outboxId: string | null;
  messageId: string | null;
  text: string;
  html: string | null;
  attachments: Array<{ filename: string; contentType: string; size: number; content: Buffer }>;
}

/** Mails kept at most: a demo left running for days does not grow without bound. */
const MAX_KEPT_MAILS = 500;

export interface MailSandbox {
  smtp: SMTPServer;
  /** Newest last (the latest MAX_KEPT_MAILS). */
  mails: ReceivedMail[];
  /** Mails received since the server started, kept or not. */
  received: number;
  /** When set, the server refuses every mail with this reply (to show retries); null: takes them. */
  refuse: { code: number; message: string } | null;
  /** Resolves at the next mail received (tests and the bench wait on it). */
  nextMail(): Promise<ReceivedMail>;
  /** Resolves with the port listened on (0: any free one). */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
  /** The pages: mount on the sandbox gateway's HTTP server. */
  pages: express.Router;
}

const header = (mail: ParsedMail, name: string): string | null => {
  const value = mail.headers.get(name);
  return typeof value === "string" ? value : null;
};

export function createMailSandbox(): MailSandbox {
  const waiting: Array<(mail: ReceivedMail) => void> = [];
  const sandbox: MailSandbox = {
    mails: [],
    received: 0,
    refuse: null,
    nextMail: () => new Promise((resolve) => waiting.push(resolve)),
    smtp: new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      // A plain connection on this machine: no certificate to trust.
      disabledCommands: ["STARTTLS"],
      banner: "demo mail server",
      size: 20 * 1024 * 1024,
      logger: false,
      onAuth(auth, _session, callback) {
        callback(null, { user: auth.username ?? "demo" });
      },
      onData(stream, session, callback) {
        if (sandbox.refuse) {
          const { code, message } = sandbox.refuse;
          stream.on("end", () => callback(Object.assign(new Error(message), { responseCode: code })));
          stream.resume();
          return;
        }
        simpleParser(stream)
          .then((parsed) => {
            const mail: ReceivedMail = {
              id: randomUUID(),
              receivedAt: new Date().toISOString(),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              subject: parsed.subject ?? "",
              kind: header(parsed, "x-portal-mail-kind"),
              outboxId: header(parsed, "x-portal-mail-id"),
              messageId: parsed.messageId ?? null,
              text: parsed.text ?? "",
              html: typeof parsed.html === "string" ? parsed.html : null,
              attachments: parsed.attachments.map((attachment) => ({
                filename: attachment.filename ?? "attachment",
                contentType: attachment.contentType,
                size: attachment.size,
                content: attachment.content,
              })),
            };
            sandbox.mails.push(mail);
            sandbox.received += 1;
            if (sandbox.mails.length > MAX_KEPT_MAILS) sandbox.mails.splice(0, sandbox.mails.length - MAX_KEPT_MAILS);
            for (const resolve of waiting.splice(0)) resolve(mail);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    }),
    listen: (port, host = "127.0.0.1") =>
      new Promise((resolve, reject) => {
        sandbox.smtp.once("error", reject);
        sandbox.smtp.listen(port, host, () => resolve((sandbox.smtp.server.address() as { port: number }).port));
      }),
    close: () => new Promise((resolve) => sandbox.smtp.close(() => resolve())),
    pages: mailPages(() => sandbox.mails),
  };
  return sandbox;
}

const STYLE = `header .service{margin:0;font-weight:700;font-size:1.25rem}
body{max-width:60rem}table{border-collapse:collapse;width:100%}th,td{text-align:start;padding:.25rem .5rem;border-bottom:1px solid #6f6f6f;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-word;background:#f3f3f3;padding:.75rem;border:1px solid #6f6f6f}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dd{margin:0}`;

function page(locale: Locale, title: string, body: string): string {
  const t = sandboxT(locale);
  return sandboxPage({ locale, title, service: t("mails.service"), banner: t("mails.banner"), style: STYLE, body });
}

const localeOf = (req: Request) =>
  sandboxLocale(typeof req.query.lang === "string" ? req.query.lang : undefined, req.acceptsLanguages.bind(req));

/** Lists without contents: the JSON for tests has the texts, not the attachments' bytes. */
const summary = (mail: ReceivedMail) => ({
  ...mail,
  attachments: mail.attachments.map(({ content: _content, ...attachment }) => attachment),
});

function mailPages(mails: () => ReceivedMail[]): express.Router {
  const router = express.Router();
  const find = (req: Request, res: Response): ReceivedMail | null => {
    const mail = mails().find((candidate) => candidate.id === req.params.id);
    if (!mail) {
      const locale = localeOf(req);
      const text = sandboxT(locale)("mails.notFound");
      res
        .status(404)
        .type("html")
        .send(page(locale, text, `<h1>${escapeHtml(text)}</h1>`));
    }
    return mail ?? null;
  };
  router.get("/_sandbox/mails.json", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json({ mails: mails().map(summary) });
  });
  router.get("/_sandbox/mails", (req, res) => {
    const locale = localeOf(req);
    const t = sandboxT(locale);
    const e = escapeHtml;
    const newestFirst = [...mails()].reverse();
    const rows = newestFirst
      .map(
        (
          mail,
        ) => `<tr><td>${e(mail.to.join(", "))}</td><td><a href="/_sandbox/mails/${e(mail.id)}?lang=${locale}">${e(mail.subject || "—")}</a></td>
<td>${e(mail.kind ?? "—")}</td><td><time datetime="${e(mail.receivedAt)}">${e(mail.receivedAt.replace("T", " ").slice(0, 19))}</time></td>
<td>${mail.attachments.length ? mail.attachments.map((attachment) => e(attachment.filename)).join(", ") : e(t("mails.none"))}</td></tr>`,
      )
      .join("\n");
    const body = `<h1>${e(t("mails.title"))}</h1>
<p>${e(t("mails.intro").replace("{{max}}", String(MAX_KEPT_MAILS)))}</p>
${
  rows
    ? `<table><caption class="visually-hidden">${e(t("mails.title"))}</caption><thead><tr><th scope="col">${e(t("mails.to"))}</th><th scope="col">${e(t("mails.subject"))}</th><th scope="col">${e(t("mails.kind"))}</th><th scope="col">${e(t("mails.receivedAt"))}</th><th scope="col">${e(t("mails.attachments"))}</th></tr></thead><tbody>${rows}</tbody></table>`
    : `<p>${e(t("mails.empty"))}</p>`
}`;
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(page(locale, t("mails.title"), body));
  });
  router.get("/_sandbox/mails/:id", (req, res) => {
    const mail = find(req, res);
    if (!mail) return;
    const locale = localeOf(req);
    const t = sandboxT(locale);
    const e = escapeHtml;
    const attachments = mail.attachments.length
      ? `<ul>${mail.attachments
          .map(
            (attachment, index) =>
              `<li><a href="/_sandbox/mails/${e(mail.id)}/attachments/${index}" download="${e(attachment.filename)}">${e(t("mails.download"))} ${e(attachment.filename)}</a> (${e(attachment.contentType)}, ${e(t("mails.bytes").replace("{{size}}", String(attachment.size)))})</li>`,
          )
          .join("")}</ul>`
      : `<p>${e(t("mails.none"))}</p>`;
    const body = `<h1>${e(mail.subject || t("mails.mailTitle"))}</h1>
<p><a href="/_sandbox/mails?lang=${locale}">${e(t("mails.back"))}</a></p>
<dl><dt>${e(t("mails.from"))}</dt><dd>${e(mail.from)}</dd><dt>${e(t("mails.to"))}</dt><dd>${e(mail.to.join(", "))}</dd>
<dt>${e(t("mails.kind"))}</dt><dd>${e(mail.kind ?? "—")}</dd><dt>${e(t("mails.receivedAt"))}</dt><dd>${e(mail.receivedAt)}</dd></dl>
<h2>${e(t("mails.attachments"))}</h2>${attachments}
<h2>${e(t("mails.text"))}</h2><pre>${e(mail.text)}</pre>
${
  mail.html
    ? `<h2>${e(t("mails.html"))}</h2><p><a href="/_sandbox/mails/${e(mail.id)}/html">${e(t("mails.htmlOpen"))}</a></p>
<details><summary>${e(t("mails.htmlSource"))}</summary><pre>${e(mail.html)}</pre></details>`
    : ""
}`;
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(page(locale, mail.subject || t("mails.mailTitle"), body));
  });
  router.get("/_sandbox/mails/:id/html", (req, res) => {
    const mail = find(req, res);
    if (!mail) return;
    // The mail's own HTML, shown in a sandboxed frame: no scripts, nothing fetched from elsewhere.
    res.setHeader("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(mail.html ?? "");
  });
  router.get("/_sandbox/mails/:id/attachments/:index", (req, res) => {
    const mail = find(req, res);
    if (!mail) return;
    const attachment = mail.attachments[Number(req.params.index)];
    if (!attachment) return void res.status(404).type("text").send("no such attachment");
    res.setHeader("Content-Disposition", `attachment; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`);
    res.type(attachment.contentType).send(attachment.content);
  });
  return router;
}
