import { createHash } from "node:crypto";
import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { taipeiDate } from "~/domain/dates";
import type { MemberEmailKind } from "~/domain/email";
import type { Locale } from "~/i18n";
import { applicantDigest } from "~/cases/ecounter.server";
import { caseStatusChecks, readCaseChanges, type StatusChangesContext } from "~/cases/status-changes.server";
import { schema, type Database } from "~/base/db.server";
import { generateDemoData } from "~/demo/data/generate";
import { describeEachDatabase } from "../support/databases";
import { startEcounter } from "../support/ecounter";
import { demoEnv } from "../support/env";
import { capturedLogger } from "../support/payments";

/**
 * Status e-mails (issue 18): a change in the e-counter's feed reaches the
 * member it concerns, once, in their language, if they chose it; nobody is
 * told of changes made before the portal started reading; two readers at
 * once mail each change once; an e-counter that does not answer loses no
 * change. Asserted on the outbox, where the mail job picks mails up.
 */

const residents = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 10 }).residents;
/** Past the lease a reader holds the feed for: a reader that hung that long is overtaken. */
const PAST_THE_LEASE_MS = 11 * 60_000;

describeEachDatabase("case status e-mails", (database) => {
  const db = () => database().db;
  let ecounter: Awaited<ReturnType<typeof startEcounter>>;
  let ctx: StatusChangesContext;
  // One clock for the whole suite, moving forward: each read is later than the one before.
  let clock = Date.now();
  const later = (ms = 1000) => new Date((clock += ms));
  const read = (at = later()) => readCaseChanges(ctx, at);

  const caseOf = (resident: number, service: string) =>
    ecounter.simulator.cases().find((found) => found.applicantName === residents[resident]!.name && found.record.service.code === service)!
      .caseNumber;
  const mailsAbout = (caseNumber: string) =>
    db()
      .select()
      .from(schema.emailOutbox)
      .where(like(schema.emailOutbox.dedupeKey, `case_status:${caseNumber}:%`));
  const cursor = async () =>
    (await db().select().from(schema.caseChangeFeeds).where(eq(schema.caseChangeFeeds.feed, "ecounter")))[0]?.cursor ?? null;

  async function verifiedMember(
    resident: number,
    settings: { email: string | null; kinds: MemberEmailKind[]; locale: Locale },
  ): Promise<string> {
    const nationalId = residents[resident]!.nationalId;
    const [row] = await db()
      .insert(schema.members)
      .values({
        issuer: "https://id.example",
        subject: `resident-${resident}`,
        displayName: residents[resident]!.name,
        nationalIdHash: createHash("sha256").update(nationalId).digest("hex"),
        identityVerified: true,
        caseApplicantDigest: applicantDigest(nationalId, ecounter.applicantKey),
        email: settings.email,
        emailKinds: settings.kinds,
        locale: settings.locale,
      })
      .returning({ id: schema.members.id });
    return row!.id;
  }

  let english: string;
  let chinese: string;

  beforeAll(async () => {
    ecounter = await startEcounter();
    const { logger } = capturedLogger("info");
    ctx = { db: db() as Database, env: demoEnv({ ...ecounter.env, PUBLIC_URL: "http://127.0.0.1:3999" }), logger };
    // Resident 0 reads English; resident 1 Chinese; resident 2 left status mails out; resident 3 is no member.
    english = await verifiedMember(0, { email: "mei.lin@example.tw", kinds: ["receipt", "case_status"], locale: "en" });
    chinese = await verifiedMember(1, { email: "resident.b@example.tw", kinds: ["case_status"], locale: "zh-TW" });
    await verifiedMember(2, { email: "resident.c@example.tw", kinds: ["receipt", "due_reminder"], locale: "zh-TW" });
  });
  afterAll(() => ecounter?.close());

  it("starts from now: a change made before the first read is never mailed", async () => {
    const before = caseOf(0, "pet-registration");
    ecounter.simulator.changeStatus(before, "under_review");
    expect(await read()).toEqual({ state: "started" });
    expect(await cursor()).not.toBeNull();
    expect(await read()).toEqual({ state: "read", changes: 0, queued: 0 });
    expect(await mailsAbout(before)).toEqual([]);
  });

  it("mails a change to the member who chose it, in their language, with the service, the status, what to do next and one link", async () => {
    const accident = caseOf(0, "accident-assessment");
    const farmland = caseOf(1, "farmland-use-certificate");
    ecounter.simulator.changeStatus(accident, "more_documents_needed", { noteZh: "請補附照片。", noteEn: "Please send the photos." });
    ecounter.simulator.changeStatus(farmland, "done");
    expect(await read()).toMatchObject({ state: "read", changes: 2, queued: 2 });

    const [en, ...moreEn] = await mailsAbout(accident);
    expect(moreEn).toEqual([]);
    expect(en).toMatchObject({ kind: "case_status", toAddress: "mei.lin@example.tw", locale: "en", memberId: english, state: "queued" });
    expect(en!.subject).toContain("Traffic accident assessment");
    expect(en!.subject).toContain("More documents needed");
    expect(en!.textBody).toContain(accident);
    expect(en!.textBody).toContain("send the missing documents");
    expect(en!.textBody).toContain("http://127.0.0.1:3999/account/applications");
    expect(en!.htmlBody).toContain('href="http://127.0.0.1:3999/account/applications"');

    const [zh] = await mailsAbout(farmland);
    expect(zh).toMatchObject({ toAddress: "resident.b@example.tw", locale: "zh-TW", memberId: chinese });
    expect(zh!.subject).toContain("農業用地作農業使用證明申請");
    expect(zh!.subject).toContain("已結案");
    expect(zh!.textBody).toContain("您不需要再做什麼");
    expect(zh!.htmlBody).toContain('<html lang="zh-Hant-TW">');

    // Neither names, national IDs nor the e-counter's notes go out by mail.
    for (const mail of [en!, zh!]) {
      for (const resident of [residents[0]!, residents[1]!]) {
        expect(mail.textBody).not.toContain(resident.name);
        expect(mail.textBody).not.toContain(resident.nationalId);
        expect(mail.htmlBody).not.toContain(resident.nationalId);
      }
      expect(mail.textBody).not.toContain("photos");
      expect(mail.textBody).not.toContain("照片");
    }
  });

  it("mails nobody for a member who left status mails out, nor for an applicant who is no member", async () => {
    const notChosen = caseOf(2, "labor-fine-instalments");
    const noMember = caseOf(3, "accident-reassessment");
    ecounter.simulator.changeStatus(notChosen, "paid");
    ecounter.simulator.changeStatus(noMember, "paid");
    expect(await read()).toMatchObject({ state: "read", changes: 2, queued: 0 });
    expect(await mailsAbout(notChosen)).toEqual([]);
    expect(await mailsAbout(noMember)).toEqual([]);
  });

  it("mails each change once when two readers read at once, even one that outlived its lease", async () => {
    const accident = caseOf(0, "accident-assessment");
    const mailed = (await mailsAbout(accident)).length;
    ecounter.simulator.changeStatus(accident, "under_review");
    ecounter.simulator.changeStatus(accident, "awaiting_payment");
    const at = later();
    // Two at the same moment: one holds the feed, the other leaves it.
    const same = await Promise.all([read(at), read(at)]);
    expect(same.map((run) => run.state).sort()).toEqual(["busy", "read"]);
    expect(await mailsAbout(accident)).toHaveLength(mailed + 2);

    ecounter.simulator.changeStatus(accident, "paid");
    const moved = await cursor();
    // The first has hung past its lease when the second comes: both read the same page, one moves the cursor.
    const [first, second] = await Promise.all([read(later()), read(later(PAST_THE_LEASE_MS))]);
    expect([first, second].filter((run) => run.state === "read")).toHaveLength(1);
    expect(await cursor()).not.toBe(moved);
    const mails = await mailsAbout(accident);
    expect(mails).toHaveLength(mailed + 3);
    expect(new Set(mails.map((mail) => mail.dedupeKey)).size).toBe(mails.length);
    expect(mails.filter((mail) => mail.subject.includes("Paid"))).toHaveLength(1);
  });

  it("does not send a status mail to an address the member changed before it went", async () => {
    const [mail] = await mailsAbout(caseOf(1, "farmland-use-certificate"));
    const check = caseStatusChecks.case_status!;
    expect(await check(db(), mail!, later())).toEqual({ send: true });
    await db().update(schema.members).set({ email: "new.address@example.tw" }).where(eq(schema.members.id, chinese));
    try {
      expect(await check(db(), mail!, later())).toMatchObject({ send: false });
    } finally {
      await db().update(schema.members).set({ email: "resident.b@example.tw" }).where(eq(schema.members.id, chinese));
    }
  });

  it("keeps the cursor while the e-counter does not answer, and mails the change on the next read", async () => {
    const farmland = caseOf(1, "farmland-use-certificate");
    const mailed = (await mailsAbout(farmland)).length;
    const kept = await cursor();
    ecounter.simulator.changeStatus(farmland, "withdrawn");
    ecounter.simulator.setBehaviour("down");
    try {
      expect(await read()).toMatchObject({ state: "unavailable", queued: 0 });
      expect(await cursor()).toBe(kept);
      expect(await mailsAbout(farmland)).toHaveLength(mailed);
    } finally {
      ecounter.simulator.setBehaviour("normal");
    }
    expect(await read()).toMatchObject({ state: "read", changes: 1, queued: 1 });
    const mails = await mailsAbout(farmland);
    expect(mails).toHaveLength(mailed + 1);
    expect(mails.some((mail) => mail.subject.includes("已撤回"))).toBe(true);
  });
});
