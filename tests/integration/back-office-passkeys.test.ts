import { and, desc, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  PasskeyRefused,
  completeRegistration,
  confirmStepUp,
  prepareStepUp,
  registrationOptions,
  verifySignedAct,
  type ActContent,
} from "~/back-office/passkeys.server";
import { REVEAL_KIND, answerRevealIntent, type RevealTarget } from "~/back-office/reveal.server";
import type { StaffContext } from "~/back-office/staff-request.server";
import { currentStaffSession, hasPasskey, loadRoles, startStaffSession } from "~/back-office/staff-sessions.server";
import { verifyAuditChain } from "~/base/audit.server";
import { schema, setAppDatabase, type Database } from "~/base/db.server";
import { installConfiguration } from "~/base/env.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";
import { SoftwareAuthenticator, type AnswerOverrides } from "../support/software-authenticator";

/**
 * Passkeys are the staff's signature: registered once, then asked for again
 * over the content of every act of consequence. These tests sign with a
 * software authenticator and try what an attacker (or a slip) would: someone
 * else's challenge or passkey, a replay, a late answer, another page's origin,
 * another relying party, no user verification, another act, a stored act
 * changed afterwards.
 */

const ENV = { backOfficeUrl: "http://localhost:3000", webauthnRpId: "localhost" };
const ORIGIN = "http://localhost:3000";

async function staffMember(db: Database, subject: string) {
  const [row] = await db.select().from(schema.staff).where(eq(schema.staff.subject, subject));
  if (!row) throw new Error(`no demo staff member ${subject}`);
  return row;
}

/** A passkey registered for the staff member, as the passkey page does it. */
async function registeredAuthenticator(db: Database, staff: { id: string; subject: string; displayName: string }) {
  const authenticator = new SoftwareAuthenticator(ORIGIN);
  const options = await registrationOptions(db, ENV, staff);
  await completeRegistration(db, ENV, staff.id, authenticator.register(options));
  return authenticator;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PasskeyRefused) return error.reason;
    throw error;
  }
  return "accepted";
}

const refundAct = (staffId: string, amount: number): ActContent => ({
  kind: "refund_approval",
  staffId,
  orderId: "00000000-0000-4000-8000-000000000001",
  amount,
  actingFor: null,
});

describeEachDatabase(
  "passkeys and signed acts",
  (database) => {
    const db = () => database().db;
    let handler: Awaited<ReturnType<typeof staffMember>>;
    let colleague: Awaited<ReturnType<typeof staffMember>>;
    let handlerKey: SoftwareAuthenticator;
    let colleagueKey: SoftwareAuthenticator;

    beforeAll(async () => {
      handler = await staffMember(db(), "st-police-handler");
      colleague = await staffMember(db(), "st-police-handler-2");
    });

    it("registers a passkey: the credential is stored with its public key, for that staff member only", async () => {
      expect(await hasPasskey(db(), handler.id)).toBe(false);
      const authenticator = new SoftwareAuthenticator(ORIGIN);
      const options = await registrationOptions(db(), ENV, handler);
      expect(options.rp.id).toBe("localhost");
      expect(options.authenticatorSelection?.userVerification).toBe("required");

      expect(await completeRegistration(db(), ENV, handler.id, authenticator.register(options))).toEqual({
        credentialId: authenticator.credentialId,
      });
      const [stored] = await db().select().from(schema.staffPasskeys).where(eq(schema.staffPasskeys.id, authenticator.credentialId));
      expect(stored).toMatchObject({ staffId: handler.id, counter: 0, transports: ["internal"] });
      expect(stored!.publicKey.length).toBeGreaterThan(50);
      expect(await hasPasskey(db(), handler.id)).toBe(true);
      expect(await hasPasskey(db(), colleague.id)).toBe(false);

      // A second registration is told which credential exists already.
      const again = await registrationOptions(db(), ENV, handler);
      expect(again.excludeCredentials?.map((c) => c.id)).toEqual([authenticator.credentialId]);
      handlerKey = authenticator;
    });

    it("refuses a registration answered for another staff member's challenge, and leaves that challenge to its owner", async () => {
      const intruder = new SoftwareAuthenticator(ORIGIN);
      const colleaguesOptions = await registrationOptions(db(), ENV, colleague);
      expect(await refusal(completeRegistration(db(), ENV, handler.id, intruder.register(colleaguesOptions)))).toBe("no_challenge");
      expect(await db().select().from(schema.staffPasskeys).where(eq(schema.staffPasskeys.id, intruder.credentialId))).toEqual([]);

      colleagueKey = new SoftwareAuthenticator(ORIGIN);
      await completeRegistration(db(), ENV, colleague.id, colleagueKey.register(colleaguesOptions));
      expect(await hasPasskey(db(), colleague.id)).toBe(true);
    });

    it("refuses a registration answered twice, late, from another origin, for another relying party, or without user verification", async () => {
      const head = await staffMember(db(), "st-police-head");
      const now = new Date();
      const cases: Array<[AnswerOverrides | ((challenge: string) => AnswerOverrides), string]> = [
        [{ origin: "http://localhost:4000" }, "not_verified"],
        [{ rpId: "evil.example" }, "not_verified"],
        [{ userVerified: false }, "not_verified"],
        [(challenge) => ({ challenge: `${challenge.slice(1)}A` }), "no_challenge"],
      ];
      for (const [overrides, expected] of cases) {
        const options = await registrationOptions(db(), ENV, head, now);
        const answer = new SoftwareAuthenticator(ORIGIN).register(
          options,
          typeof overrides === "function" ? overrides(options.challenge) : overrides,
        );
        expect(await refusal(completeRegistration(db(), ENV, head.id, answer, now)), JSON.stringify(overrides)).toBe(expected);
      }
      const late = await registrationOptions(db(), ENV, head, now);
      const lateAnswer = new SoftwareAuthenticator(ORIGIN).register(late);
      expect(await refusal(completeRegistration(db(), ENV, head.id, lateAnswer, new Date(now.getTime() + 5 * 60_000 + 1)))).toBe(
        "no_challenge",
      );
      expect(await hasPasskey(db(), head.id)).toBe(false);

      const options = await registrationOptions(db(), ENV, head, now);
      const answer = new SoftwareAuthenticator(ORIGIN).register(options);
      await completeRegistration(db(), ENV, head.id, answer, now);
      expect(await refusal(completeRegistration(db(), ENV, head.id, answer, now))).toBe("no_challenge");
      expect(await db().select().from(schema.staffPasskeys).where(eq(schema.staffPasskeys.staffId, head.id))).toHaveLength(1);
    });

    it("keeps a step-up's act with its signature, which verifies again later, after newer signatures too", async () => {
      const act = refundAct(handler.id, 1200);
      const { options } = await prepareStepUp(db(), ENV, handler.id, act);
      expect(options.rpId).toBe("localhost");
      expect(options.userVerification).toBe("required");
      expect(options.allowCredentials?.map((c) => c.id)).toEqual([handlerKey.credentialId]);

      const signed = await confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(options));
      expect(signed.act).toEqual(act);
      const [kept] = await db().select().from(schema.signedActs).where(eq(schema.signedActs.id, signed.id));
      expect(kept).toMatchObject({ staffId: handler.id, kind: "refund_approval", credentialId: handlerKey.credentialId, act });
      const [passkey] = await db().select().from(schema.staffPasskeys).where(eq(schema.staffPasskeys.id, handlerKey.credentialId));
      expect(passkey!.counter).toBe(handlerKey.signCount);
      expect(passkey!.lastUsedAt).not.toBeNull();
      expect(await verifySignedAct(db(), ENV, signed.id)).toBe(true);

      // A later signature moves the passkey's counter on; the old act still verifies.
      const next = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 300));
      const second = await confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(next.options));
      expect(await verifySignedAct(db(), ENV, second.id)).toBe(true);
      expect(await verifySignedAct(db(), ENV, signed.id)).toBe(true);
      // Checked against another relying party's configuration, the same act does not hold.
      expect(await verifySignedAct(db(), { ...ENV, backOfficeUrl: "http://localhost:4000" }, signed.id)).toBe(false);
      expect(await verifySignedAct(db(), ENV, "00000000-0000-4000-8000-000000000000")).toBe(false);
    });

    it("accepts an answer once: the same answer again is refused", async () => {
      const { options } = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 500));
      const answer = handlerKey.authenticate(options);
      await confirmStepUp(db(), ENV, handler.id, "refund_approval", answer);
      const before = await db().select().from(schema.signedActs);
      expect(await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", answer))).toBe("no_challenge");
      expect(await db().select().from(schema.signedActs)).toHaveLength(before.length);
    });

    it("refuses an answer after the challenge expired (five minutes), and takes one just before", async () => {
      const now = new Date();
      const late = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 700), now);
      const lateAnswer = handlerKey.authenticate(late.options);
      expect(await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", lateAnswer, new Date(now.getTime() + 5 * 60_000)))).toBe(
        "no_challenge",
      );
      const inTime = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 700), now);
      const inTimeAnswer = handlerKey.authenticate(inTime.options);
      expect(
        await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", inTimeAnswer, new Date(now.getTime() + 4 * 60_000))),
      ).toBe("accepted");
    });

    it("refuses a signature by another staff member's passkey, whatever credential it names", async () => {
      const { options } = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 900));
      expect(await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", colleagueKey.authenticate(options)))).toBe(
        "unknown_credential",
      );
      // The colleague's signature presented under the handler's credential id: the key does not match.
      const again = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 900));
      const forged = colleagueKey.authenticate(again.options);
      forged.id = forged.rawId = handlerKey.credentialId;
      expect(await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", forged))).toBe("not_verified");
      // The handler's own answer presented as the colleague's act.
      const own = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 900));
      expect(await refusal(confirmStepUp(db(), ENV, colleague.id, "refund_approval", handlerKey.authenticate(own.options)))).toBe(
        "no_challenge",
      );
    });

    it("refuses a signature over another act: changed content, another kind, a challenge changed in the database", async () => {
      // Signing a challenge of one's own making (the act with another amount) instead of the one handed out.
      const { options } = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 100));
      const other = await prepareStepUp(db(), ENV, colleague.id, refundAct(handler.id, 100_000));
      expect(
        await refusal(
          confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(options, { challenge: other.options.challenge })),
        ),
      ).toBe("no_challenge");

      // A challenge for one kind of act confirmed as another.
      const reveal = await prepareStepUp(db(), ENV, handler.id, { kind: "reveal_personal_data", targetId: "x" });
      expect(await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(reveal.options)))).toBe(
        "mismatch",
      );

      // The act behind a handed-out challenge changed before the answer came.
      const changed = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 100));
      const [row] = await db().select().from(schema.staffChallenges).where(eq(schema.staffChallenges.challenge, changed.options.challenge));
      await db()
        .update(schema.staffChallenges)
        .set({ act: { ...(row!.act as ActContent), amount: 100_000 } })
        .where(eq(schema.staffChallenges.id, row!.id));
      expect(await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(changed.options)))).toBe(
        "mismatch",
      );
    });

    it("no longer verifies a kept act changed in the database afterwards", async () => {
      const { options } = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 2500));
      const signed = await confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(options));
      const [kept] = await db().select().from(schema.signedActs).where(eq(schema.signedActs.id, signed.id));
      const restore = () => db().update(schema.signedActs).set(kept!).where(eq(schema.signedActs.id, signed.id));
      const tamperings: Array<[string, Partial<typeof schema.signedActs.$inferInsert>]> = [
        ["the amount", { act: { ...signed.act, amount: 25_000 } }],
        ["a field added", { act: { ...signed.act, note: "approved by phone" } }],
        ["the nonce", { nonce: `${kept!.nonce.slice(0, -2)}AA` }],
        ["the signature", { signature: colleagueKey.authenticate(options).response.signature }],
        ["the signer", { staffId: colleague.id }],
      ];
      for (const [name, change] of tamperings) {
        await db().update(schema.signedActs).set(change).where(eq(schema.signedActs.id, signed.id));
        expect(await verifySignedAct(db(), ENV, signed.id), name).toBe(false);
        await restore();
      }
      // The keys written in another order are the same act.
      const reordered = Object.fromEntries(Object.entries(signed.act).reverse());
      await db().update(schema.signedActs).set({ act: reordered }).where(eq(schema.signedActs.id, signed.id));
      expect(await verifySignedAct(db(), ENV, signed.id)).toBe(true);
    });

    it("refuses a step-up from another origin, for another relying party, or without user verification", async () => {
      for (const overrides of [
        { origin: "http://localhost:4000" },
        { origin: "https://localhost:3000" },
        { rpId: "example.org" },
        { userVerified: false },
      ]) {
        const { options } = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 40));
        expect(
          await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(options, overrides))),
          JSON.stringify(overrides),
        ).toBe("not_verified");
      }
      // The portal configured for another relying party refuses an answer for this one.
      const { options } = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 40));
      expect(
        await refusal(
          confirmStepUp(
            db(),
            { ...ENV, webauthnRpId: "pay.example.gov.tw" },
            handler.id,
            "refund_approval",
            handlerKey.authenticate(options),
          ),
        ),
      ).toBe("not_verified");
    });

    it("refuses a cloned passkey whose counter went back", async () => {
      const { options } = await prepareStepUp(db(), ENV, handler.id, refundAct(handler.id, 60));
      const counter = handlerKey.signCount;
      handlerKey.signCount = 0;
      expect(await refusal(confirmStepUp(db(), ENV, handler.id, "refund_approval", handlerKey.authenticate(options)))).toBe("not_verified");
      handlerKey.signCount = counter;
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "test-pii-key-test-pii-key-test-pii-key", billsPerType: 1, residents: 2 });
    await seedDemoStaff(handle.db);
  },
);

describeEachDatabase(
  "revealing personal data",
  (database) => {
    const db = () => database().db;
    const env = demoEnv({ PUBLIC_URL: ORIGIN });
    const target: RevealTarget = {
      type: "payment_order",
      id: "00000000-0000-4000-8000-00000000aaaa",
      agencyCode: "police",
      fields: ["payerName", "payerEmail"],
    };
    let staff: StaffContext;
    let key: SoftwareAuthenticator;

    beforeAll(async () => {
      expect(env).toMatchObject(ENV);
      setAppDatabase(database());
      installConfiguration(env);
      const member = await staffMember(db(), "st-police-reviewer");
      key = await registeredAuthenticator(db(), member);
      const cookie = await startStaffSession(db(), env, member.id, { idToken: null, clientAddress: "127.0.0.1" });
      const session = await currentStaffSession(
        db(),
        env,
        new Request(`${ORIGIN}/back-office`, { headers: { cookie: cookie.split(";")[0]! } }),
      );
      staff = {
        session: session!,
        staffId: member.id,
        name: member.displayName,
        agencyCode: member.agencyCode,
        roles: await loadRoles(db(), member.id),
        requestId: "test-request",
      };
    });
    afterAll(() => setAppDatabase(undefined));

    const form = (fields: Record<string, string>) => {
      const data = new FormData();
      for (const [name, value] of Object.entries(fields)) data.set(name, value);
      return data;
    };
    const lastAudit = async () => {
      const [entry] = await db()
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.actorId, staff.staffId), eq(schema.auditLog.actorType, "staff")))
        .orderBy(desc(schema.auditLog.seq))
        .limit(1);
      return entry;
    };
    const prepare = async (forTarget = target) => {
      const state = await answerRevealIntent(staff, forTarget, form({ intent: "reveal-prepare", reason: "refund", detail: "" }), null);
      if (state.stage !== "confirm") throw new Error(`expected the challenge, got ${state.stage}`);
      return state.options as Parameters<SoftwareAuthenticator["authenticate"]>[0];
    };
    const confirm = (credential: unknown, forTarget = target) =>
      answerRevealIntent(staff, forTarget, form({ intent: "reveal-confirm", credential: JSON.stringify(credential) }), null);

    it("asks for a reason first, and for details when the reason is 'other'", async () => {
      expect(await answerRevealIntent(staff, target, form({ intent: "reveal-prepare" }), null)).toEqual({
        stage: "ask",
        errors: { reason: "reasonRequired" },
        values: { reason: "", detail: "" },
      });
      expect(
        await answerRevealIntent(staff, target, form({ intent: "reveal-prepare", reason: "other", detail: " ok " }), null),
      ).toMatchObject({
        stage: "ask",
        errors: { detail: "detailRequired" },
      });
      expect(await db().select().from(schema.staffChallenges).where(eq(schema.staffChallenges.purpose, "step_up"))).toEqual([]);
    });

    it("reveals after a signature over this target, the reason kept with the signed act and audited", async () => {
      const options = await prepare();
      const state = await confirm(key.authenticate(options));
      expect(state.stage).toBe("revealed");
      const signedActId = (state as { signedActId: string }).signedActId;
      const [kept] = await db().select().from(schema.signedActs).where(eq(schema.signedActs.id, signedActId));
      expect(kept!.act).toEqual({
        kind: REVEAL_KIND,
        staffId: staff.staffId,
        actingFor: null,
        targetType: "payment_order",
        targetId: target.id,
        agencyCode: "police",
        fields: ["payerName", "payerEmail"],
        reason: "refund",
        detail: "",
      });
      expect(await verifySignedAct(db(), env, signedActId)).toBe(true);
      expect(await lastAudit()).toMatchObject({
        action: "staff.personal_data_revealed",
        targetType: "payment_order",
        targetId: target.id,
        requestId: "test-request",
        details: { signedActId, fields: ["payerName", "payerEmail"], reason: "refund" },
      });
    });

    it("refuses, and audits the refusal, a signature over another reveal (another item, fewer fields), a replay, and an answer that is no credential", async () => {
      const otherTarget = { ...target, id: "00000000-0000-4000-8000-00000000bbbb" };
      const options = await prepare(otherTarget);
      const answer = key.authenticate(options);
      const keptBefore = (await db().select().from(schema.signedActs)).length;
      expect(await confirm(answer, target)).toEqual({ stage: "refused" });
      // A refused reveal keeps no signed act: only acts that took effect are on record as signed.
      expect(await db().select().from(schema.signedActs)).toHaveLength(keptBefore);
      expect(await lastAudit()).toMatchObject({
        action: "staff.personal_data_reveal_refused",
        targetId: target.id,
        details: { reason: "mismatch" },
      });
      // The same answer for the target it was made for: already used.
      expect(await confirm(answer, otherTarget)).toEqual({ stage: "refused" });
      expect(await lastAudit()).toMatchObject({ targetId: otherTarget.id, details: { reason: "no_challenge" } });

      // Signed for the name only: the same item with the e-mail too is another reveal.
      const nameOnly = { ...target, fields: ["payerName"] };
      expect(await confirm(key.authenticate(await prepare(nameOnly)), target)).toEqual({ stage: "refused" });
      expect(await lastAudit()).toMatchObject({ targetId: target.id, details: { reason: "mismatch" } });
      expect(await confirm(key.authenticate(await prepare(nameOnly)), nameOnly)).toMatchObject({ stage: "revealed" });

      for (const credential of [null, {}, { id: "x", response: {} }, "not json"]) {
        const sent = typeof credential === "string" ? form({ intent: "reveal-confirm", credential }) : null;
        const state = sent ? await answerRevealIntent(staff, target, sent, null) : await confirm(credential);
        expect(state, JSON.stringify(credential)).toEqual({ stage: "refused" });
        expect((await lastAudit())!.action).toBe("staff.personal_data_reveal_refused");
      }
      expect((await verifyAuditChain(db())).ok).toBe(true);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "test-pii-key-test-pii-key-test-pii-key", billsPerType: 1, residents: 2 });
    await seedDemoStaff(handle.db);
  },
);
