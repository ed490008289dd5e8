import { z } from "zod";
import { canonicalJson } from "~/domain/canonical-json";
import { REVEAL_REASONS, type RevealReason } from "~/domain/staff";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { confirmPostedStepUp, prepareStepUp, type ActContent } from "./passkeys.server";
import { auditStaffAct, type StaffContext } from "./staff-request.server";

/**
 * Revealing personal data (a payer's name, a contact's e-mail) is an act of
 * its own: a reason, a passkey signature over what is revealed and why, and an
 * audit entry pointing at the signed act. Two steps: `prepareReveal` checks the
 * reason and hands out the challenge; `confirmReveal` checks the signature and
 * says what may now be shown, for this one answer only.
 */

export const REVEAL_KIND = "reveal_personal_data";

export interface RevealTarget {
  /** What holds the data: "payment_order", "feedback_message", … */
  type: string;
  id: string;
  /** The agency whose item it is (null: the portal's own). */
  agencyCode: string | null;
  /** Which fields are revealed, by name. */
  fields: readonly string[];
}

type RevealReasonError = "reasonRequired" | "detailRequired" | "detailTooLong";

const reasonSchema = z
  .object({
    reason: z.enum(REVEAL_REASONS, { error: "reasonRequired" }),
    detail: z
      .string()
      .trim()
      .max(200, "detailTooLong")
      .transform((v) => v.replace(/\s+/g, " ")),
  })
  .refine((value) => value.reason !== "other" || value.detail.length >= 4, { path: ["detail"], message: "detailRequired" });

/** The reason as typed; errors name the field to fix (keys under `reveal.errors`). */
function parseRevealReason(
  form: FormData,
):
  | { ok: true; reason: RevealReason; detail: string }
  | { ok: false; errors: Partial<Record<"reason" | "detail", RevealReasonError>>; values: { reason: string; detail: string } } {
  const values = { reason: String(form.get("reason") ?? ""), detail: String(form.get("detail") ?? "").slice(0, 1000) };
  const parsed = reasonSchema.safeParse(values);
  if (parsed.success) return { ok: true, ...parsed.data };
  const errors: Partial<Record<"reason" | "detail", RevealReasonError>> = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] === "detail" ? "detail" : "reason";
    errors[field] ??= issue.message as RevealReasonError;
  }
  return { ok: false, errors, values };
}

const revealAct = (
  staff: StaffContext,
  target: RevealTarget,
  reason: RevealReason,
  detail: string,
  actingFor: string | null,
): ActContent => ({
  kind: REVEAL_KIND,
  staffId: staff.staffId,
  actingFor,
  targetType: target.type,
  targetId: target.id,
  agencyCode: target.agencyCode,
  fields: [...target.fields],
  reason,
  detail,
});

/** Whether a signed reveal covers `target`: the item and exactly the fields shown, not only the item. */
const coversTarget = (act: ActContent, target: RevealTarget) =>
  canonicalJson([act.targetType, act.targetId, act.agencyCode, act.fields]) ===
  canonicalJson([target.type, target.id, target.agencyCode, target.fields]);

/** The challenge for revealing `target`'s fields, for the reason given. */
async function prepareReveal(staff: StaffContext, target: RevealTarget, reason: RevealReason, detail: string, actingFor: string | null) {
  return prepareStepUp(getDb(), getEnv(), staff.staffId, revealAct(staff, target, reason, detail, actingFor));
}

/**
 * Checks the signature; true when it signs a reveal of exactly this target
 * by this staff member. The act is audited either way it ends.
 */
async function confirmReveal(
  staff: StaffContext,
  target: RevealTarget,
  form: FormData,
): Promise<{ ok: true; signedActId: string } | { ok: false }> {
  const confirmed = await confirmPostedStepUp(
    getDb(),
    getEnv(),
    staff.staffId,
    { kind: REVEAL_KIND, accepts: (act) => coversTarget(act, target) },
    form,
  );
  if (!confirmed.ok) {
    await auditStaffAct(staff, {
      action: "staff.personal_data_reveal_refused",
      targetType: target.type,
      targetId: target.id,
      details: { reason: confirmed.reason },
    });
    return { ok: false };
  }
  const { signed } = confirmed;
  await auditStaffAct(staff, {
    action: "staff.personal_data_revealed",
    targetType: target.type,
    targetId: target.id,
    actingFor: typeof signed.act.actingFor === "string" ? signed.act.actingFor : null,
    details: { signedActId: signed.id, fields: signed.act.fields, reason: signed.act.reason, detail: signed.act.detail },
  });
  return { ok: true, signedActId: signed.id };
}

/** Where a reveal stands after the page's action: the panel shows the first three, the page the last. */
export type RevealState =
  | { stage: "ask"; errors?: Partial<Record<"reason" | "detail", RevealReasonError>>; values?: { reason: string; detail: string } }
  | { stage: "confirm"; options: object; reason: string; detail: string }
  | { stage: "refused" }
  | { stage: "revealed"; signedActId: string };

/**
 * The two steps of a reveal as one action: intent "reveal-prepare" (the
 * reason) answers with the challenge, "reveal-confirm" (the signature) with
 * "revealed" when the page may show the data in this one answer.
 */
export async function answerRevealIntent(
  staff: StaffContext,
  target: RevealTarget,
  form: FormData,
  actingFor: string | null,
): Promise<RevealState> {
  if (form.get("intent") === "reveal-confirm") {
    const confirmed = await confirmReveal(staff, target, form);
    return confirmed.ok ? { stage: "revealed", signedActId: confirmed.signedActId } : { stage: "refused" };
  }
  const reason = parseRevealReason(form);
  if (!reason.ok) return { stage: "ask", errors: reason.errors, values: reason.values };
  const { options } = await prepareReveal(staff, target, reason.reason, reason.detail, actingFor);
  return { stage: "confirm", options, reason: reason.reason, detail: reason.detail };
}
