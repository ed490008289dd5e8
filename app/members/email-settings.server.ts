import type { Locale } from "~/i18n";
import { eq } from "drizzle-orm";
import { MAX_EMAIL_ADDRESS_LENGTH, MEMBER_EMAIL_KINDS, isEmailAddress, type MemberEmailKind } from "~/domain/email";
import { maskEmailAddress } from "~/domain/masking";
import { schema, type Database } from "~/base/db.server";
import type { AuditContext } from "./bindings.server";
import type { Member } from "./sessions.server";

/**
 * A member's e-mail settings (電子郵件通知設定): the address their mails go
 * to and the kinds they chose. No address: no mail at all (the kinds are kept,
 * so setting an address again brings back what they had chosen). The member's
 * id comes from the session, never from the form.
 */

export interface EmailSettings {
  /** The address as the member gave it; "" when none. */
  email: string;
  kinds: MemberEmailKind[];
}

export type EmailSettingsProblem = "email_invalid" | "email_long";

export function emailSettingsOf(member: Pick<Member, "email" | "emailKinds">): EmailSettings {
  return { email: member.email ?? "", kinds: MEMBER_EMAIL_KINDS.filter((kind) => member.emailKinds.includes(kind)) };
}

/** The settings form as sent: a kind not offered is dropped (never an error), the address trimmed. */
export function readEmailSettingsForm(form: FormData): EmailSettings {
  const email = form.get("email");
  const chosen = new Set(form.getAll("kinds").filter((value): value is string => typeof value === "string"));
  return {
    // Sliced: a pasted novel is refused as too long without being echoed whole.
    email: typeof email === "string" ? email.trim().slice(0, MAX_EMAIL_ADDRESS_LENGTH * 2) : "",
    kinds: MEMBER_EMAIL_KINDS.filter((kind) => chosen.has(kind)),
  };
}

function emailSettingsProblems(settings: EmailSettings): EmailSettingsProblem[] {
  if (settings.email === "") return [];
  if (settings.email.length > MAX_EMAIL_ADDRESS_LENGTH) return ["email_long"];
  return isEmailAddress(settings.email) ? [] : ["email_invalid"];
}

export type EmailSettingsChange = { ok: true; settings: EmailSettings } | { ok: false; problems: EmailSettingsProblem[] };

/** Saves the member's address and kinds, and records the change (the address masked) in the audit log. */
export async function saveEmailSettings(
  db: Database,
  context: AuditContext,
  input: EmailSettings,
  /** The language the member set them in: their mails speak it. */
  locale: Locale,
): Promise<EmailSettingsChange> {
  const problems = emailSettingsProblems(input);
  if (problems.length > 0) return { ok: false, problems };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(schema.members)
      .set({ email: input.email || null, emailKinds: input.kinds, locale })
      .where(eq(schema.members.id, context.memberId))
      .returning({ email: schema.members.email, emailKinds: schema.members.emailKinds });
    await tx.insert(schema.auditLog).values({
      actorType: "member",
      actorId: context.memberId,
      action: "member.email_settings_changed",
      targetType: "member",
      targetId: context.memberId,
      requestId: context.requestId,
      // Masked: the audit log is read by more people than the members table.
      details: { address: row!.email ? maskEmailAddress(row!.email) : null, kinds: row!.emailKinds },
    });
    return { ok: true as const, settings: emailSettingsOf(row!) };
  });
}
