import { recordAudit } from "~/base/audit.server";
import type { Database } from "~/base/db.server";

/** The staff member making a change to the catalogue or an agency's credentials, as the audit trail records them. */
export interface AdminActor {
  staffId: string;
  requestId: string | null;
}

/** One entry of the audit chain, written in the change's own transaction `tx`. */
export async function auditAdminChange(
  tx: Database,
  actor: AdminActor,
  change: { action: string; targetType: string; targetId: string; details: Record<string, unknown> },
): Promise<void> {
  await recordAudit(tx, {
    actorType: "staff",
    actorId: actor.staffId,
    action: change.action,
    targetType: change.targetType,
    targetId: change.targetId,
    requestId: actor.requestId,
    details: change.details,
  });
}

/** The values a form posted, each cut to a bound, for answering a refused form with what was typed. */
export function formValues<Field extends string>(form: FormData, fields: readonly Field[], max = 2000): Record<Field, string> {
  return Object.fromEntries(
    fields.map((field) => {
      const value = form.get(field);
      return [field, typeof value === "string" ? value.slice(0, max) : ""];
    }),
  ) as Record<Field, string>;
}

/** The first problem zod found for each field (the message is the locale key). */
export function firstProblems<Field extends string, Problem extends string>(
  issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
): Partial<Record<Field, Problem>> {
  const errors: Partial<Record<Field, Problem>> = {};
  for (const issue of issues) {
    const field = issue.path[0] as Field;
    errors[field] ??= issue.message as Problem;
  }
  return errors;
}

export type FormParse<Field extends string, Problem extends string, Input> =
  | { ok: true; input: Input; values: Record<Field, string> }
  | { ok: false; errors: Partial<Record<Field, Problem>>; values: Record<Field, string> };
