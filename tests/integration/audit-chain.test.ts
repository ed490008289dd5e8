import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { recordAudit, searchAudit, verifyAuditChain } from "~/base/audit.server";
import { schema } from "~/base/db.server";
import { describeEachDatabase } from "../support/databases";

/** Postgres error code of a failed statement (drizzle wraps driver errors in `cause`). */
async function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code;
  }
  return undefined;
}

describeEachDatabase("the audit chain", (database) => {
  const db = () => database().db;

  it("chains every entry to the one before, in the order written, and verifies", async () => {
    const writes = Array.from({ length: 12 }, (_, i) =>
      recordAudit(db(), {
        actorType: "staff",
        actorId: `s-${i}`,
        action: "staff.search",
        targetType: "payments",
        details: { q: `中文 ${i}`, n: i },
      }),
    );
    await Promise.all(writes);
    const entries = await searchAudit(db(), {}, { limit: 100 });
    const inOrder = [...entries].reverse();
    expect(inOrder.map((e) => e.seq)).toEqual(inOrder.map((_, i) => i + 1));
    for (let i = 1; i < inOrder.length; i++) expect(inOrder[i]!.prevHash).toBe(inOrder[i - 1]!.hash);
    expect(inOrder[0]!.prevHash).toBe("0".repeat(64));
    expect(await verifyAuditChain(db())).toMatchObject({ ok: true, checked: 12, headSeq: 12, headHash: inOrder[11]!.hash });
  });

  it("chains an entry when its transaction commits: one still open holds no other back, and one rolled back leaves no gap", async () => {
    const entry = (actorId: string) => ({ actorType: "staff" as const, actorId, action: "staff.search", targetType: "payments" });
    const head = (await verifyAuditChain(db())).headSeq;
    if (database().kind === "postgres") {
      // A transaction that wrote its entry and is still busy (a payment's other statements, a slow client)…
      let finish!: () => void;
      const held = new Promise<void>((resolve) => (finish = resolve));
      const open = db().transaction(async (tx) => {
        await recordAudit(tx, entry("open"));
        const [own] = await tx.select({ seq: schema.auditLog.seq }).from(schema.auditLog).where(eq(schema.auditLog.actorId, "open"));
        // Not chained yet inside its own transaction.
        expect(own?.seq).toBeNull();
        await held;
      });
      // …does not stop another entry from being written and chained meanwhile.
      await recordAudit(db(), entry("meanwhile"));
      expect(await verifyAuditChain(db())).toMatchObject({ ok: true, headSeq: head + 1 });
      finish();
      await open;
    } else {
      await recordAudit(db(), entry("meanwhile"));
      await recordAudit(db(), entry("open"));
    }
    await expect(
      db().transaction(async (tx) => {
        await recordAudit(tx, entry("rolled back"));
        throw new Error("changed its mind");
      }),
    ).rejects.toThrow("changed its mind");
    // Chained in the order of the commits; the rolled-back entry took no place in the chain.
    const latest = await searchAudit(db(), {}, { limit: 2 });
    expect(latest.map((e) => [e.actorId, e.seq])).toEqual([
      ["open", head + 2],
      ["meanwhile", head + 1],
    ]);
    expect(await verifyAuditChain(db())).toMatchObject({ ok: true, headSeq: head + 2 });
  });

  it("ignores chain fields the application gives, and refuses to rechain an entry, even with the chaining flag set", async () => {
    const head = (await verifyAuditChain(db())).headSeq;
    await db()
      .insert(schema.auditLog)
      .values({
        actorType: "system",
        actorId: "forger",
        action: "x",
        targetType: "y",
        seq: 1,
        prevHash: "f".repeat(64),
        hash: "f".repeat(64),
      });
    const [forged] = await db().select().from(schema.auditLog).where(eq(schema.auditLog.actorId, "forger"));
    expect(forged).toMatchObject({ seq: head + 1 });
    expect(forged!.hash).not.toBe("f".repeat(64));
    const rechain = db().transaction(async (tx) => {
      await tx.execute(sql`select set_config('audit_log.chaining', 'on', true)`);
      await tx.update(schema.auditLog).set({ seq: 999_999 }).where(eq(schema.auditLog.actorId, "forger"));
    });
    expect(await errorCode(rechain)).toBe("42501");
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });

  it("refuses updates, deletes and truncation through any connection of the application", async () => {
    expect(await errorCode(db().update(schema.auditLog).set({ action: "x" }))).toBe("42501");
    expect(await errorCode(db().delete(schema.auditLog))).toBe("42501");
    expect(await errorCode(db().execute(sql`truncate audit_log`))).toBe("42501");
    expect((await verifyAuditChain(db())).ok).toBe(true);
  });

  it("breaks verification at an entry changed behind the application's back, and at a removed one", async () => {
    // What an intruder with the database's superuser could do: switch the triggers off.
    await db().execute(sql`alter table audit_log disable trigger audit_log_no_update_or_delete`);
    try {
      await db().execute(sql`update audit_log set details = '{"q":"changed","n":5}' where seq = 6`);
      expect(await verifyAuditChain(db())).toMatchObject({ ok: false, brokenAtSeq: 6, problem: "hash", checked: 5 });
      // Recomputing that one hash does not help: the next entry names the old one.
      await db().execute(
        sql`update audit_log set hash = encode(sha256(convert_to(prev_hash || audit_entry_text(audit_log), 'UTF8')), 'hex') where seq = 6`,
      );
      expect(await verifyAuditChain(db())).toMatchObject({ ok: false, brokenAtSeq: 7, problem: "previous_hash" });
      await db().execute(sql`delete from audit_log where seq >= 6`);
      expect((await verifyAuditChain(db())).ok).toBe(true);
      await db().execute(sql`delete from audit_log where seq = 3`);
      expect(await verifyAuditChain(db())).toMatchObject({ ok: false, brokenAtSeq: 3, problem: "gap" });
    } finally {
      await db().execute(sql`alter table audit_log enable trigger audit_log_no_update_or_delete`);
    }
  });
});
