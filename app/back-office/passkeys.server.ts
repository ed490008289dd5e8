import { createHash, randomBytes } from "node:crypto";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { and, eq, gt, isNull } from "drizzle-orm";
import { canonicalJson } from "~/domain/canonical-json";
import { schema, type Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";

/**
 * Passkeys (WebAuthn, @simplewebauthn/server) for staff: registered at first
 * sign-in, then asked for again before every act that moves money or reveals
 * personal data (step-up, docs/decisions/018). The step-up challenge is not
 * random: it is SHA-256 of the act's canonical content and a random nonce, so
 * the signature covers exactly what the staff member approved. The act, the
 * nonce and the authenticator's answer are kept; `verifySignedAct` checks a
 * kept act again at any time with the credential's public key.
 */

type PasskeyEnv = Pick<Env, "backOfficeUrl" | "webauthnRpId">;

const CHALLENGE_MINUTES = 5;
const RP_NAME = "支付繳費通 後台 Back office";

export class PasskeyRefused extends Error {
  constructor(readonly reason: "no_challenge" | "not_verified" | "unknown_credential" | "mismatch") {
    super(reason);
  }
}

const origin = (env: PasskeyEnv) => new URL(env.backOfficeUrl).origin;

async function credentialsOf(db: Database, staffId: string) {
  return db.select().from(schema.staffPasskeys).where(eq(schema.staffPasskeys.staffId, staffId));
}

export async function registrationOptions(
  db: Database,
  env: PasskeyEnv,
  staff: { id: string; subject: string; displayName: string },
  now = new Date(),
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await credentialsOf(db, staff.id);
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: env.webauthnRpId,
    userName: staff.subject,
    userDisplayName: staff.displayName,
    userID: new TextEncoder().encode(staff.id),
    attestationType: "none",
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports as never })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
  });
  await db.insert(schema.staffChallenges).values({
    staffId: staff.id,
    purpose: "register",
    challenge: options.challenge,
    expiresAt: new Date(now.getTime() + CHALLENGE_MINUTES * 60_000),
    createdAt: now,
  });
  return options;
}

/** Takes an unused, unexpired challenge of this staff member once: a second use finds nothing. */
async function takeChallenge(db: Database, staffId: string, challenge: string, purpose: "register" | "step_up", now: Date) {
  const [taken] = await db
    .update(schema.staffChallenges)
    .set({ usedAt: now })
    .where(
      and(
        eq(schema.staffChallenges.challenge, challenge),
        eq(schema.staffChallenges.staffId, staffId),
        eq(schema.staffChallenges.purpose, purpose),
        isNull(schema.staffChallenges.usedAt),
        gt(schema.staffChallenges.expiresAt, now),
      ),
    )
    .returning();
  if (!taken) throw new PasskeyRefused("no_challenge");
  return taken;
}

const clientChallenge = (clientDataJson: string): string => {
  try {
    const data = JSON.parse(isoBase64URL.toUTF8String(clientDataJson)) as { challenge?: unknown };
    return typeof data.challenge === "string" ? data.challenge : "";
  } catch {
    return "";
  }
};

export async function completeRegistration(
  db: Database,
  env: PasskeyEnv,
  staffId: string,
  response: RegistrationResponseJSON,
  now = new Date(),
): Promise<{ credentialId: string }> {
  const challenge = await takeChallenge(db, staffId, clientChallenge(response.response.clientDataJSON), "register", now);
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: origin(env),
      expectedRPID: env.webauthnRpId,
      requireUserVerification: true,
    });
  } catch {
    throw new PasskeyRefused("not_verified");
  }
  if (!verification.verified) throw new PasskeyRefused("not_verified");
  const { credential } = verification.registrationInfo;
  await db.insert(schema.staffPasskeys).values({
    id: credential.id,
    staffId,
    publicKey: isoBase64URL.fromBuffer(credential.publicKey),
    counter: credential.counter,
    transports: credential.transports ?? [],
    createdAt: now,
  });
  return { credentialId: credential.id };
}

/** What a staff member approves with a step-up: the kind of act and everything it covers. */
export interface ActContent {
  kind: string;
  [field: string]: unknown;
}

const actChallenge = (act: ActContent, nonce: string) =>
  createHash("sha256")
    .update(`${canonicalJson(act)}.${nonce}`, "utf8")
    .digest("base64url");

export async function prepareStepUp(
  db: Database,
  env: PasskeyEnv,
  staffId: string,
  act: ActContent,
  now = new Date(),
): Promise<{ options: PublicKeyCredentialRequestOptionsJSON }> {
  const nonce = randomBytes(16).toString("base64url");
  const challenge = actChallenge(act, nonce);
  const credentials = await credentialsOf(db, staffId);
  const options = await generateAuthenticationOptions({
    rpID: env.webauthnRpId,
    challenge: isoBase64URL.toBuffer(challenge),
    allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports })),
    userVerification: "required",
  });
  await db.insert(schema.staffChallenges).values({
    staffId,
    purpose: "step_up",
    challenge,
    act,
    nonce,
    expiresAt: new Date(now.getTime() + CHALLENGE_MINUTES * 60_000),
    createdAt: now,
  });
  return { options };
}

async function verifyAssertion(
  env: PasskeyEnv,
  passkey: typeof schema.staffPasskeys.$inferSelect,
  response: AuthenticationResponseJSON,
  expected: string,
  counter: number,
) {
  try {
    return await verifyAuthenticationResponse({
      response,
      expectedChallenge: expected,
      expectedOrigin: origin(env),
      expectedRPID: env.webauthnRpId,
      credential: { id: passkey.id, publicKey: isoBase64URL.toBuffer(passkey.publicKey), counter, transports: passkey.transports as never },
      requireUserVerification: true,
    });
  } catch {
    return { verified: false as const };
  }
}

export interface SignedAct {
  id: string;
  act: ActContent;
}

/**
 * Checks a step-up answer: a challenge this staff member was given for this
 * kind of act, unused and unexpired; one of their own passkeys; a valid
 * signature with user verification. Keeps the signed act and returns it
 * (the content as stored, never as the browser sent it back).
 */
export async function confirmStepUp(
  db: Database,
  env: PasskeyEnv,
  staffId: string,
  /** The kind of act expected, or the kind and a check of its content (nothing is kept for an act that fails it). */
  expected: string | { kind: string; accepts: (act: ActContent) => boolean },
  response: AuthenticationResponseJSON,
  now = new Date(),
): Promise<SignedAct> {
  const expectedKind = typeof expected === "string" ? expected : expected.kind;
  const challenge = await takeChallenge(db, staffId, clientChallenge(response.response.clientDataJSON), "step_up", now);
  const act = challenge.act as ActContent | null;
  if (!act || act.kind !== expectedKind || !challenge.nonce || actChallenge(act, challenge.nonce) !== challenge.challenge)
    throw new PasskeyRefused("mismatch");
  if (typeof expected !== "string" && !expected.accepts(act)) throw new PasskeyRefused("mismatch");
  const [passkey] = await db
    .select()
    .from(schema.staffPasskeys)
    .where(and(eq(schema.staffPasskeys.id, response.id), eq(schema.staffPasskeys.staffId, staffId)));
  if (!passkey) throw new PasskeyRefused("unknown_credential");
  const verification = await verifyAssertion(env, passkey, response, challenge.challenge, passkey.counter);
  if (!verification.verified) throw new PasskeyRefused("not_verified");
  await db
    .update(schema.staffPasskeys)
    .set({ counter: verification.authenticationInfo.newCounter, lastUsedAt: now })
    .where(eq(schema.staffPasskeys.id, passkey.id));
  const actingFor = typeof act.actingFor === "string" ? act.actingFor : null;
  const [signed] = await db
    .insert(schema.signedActs)
    .values({
      staffId,
      actingFor,
      kind: act.kind,
      act,
      nonce: challenge.nonce,
      credentialId: passkey.id,
      authenticatorData: response.response.authenticatorData,
      clientDataJson: response.response.clientDataJSON,
      signature: response.response.signature,
      signedAt: now,
    })
    .returning({ id: schema.signedActs.id });
  return { id: signed!.id, act };
}

/** Why a step-up answer posted by a form was not taken. */
export type StepUpRefusal = PasskeyRefused["reason"] | "malformed";

/**
 * The step-up answer a page's form posts (field `credential`, the browser's
 * JSON), checked by `confirmStepUp`; a refusal, never an exception, for
 * anything a client can send.
 */
export async function confirmPostedStepUp(
  db: Database,
  env: PasskeyEnv,
  staffId: string,
  expected: { kind: string; accepts: (act: ActContent) => boolean },
  form: FormData,
  now = new Date(),
): Promise<{ ok: true; signed: SignedAct } | { ok: false; reason: StepUpRefusal }> {
  let credential: unknown;
  try {
    credential = JSON.parse(String(form.get("credential") ?? ""));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  try {
    return { ok: true, signed: await confirmStepUp(db, env, staffId, expected, credential as AuthenticationResponseJSON, now) };
  } catch (error) {
    if (error instanceof PasskeyRefused) return { ok: false, reason: error.reason };
    if (error instanceof TypeError || error instanceof SyntaxError) return { ok: false, reason: "malformed" };
    throw error;
  }
}

/** Checks a kept act again: its content still gives the challenge signed, and the signature holds. */
export async function verifySignedAct(db: Database, env: PasskeyEnv, signedActId: string): Promise<boolean> {
  const [row] = await db
    .select({ act: schema.signedActs, passkey: schema.staffPasskeys })
    .from(schema.signedActs)
    .innerJoin(schema.staffPasskeys, eq(schema.signedActs.credentialId, schema.staffPasskeys.id))
    .where(eq(schema.signedActs.id, signedActId));
  if (!row || row.passkey.staffId !== row.act.staffId) return false;
  const expected = actChallenge(row.act.act as ActContent, row.act.nonce);
  if (clientChallenge(row.act.clientDataJson) !== expected) return false;
  const response: AuthenticationResponseJSON = {
    id: row.passkey.id,
    rawId: row.passkey.id,
    type: "public-key",
    clientExtensionResults: {},
    response: { authenticatorData: row.act.authenticatorData, clientDataJSON: row.act.clientDataJson, signature: row.act.signature },
  };
  // Counter 0: a later use of the same passkey must not make an old signature look like a replay.
  const verification = await verifyAssertion(env, row.passkey, response, expected, 0);
  return verification.verified;
}
