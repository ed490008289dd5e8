import type { Logger } from "pino";
import { getDb, type Database } from "~/base/db.server";
import { getEnv, type Env } from "~/base/env.server";
import { issueApiKey, listApiKeys, parseKeyLabel, parseKeyOverlap, revokeApiKey, rotateApiKey } from "~/agencies/api-keys.server";
import {
  deliveryLog,
  parseReceiverForm,
  parseSecretOverlap,
  receiverSettings,
  rotateWebhookSecret,
  saveReceiver,
  sendPing,
  type IntegrationProblem,
  type ReceiverAnswer,
  type ReceiverField,
} from "~/agencies/webhook-receivers.server";
import { getPaymentContext } from "~/payments/context.server";
import { redeliverNotice } from "~/payments/write-off-notices.server";
import { confirmPostedStepUp, prepareStepUp, type StepUpRefusal } from "./passkeys.server";
import { auditStaffAct, mayUse, type StaffContext } from "./staff-request.server";

/**
 * An agency's integration page in the back office: its webhook receiver and
 * secrets, test pings, the delivery log with redeliveries, and its API keys.
 * Handing out or taking back a credential (a new webhook secret, a key
 * issued, rotated or revoked) is signed with a passkey, as other acts of
 * consequence are: the act's content is what the staff member signed, and
 * what is carried out is read back from the signed act, not from the form.
 */

const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export async function integrationPage(db: Database, staff: StaffContext, agencyCode: string, before: number | undefined) {
  const [settings, keys, log] = await Promise.all([
    receiverSettings(db, agencyCode),
    listApiKeys(db, agencyCode),
    deliveryLog(db, agencyCode, { before }),
  ]);
  await auditStaffAct(staff, {
    action: "integration.viewed",
    targetType: "agency",
    targetId: agencyCode,
    details: { before: before ?? null },
  });
  return { ...settings, keys, log, canManage: mayUse(staff, "integrations.manage") };
}

/** A credential act as signed: the agency and what is done to which key or secret. */
type CredentialAct =
  | { kind: "agency_credential"; action: "rotate-secret"; agencyCode: string; overlapDays: number }
  | { kind: "agency_credential"; action: "issue-key"; agencyCode: string; label: string }
  | { kind: "agency_credential"; action: "rotate-key"; agencyCode: string; keyId: string; overlapDays: number }
  | { kind: "agency_credential"; action: "revoke-key"; agencyCode: string; keyId: string };

export type IntegrationAnswer =
  | { stage: "receiver"; errors: Partial<Record<ReceiverField, IntegrationProblem>>; values: Record<ReceiverField, string> }
  | { stage: "confirm"; act: CredentialAct; options: object }
  | { stage: "refused"; refusal: IntegrationRefusal }
  | { stage: "done"; done: IntegrationDone; shown?: { id: string; secret: string }; answer?: ReceiverAnswer; until?: string };

/** Keys under `integrations.refusals`. */
type IntegrationRefusal =
  "overlapInvalid" | "labelTooLong" | "receiverMissing" | "keyNotFound" | "keyNotUsable" | "noticeNotFound" | `stepUp.${StepUpRefusal}`;

/** Keys under `integrations.done`. */
type IntegrationDone = "receiverSaved" | "pinged" | "redelivered" | "secretRotated" | "keyIssued" | "keyRotated" | "keyRevoked";

const refused = (refusal: IntegrationRefusal): IntegrationAnswer => ({ stage: "refused", refusal });

/** The act a form asks to sign, or why it cannot be asked (the page answers 400). */
function credentialAct(agencyCode: string, intent: string, form: FormData): CredentialAct | IntegrationRefusal | null {
  const keyId = String(form.get("keyId") ?? "").slice(0, 80);
  switch (intent) {
    case "rotate-secret": {
      const overlapDays = parseSecretOverlap(form.get("overlapDays"));
      return overlapDays === null ? "overlapInvalid" : { kind: "agency_credential", action: intent, agencyCode, overlapDays };
    }
    case "issue-key": {
      const label = parseKeyLabel(form.get("label"));
      return label === null ? "labelTooLong" : { kind: "agency_credential", action: intent, agencyCode, label };
    }
    case "rotate-key": {
      const overlapDays = parseKeyOverlap(form.get("overlapDays"));
      return overlapDays === null ? "overlapInvalid" : { kind: "agency_credential", action: intent, agencyCode, keyId, overlapDays };
    }
    case "revoke-key":
      return { kind: "agency_credential", action: intent, agencyCode, keyId };
    default:
      return null;
  }
}

async function carryOut(db: Database, env: Env, staff: StaffContext, act: CredentialAct, signedActId: string): Promise<IntegrationAnswer> {
  const actor = { staffId: staff.staffId, requestId: staff.requestId };
  await auditStaffAct(
    staff,
    { action: `integration.${act.action}.signed`, targetType: "agency", targetId: act.agencyCode, details: { signedActId } },
    db,
  );
  switch (act.action) {
    case "rotate-secret": {
      const { secretId, secret } = await rotateWebhookSecret(db, env, actor, act.agencyCode, act.overlapDays);
      return { stage: "done", done: "secretRotated", shown: { id: secretId, secret } };
    }
    case "issue-key": {
      const { keyId, secret } = await issueApiKey(db, env, actor, act.agencyCode, act.label);
      return { stage: "done", done: "keyIssued", shown: { id: keyId, secret } };
    }
    case "rotate-key": {
      const rotated = await rotateApiKey(db, env, actor, act.agencyCode, act.keyId, act.overlapDays);
      if (!rotated.ok) return refused(rotated.refusal === "not_found" ? "keyNotFound" : "keyNotUsable");
      return {
        stage: "done",
        done: "keyRotated",
        shown: { id: rotated.issued.keyId, secret: rotated.issued.secret },
        until: rotated.oldKeyExpiresAt.toISOString(),
      };
    }
    case "revoke-key": {
      const revoked = await revokeApiKey(db, actor, act.agencyCode, act.keyId);
      return revoked.ok ? { stage: "done", done: "keyRevoked" } : refused("keyNotFound");
    }
  }
}

/** Carries out the form's intent; null for a form no page of ours sends (answered 400). */
export async function answerIntegrationIntent(
  staff: StaffContext,
  agencyCode: string,
  form: FormData,
  logger: Logger,
): Promise<IntegrationAnswer | null> {
  const db = getDb();
  const env = getEnv();
  const actor = { staffId: staff.staffId, requestId: staff.requestId };
  const intent = String(form.get("intent") ?? "");
  switch (intent) {
    case "save-receiver": {
      const parsed = parseReceiverForm(form);
      if (!parsed.ok) return { stage: "receiver", errors: parsed.errors, values: parsed.values };
      await saveReceiver(db, actor, agencyCode, parsed.input);
      return { stage: "done", done: "receiverSaved" };
    }
    case "ping": {
      const pinged = await sendPing(db, env, actor, agencyCode);
      return pinged.ok ? { stage: "done", done: "pinged", answer: pinged.answer } : refused(pinged.refusal);
    }
    case "redeliver": {
      const noticeId = String(form.get("noticeId") ?? "");
      if (!isUuid(noticeId)) return refused("noticeNotFound");
      const redelivered = await redeliverNotice(getPaymentContext(logger), { agencyCode, noticeId, requestedBy: staff.staffId });
      if (!redelivered.ok) return refused("noticeNotFound");
      await auditStaffAct(staff, {
        action: "write_off_notice.redelivered",
        targetType: "write_off_notice",
        targetId: noticeId,
        details: { agencyCode, statusCode: redelivered.answer.statusCode, error: redelivered.answer.error },
      });
      return { stage: "done", done: "redelivered", answer: redelivered.answer };
    }
    case "confirm-credential": {
      const confirmed = await confirmPostedStepUp(
        db,
        env,
        staff.staffId,
        { kind: "agency_credential", accepts: (act) => act.agencyCode === agencyCode },
        form,
      );
      if (!confirmed.ok) return refused(`stepUp.${confirmed.reason}`);
      return carryOut(db, env, staff, confirmed.signed.act as unknown as CredentialAct, confirmed.signed.id);
    }
    default: {
      const act = credentialAct(agencyCode, intent, form);
      if (act === null) return null;
      if (typeof act === "string") return refused(act);
      const { options } = await prepareStepUp(db, env, staff.staffId, { ...act });
      return { stage: "confirm", act, options };
    }
  }
}
