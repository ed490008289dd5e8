import { randomBytes } from "node:crypto";
import { z } from "zod";
import { FEEDBACK_FIELDS, FEEDBACK_TOPICS, type FeedbackField, type FeedbackTopic } from "~/domain/feedback";
import { taipeiDate } from "~/domain/dates";
import type { Locale } from "~/i18n";
import { recordAudit } from "~/base/audit.server";
import { schema, type Database } from "~/base/db.server";
import { hitRateLimit, isRefused, type RateLimitRule } from "~/base/rate-limit.server";
import { getCatalogue } from "~/bills/catalogue.server";

/** Error codes are keys under `pages.contact.errors` in the locale files. */
type FeedbackErrorCode =
  | "topicRequired"
  | "agencyUnknown"
  | "nameRequired"
  | "nameTooLong"
  | "emailRequired"
  | "emailInvalid"
  | "phoneInvalid"
  | "messageTooShort"
  | "messageTooLong";

const codePoints = (value: string) => [...value].length;

/**
 * The schema for one set of agencies: a message may name the agency whose
 * bill it is about (and goes to that agency's inbox) or none (the portal's
 * own team). A code not among them is the sender's to fix, never a 500.
 */
const feedbackSchema = (agencyCodes: readonly string[]) =>
  z.object({
    topic: z.enum(FEEDBACK_TOPICS, { error: "topicRequired" }),
    agency: z
      .string()
      .trim()
      .transform((v) => (v === "" ? undefined : v))
      .refine((v) => v === undefined || agencyCodes.includes(v), "agencyUnknown"),
    name: z
      .string()
      .trim()
      .min(1, "nameRequired")
      .refine((v) => codePoints(v) <= 50, "nameTooLong"),
    email: z
      .string()
      .trim()
      .min(1, "emailRequired")
      .max(254, "emailInvalid")
      .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "emailInvalid"),
    phone: z
      .string()
      .trim()
      .transform((v) => (v === "" ? undefined : v))
      .pipe(
        z
          .string()
          .regex(/^[0-9+()#\- ]{8,20}$/, "phoneInvalid")
          .optional(),
      ),
    message: z
      .string()
      .trim()
      .transform((v) => v.replace(/\r\n?/g, "\n"))
      .refine((v) => codePoints(v) >= 10, "messageTooShort")
      .refine((v) => codePoints(v) <= 2000, "messageTooLong"),
  });

export type FeedbackInput = z.output<ReturnType<typeof feedbackSchema>>;

/** The agencies a message can be about: those of the bill catalogue, in its order. */
export async function feedbackAgencies(db: Database): Promise<Array<{ code: string; nameZh: string; nameEn: string }>> {
  return (await getCatalogue(db)).map(({ code, nameZh, nameEn }) => ({ code, nameZh, nameEn }));
}

export type FeedbackErrors = Partial<Record<FeedbackField, { code: FeedbackErrorCode; count?: number }>>;

/** What was typed comes back in both cases: a refused message keeps it too. */
export type FeedbackParse =
  | { ok: true; input: FeedbackInput; values: Record<FeedbackField, string> }
  | { ok: false; errors: FeedbackErrors; values: Record<FeedbackField, string> };

/** Validates the contact form against the agencies on offer; on failure returns what was typed so the form keeps it. */
export function parseFeedback(form: FormData, agencyCodes: readonly string[]): FeedbackParse {
  const values = Object.fromEntries(
    FEEDBACK_FIELDS.map((field) => {
      const value = form.get(field);
      return [field, typeof value === "string" ? value.slice(0, 5000) : ""];
    }),
  ) as Record<FeedbackField, string>;
  const result = feedbackSchema(agencyCodes).safeParse(values);
  if (result.success) return { ok: true, input: result.data, values };
  const errors: FeedbackErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path[0] as FeedbackField;
    if (errors[field]) continue;
    const code = issue.message as FeedbackErrorCode;
    errors[field] = code === "messageTooLong" ? { code, count: codePoints(values.message.trim()) } : { code };
  }
  return { ok: false, errors, values };
}

// Crockford base32 without I, L, O, U: easy to read out on the phone.
const REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function newReference(now: Date): string {
  const random = [...randomBytes(6)].map((byte) => REFERENCE_ALPHABET[byte % 32]).join("");
  return `FB-${taipeiDate(now).replaceAll("-", "")}-${random}`;
}

export type FeedbackSubmission =
  { ok: true; reference: string; topic: FeedbackTopic; agencyCode: string | null } | { ok: false; retryAfterSeconds: number };

/**
 * Stores a valid message under a new reference, routed to the agency it
 * names (null: the portal's own team, the city administrator). Each stored message counts
 * against its sender's address (invalid attempts store nothing and do not),
 * so a script cannot fill the office's inbox; what was typed is kept by the
 * caller when refused.
 */
export async function submitFeedback(
  db: Database,
  input: FeedbackInput,
  context: { locale: Locale; requestId: string; clientAddress: string; limit: Omit<RateLimitRule, "name">; now?: Date },
): Promise<FeedbackSubmission> {
  const rule = { name: "feedback:address", ...context.limit };
  const rate = await hitRateLimit(db, rule, context.clientAddress, context.now);
  if (isRefused(rule, rate)) return { ok: false, retryAfterSeconds: rate.retryAfterSeconds };
  for (let attempt = 0; attempt < 3; attempt++) {
    const reference = newReference(context.now ?? new Date());
    const { agency, ...fields } = input;
    const inserted = await db
      .insert(schema.feedbackMessages)
      .values({
        ...fields,
        agencyCode: agency ?? null,
        phone: input.phone ?? null,
        reference,
        locale: context.locale,
        requestId: context.requestId,
      })
      .onConflictDoNothing({ target: schema.feedbackMessages.reference })
      .returning({
        id: schema.feedbackMessages.id,
        reference: schema.feedbackMessages.reference,
        agencyCode: schema.feedbackMessages.agencyCode,
      });
    if (inserted[0]) {
      // Personal data came in (a name, an e-mail): on record, without the data itself.
      await recordAudit(db, {
        actorType: "system",
        actorId: null,
        action: "feedback.received",
        targetType: "feedback_message",
        targetId: inserted[0].id,
        requestId: context.requestId,
        details: {
          reference: inserted[0].reference,
          topic: input.topic,
          agencyCode: inserted[0].agencyCode,
          phoneGiven: input.phone !== undefined,
        },
      });
      return { ok: true, reference: inserted[0].reference, topic: input.topic, agencyCode: inserted[0].agencyCode };
    }
  }
  throw new Error("could not allocate a feedback reference");
}
