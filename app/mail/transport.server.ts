import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "pino";
import type { Env } from "~/base/env.server";
import type { MailAttachment } from "./hooks.server";

/**
 * The way out for mails: one pooled SMTP transport (nodemailer) to SMTP_URL,
 * every mail from MAIL_FROM. Without SMTP_URL there is none: mails wait in the
 * outbox (nothing is lost) until a server is configured, and the portal says
 * so once at boot rather than on every run of the job.
 */
interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: MailAttachment[];
  /** The outbox row's id and kind, as headers: a delivery log line and a received mail can be matched. */
  outboxId: string;
  kind: string;
}

interface SmtpReply {
  messageId: string;
  /** The server's last reply ("250 OK: queued as …"). */
  response: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SmtpReply>;
  close(): void;
}

/** Connections kept open to the SMTP server (the mail job sends this many at once). */
export const POOLED_CONNECTIONS = 3;

type TransportEnv = Pick<Env, "SMTP_URL" | "MAIL_FROM">;

export function mailTransportFromEnv(env: TransportEnv, logger?: Logger): MailTransport | null {
  if (!env.SMTP_URL) {
    logger?.warn("SMTP_URL is not set: mails stay queued in the outbox and none is sent");
    return null;
  }
  // Pooled: a burst of receipts reuses a few connections instead of a handshake each.
  const transporter: Transporter = nodemailer.createTransport({
    url: env.SMTP_URL,
    pool: true,
    maxConnections: POOLED_CONNECTIONS,
  } as never);
  return {
    async send(mail) {
      const info = (await transporter.sendMail({
        from: env.MAIL_FROM,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: { "X-Portal-Mail-Id": mail.outboxId, "X-Portal-Mail-Kind": mail.kind },
        attachments: mail.attachments.map((attachment) => ({
          filename: attachment.filename,
          contentType: attachment.contentType,
          content: attachment.content,
        })),
      })) as { messageId: string; response: string };
      return { messageId: info.messageId, response: info.response };
    },
    close: () => transporter.close(),
  };
}
