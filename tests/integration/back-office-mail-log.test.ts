import { eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { mailSearchQuery, parseMailSearch, searchMailLog, viewMail } from "~/back-office/mail-log.server";
import { mayUse, type StaffContext } from "~/back-office/staff-request.server";
import { loadRoles } from "~/back-office/staff-sessions.server";
import { verifyAuditChain } from "~/base/audit.server";
import { schema, setAppDatabase } from "~/base/db.server";
import type { EmailKind, EmailState } from "~/domain/email";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { describeEachDatabase } from "../support/databases";

/**
 * The back office's mail delivery log, as the city's auditor and the portal's
 * administrators read it: how the outbox stands, which mails went out or
 * failed and why, never a mail's body or a resident's full address.
 */

const TODAY = new Date().toISOString().slice(0, 10);
const NOW = new Date("2026-05-20T04:00:00Z");

describeEachDatabase(
  "the back office's mail delivery log",
  (database) => {
    const db = () => database().db;
    const staffIds = new Map<string, string>();
    const mails: Record<string, string> = {};

    async function viewer(username: string): Promise<StaffContext> {
      const staffId = staffIds.get(username)!;
      return {
        staffId,
        requestId: `test-${username}`,
        roles: await loadRoles(db(), staffId),
        name: username,
        agencyCode: null,
        session: null as never,
      };
    }

    async function mail(
      name: string,
      values: {
        kind: EmailKind;
        state: EmailState;
        to: string;
        createdAt: Date;
        attempts?: Array<{ outcome: "sent" | "failed" | "cancelled"; detail: string }>;
      },
    ) {
      const attempts = values.attempts ?? [];
      const [row] = await db()
        .insert(schema.emailOutbox)
        .values({
          kind: values.kind,
          dedupeKey: `mail-log-test|${name}`,
          toAddress: values.to,
          locale: "zh-TW",
          subject: `臺中市政府繳費通知 ${name}`,
          textBody: `退款金額 NT$1,234 寄給 ${values.to}`,
          htmlBody: `<p>退款金額 NT$1,234 寄給 ${values.to}</p>`,
          state: values.state,
          attempts: attempts.length,
          lastError: attempts.at(-1)?.outcome === "failed" ? attempts.at(-1)!.detail : null,
          sentAt: values.state === "sent" ? new Date(values.createdAt.getTime() + 60_000) : null,
          nextAttemptAt: values.createdAt,
          createdAt: values.createdAt,
        })
        .returning({ id: schema.emailOutbox.id });
      for (const [index, attempt] of attempts.entries())
        await db()
          .insert(schema.emailAttempts)
          .values({
            emailId: row!.id,
            ...attempt,
            durationMs: 40,
            attemptedAt: new Date(values.createdAt.getTime() + (index + 1) * 30_000),
          });
      mails[name] = row!.id;
    }

    beforeAll(async () => {
      setAppDatabase(database());
      for (const row of await db().select({ id: schema.staff.id, subject: schema.staff.subject }).from(schema.staff))
        staffIds.set(row.subject.replace(/^st-/, ""), row.id);
      await db().delete(schema.emailAttempts);
      await db().delete(schema.emailOutbox);
      await mail("receipt", {
        kind: "receipt",
        state: "sent",
        to: "wang.xiaoming@example.com",
        createdAt: new Date("2026-05-18T02:00:00Z"),
        attempts: [
          { outcome: "failed", detail: "421 4.7.0 try again later" },
          { outcome: "sent", detail: "250 2.0.0 OK queued" },
        ],
      });
      await mail("refund", {
        kind: "refund_notice",
        state: "failed",
        to: "lin.meiling@example.org",
        createdAt: new Date("2026-05-19T03:00:00Z"),
        attempts: [{ outcome: "failed", detail: "550 5.1.1 <lin.meiling@example.org> mailbox unknown" }],
      });
      // Queued two hours before "now", never tried: what a stuck outbox looks like.
      await mail("reminder", {
        kind: "due_reminder",
        state: "queued",
        to: "chen@example.net",
        createdAt: new Date("2026-05-20T02:00:00Z"),
      });
      await mail("reply", {
        kind: "contact_reply",
        state: "cancelled",
        to: "huang@example.com",
        createdAt: new Date("2026-05-20T03:00:00Z"),
      });
    });

    it("opens the log to the auditor and the city administrator, never to an agency's staff", async () => {
      expect(mayUse(await viewer("auditor"), "mail.view")).toBe(true);
      expect(mayUse(await viewer("city-admin"), "mail.view")).toBe(true);
      expect(mayUse(await viewer("police-handler"), "mail.view")).toBe(false);
      expect(mayUse(await viewer("water-head"), "mail.view")).toBe(false);
    });

    it("counts the outbox by state, shows the oldest queued mail's wait, and lists mails newest first with masked addresses only", async () => {
      const result = await searchMailLog(db(), await viewer("auditor"), {}, 1, NOW);
      expect(result.health).toEqual({ counts: { queued: 1, sent: 1, failed: 1, cancelled: 1 }, oldestQueuedSeconds: 2 * 3600 });
      expect(result).toMatchObject({ total: 4, page: 1, pages: 1 });
      expect(result.rows.map((row) => row.kind)).toEqual(["contact_reply", "due_reminder", "refund_notice", "receipt"]);
      const receipt = result.rows.find((row) => row.kind === "receipt")!;
      expect(receipt).toMatchObject({ state: "sent", attempts: 2, subject: "臺中市政府繳費通知 receipt", lastError: null });
      expect(receipt.toAddressMasked).toBe("w************@e******.com");
      expect(receipt.sentAt).toBe("2026-05-18T02:01:00.000Z");
      const refund = result.rows.find((row) => row.kind === "refund_notice")!;
      expect(refund.lastError).toContain("550 5.1.1");
      const shown = JSON.stringify(result);
      for (const address of ["wang.xiaoming@example.com", "lin.meiling@example.org", "chen@example.net", "huang@example.com"])
        expect(shown).not.toContain(address);
      // The body (a refund amount here) is never shown.
      expect(shown).not.toContain("1,234");
    });

    it("filters by state, kind and the day queued (Taipei days), and refuses bad filters with the field to fix", async () => {
      const auditor = await viewer("auditor");
      const ids = async (query: string) => {
        const parsed = parseMailSearch(new URLSearchParams(query));
        if (!parsed.ok) throw new Error(`refused: ${JSON.stringify(parsed.problems)}`);
        return (await searchMailLog(db(), auditor, parsed.filters, parsed.page, NOW)).rows.map((row) => row.id);
      };
      expect(await ids("state=failed")).toEqual([mails.refund]);
      expect(await ids("kind=receipt")).toEqual([mails.receipt]);
      expect(await ids("from=2026-05-19&to=2026-05-19")).toEqual([mails.refund]);
      expect(await ids("from=2026-05-20")).toEqual([mails.reply, mails.reminder]);
      expect(await ids("state=sent&kind=refund_notice")).toEqual([]);

      const bad = parseMailSearch(new URLSearchParams("state=lost&kind=spam&from=2026-02-30&to=x"));
      expect(bad).toMatchObject({
        ok: false,
        problems: { state: "stateInvalid", kind: "kindInvalid", from: "dateInvalid", to: "dateInvalid" },
        typed: { state: "lost", kind: "spam", from: "2026-02-30", to: "x" },
      });
      expect(parseMailSearch(new URLSearchParams("from=2026-05-20&to=2026-05-19"))).toMatchObject({
        ok: false,
        problems: { to: "dateOrder" },
      });
      expect(mailSearchQuery({ state: "failed", from: "2026-05-01" }, 2)).toBe("state=failed&from=2026-05-01&page=2");
    });

    it("shows one mail with every attempt, the refusal's address masked, and answers not found for unknown ids", async () => {
      const admin = await viewer("city-admin");
      const receipt = await viewMail(db(), admin, mails.receipt!);
      expect(receipt?.attemptLog.map((attempt) => [attempt.outcome, attempt.detail])).toEqual([
        ["failed", "421 4.7.0 try again later"],
        ["sent", "250 2.0.0 OK queued"],
      ]);
      const refund = await viewMail(db(), admin, mails.refund!);
      expect(refund?.attemptLog).toHaveLength(1);
      expect(refund?.attemptLog[0]!.detail).toContain("550 5.1.1");
      expect(JSON.stringify(refund)).not.toContain("lin.meiling@example.org");
      expect(JSON.stringify(refund)).not.toContain("1,234");
      expect(await viewMail(db(), admin, "00000000-0000-4000-a000-000000000000")).toBeNull();
      expect(await viewMail(db(), admin, "not-a-uuid")).toBeNull();
    });

    it("writes every search and every view to the audit trail, and nothing for a mail not found", async () => {
      const auditor = await viewer("auditor");
      await searchMailLog(db(), auditor, { state: "failed" }, 1, NOW);
      const [searched] = await db()
        .select()
        .from(schema.auditLog)
        .where(eq(schema.auditLog.action, "staff.mail_log_searched"))
        .orderBy(schema.auditLog.seq)
        .then((rows) => rows.slice(-1));
      expect(searched).toMatchObject({
        actorId: auditor.staffId,
        targetType: "email",
        details: { filters: { state: "failed" }, found: 1 },
      });

      await viewMail(db(), auditor, mails.refund!);
      const views = await db().select().from(schema.auditLog).where(eq(schema.auditLog.action, "staff.mail_viewed"));
      expect(views.some((entry) => entry.actorId === auditor.staffId && entry.targetId === mails.refund)).toBe(true);
      // The trail keeps no address either.
      expect(JSON.stringify(views)).not.toContain("@example");

      const before = (await db().select().from(schema.auditLog)).length;
      await viewMail(db(), auditor, "00000000-0000-4000-a000-000000000000");
      expect((await db().select().from(schema.auditLog)).length).toBe(before);
      expect((await verifyAuditChain(db())).ok).toBe(true);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "mail-log-test-pii-key-mail-log-test", today: TODAY });
    await seedDemoStaff(handle.db);
  },
);
