import { pino } from "pino";
import { expect, it } from "vitest";
import { agencyLinkKeyFinder, createBillLink } from "~/lookup/bill-links.server";
import { captchaAnswer, captchaAudio, captchaDigitClips, checkCaptcha, issueCaptcha } from "~/lookup/captcha.server";
import { findBillType } from "~/bills/catalogue.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { demoEnv } from "../support/env";
import { lookUpBill, openBillLink, type LookupContext } from "~/lookup/lookup.server";
import { hitRateLimit, peekRateLimit, peekRateLimits } from "~/base/rate-limit.server";
import { joinClips, parseWav } from "~/domain/wav";
import { withCheckDigit } from "~/domain/write-off-number";
import type { DatabaseHandle } from "~/base/db.server";
import { describeEachDatabase } from "../support/databases";

const NOW = new Date("2026-11-21T04:00:00Z");
const env = demoEnv({
  RATE_LIMIT_LOOKUPS_PER_ADDRESS: "100/600",
  RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "4/600",
  RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: "3/900",
});
const logger = pino({ level: "silent" });
// The demo mode keys (`<agency>-demo`) as the demo configuration lists them.
const demoKeys = agencyLinkKeyFinder(env.AGENCY_LINK_KEYS);

let addressCounter = 0;
/** A context for one visitor at a fresh address, so rate limits of other tests do not leak in. */
function visitor(overrides: Partial<LookupContext> = {}): LookupContext {
  addressCounter += 1;
  return { env, clientAddress: `198.51.100.${addressCounter}`, sessionId: `session-${addressCounter}`, logger, ...overrides };
}

function solved(context: LookupContext, now = NOW) {
  const { token } = issueCaptcha(env.CAPTCHA_SECRET, context.sessionId, now);
  return { captchaToken: token, captchaAnswer: captchaAnswer(env.CAPTCHA_SECRET, token.split(".")[1]!) };
}

async function billType(handle: DatabaseHandle, code: string) {
  return (await findBillType(handle.db, code))!.billType;
}

describeEachDatabase(
  "bill look-up",
  (database) => {
    it("finds a bill by its write-off number as typed from paper, and shows only masked personal data", async () => {
      const context = visitor();
      const outcome = await lookUpBill(
        database().db,
        context,
        { billType: await billType(database(), "traffic-fine"), writeOffNumber: " gf-1150 0019 ", ...solved(context) },
        NOW,
      );
      expect(outcome.kind).toBe("found");
      if (outcome.kind !== "found") return;
      expect(outcome.bill).toMatchObject({
        writeOffNumber: "GF11500019",
        payerNameMasked: "林○芯",
        subjectKind: "vehicle_plate",
        status: "unpaid",
      });
      expect(JSON.stringify(outcome.bill)).not.toContain("林美芯");
      expect(outcome.bill.subjectMasked).toMatch(/\*/);
    });

    it("answers a number of another bill type exactly like a number that does not exist", async () => {
      const parking = await billType(database(), "parking-fee");
      const water = await billType(database(), "water-bill");
      const context = visitor();
      // 1150400000000012 is a water bill; as a parking fee it is simply not found.
      const elsewhere = await lookUpBill(
        database().db,
        context,
        { billType: parking, writeOffNumber: "1150400000000012", ...solved(context) },
        NOW,
      );
      const unissued = withCheckDigit("115029999999999", parking.writeOffRule);
      const nowhere = await lookUpBill(database().db, context, { billType: parking, writeOffNumber: unissued, ...solved(context) }, NOW);
      expect(elsewhere).toEqual({ kind: "not_found" });
      expect(nowhere).toEqual({ kind: "not_found" });
      const asWater = await lookUpBill(
        database().db,
        visitor(),
        { billType: water, writeOffNumber: "1150400000000012", ...solved(context) },
        NOW,
      );
      expect(asWater.kind).not.toBe("not_found");
    });

    it("rejects a mistyped number by its rule before any captcha or database work", async () => {
      const context = visitor();
      const captcha = solved(context);
      const outcome = await lookUpBill(
        database().db,
        context,
        { billType: await billType(database(), "traffic-fine"), writeOffNumber: "GF11500018", ...captcha },
        NOW,
      );
      expect(outcome).toEqual({ kind: "invalid_number", problem: { code: "check_digit" } });
      // The captcha was not used up, and no attempt was counted.
      expect(
        await checkCaptcha(
          database().db,
          env.CAPTCHA_SECRET,
          { token: captcha.captchaToken, answer: captcha.captchaAnswer, sessionId: context.sessionId },
          NOW,
        ),
      ).toBe("ok");
      const counted = await peekRateLimit(
        database().db,
        { name: "lookup:address", limit: 100, windowSeconds: 600 },
        context.clientAddress,
        NOW,
      );
      expect(counted.hits).toBe(0);
    });

    it("uses a captcha once, binds it to the session and lets it expire", async () => {
      const { db } = database();
      const { token } = issueCaptcha(env.CAPTCHA_SECRET, "session-a", NOW);
      const answer = captchaAnswer(env.CAPTCHA_SECRET, token.split(".")[1]!);
      expect(await checkCaptcha(db, env.CAPTCHA_SECRET, { token, answer, sessionId: "session-b" }, NOW)).toBe("invalid");
      expect(await checkCaptcha(db, env.CAPTCHA_SECRET, { token, answer: "", sessionId: "session-a" }, NOW)).toBe("wrong");
      expect(await checkCaptcha(db, env.CAPTCHA_SECRET, { token, answer, sessionId: "session-a" }, NOW)).toBe("reused");
      const later = issueCaptcha(env.CAPTCHA_SECRET, "session-a", NOW);
      const laterAnswer = captchaAnswer(env.CAPTCHA_SECRET, later.token.split(".")[1]!);
      const sixMinutesOn = new Date(NOW.getTime() + 6 * 60_000);
      expect(
        await checkCaptcha(db, env.CAPTCHA_SECRET, { token: later.token, answer: laterAnswer, sessionId: "session-a" }, sixMinutesOn),
      ).toBe("expired");
      const tampered = later.token.replace(/\.(\d+)\./, (_, e) => `.${Number(e) + 3600}.`);
      expect(await checkCaptcha(db, env.CAPTCHA_SECRET, { token: tampered, answer: laterAnswer, sessionId: "session-a" }, NOW)).toBe(
        "invalid",
      );
    });

    it("accepts the answer typed with full-width digits", async () => {
      const { token } = issueCaptcha(env.CAPTCHA_SECRET, "session-fw", NOW);
      const answer = captchaAnswer(env.CAPTCHA_SECRET, token.split(".")[1]!);
      const fullWidth = [...answer].map((d) => String.fromCharCode(0xff10 + Number(d))).join(" ");
      expect(await checkCaptcha(database().db, env.CAPTCHA_SECRET, { token, answer: fullWidth, sessionId: "session-fw" }, NOW)).toBe("ok");
    });

    it("blocks an address after repeated failures, with the time to wait", async () => {
      const context = visitor();
      const type = await billType(database(), "labor-fine");
      // Four different numbers: the per-number limit (3) is not what stops this visitor.
      for (const number of ["LB115000012", "LB115000021", "LB115000030", "LB115000049"]) {
        const outcome = await lookUpBill(
          database().db,
          context,
          { billType: type, writeOffNumber: number, captchaToken: solved(context).captchaToken, captchaAnswer: "00000" },
          NOW,
        );
        expect(outcome.kind).toBe("captcha");
      }
      const blocked = await lookUpBill(database().db, context, { billType: type, writeOffNumber: "LB115000012", ...solved(context) }, NOW);
      expect(blocked.kind).toBe("rate_limited");
      expect(blocked.kind === "rate_limited" && blocked.retryAfterSeconds).toBeGreaterThan(0);
      // Another visitor is not affected.
      const other = visitor();
      expect((await lookUpBill(database().db, other, { billType: type, writeOffNumber: "LB115000012", ...solved(other) }, NOW)).kind).toBe(
        "found",
      );
      // Just past the window's end the failures still count (no reset at the boundary)...
      const justAfter = new Date(NOW.getTime() + 601_000);
      expect(
        (
          await lookUpBill(
            database().db,
            context,
            { billType: type, writeOffNumber: "LB115000012", ...solved(context, justAfter) },
            justAfter,
          )
        ).kind,
      ).toBe("rate_limited");
      // ...and a full window later they have slid out.
      const later = new Date(NOW.getTime() + 1_200_000);
      expect(
        (await lookUpBill(database().db, context, { billType: type, writeOffNumber: "LB115000012", ...solved(context, later) }, later))
          .kind,
      ).toBe("found");
    });

    it("protects a write-off number from guessing spread over many addresses", async () => {
      const type = await billType(database(), "health-fine");
      for (let i = 0; i < 3; i++) {
        const context = visitor();
        await lookUpBill(
          database().db,
          context,
          { billType: type, writeOffNumber: "HF115000010", captchaToken: solved(context).captchaToken, captchaAnswer: "99999" },
          NOW,
        );
      }
      const fresh = visitor();
      expect((await lookUpBill(database().db, fresh, { billType: type, writeOffNumber: "HF115000010", ...solved(fresh) }, NOW)).kind).toBe(
        "rate_limited",
      );
    });

    it("does not reset at a window boundary: the previous window counts, fading as the window slides", async () => {
      const rule = { name: "test:sliding", limit: 10, windowSeconds: 600 };
      const boundary = new Date("2026-11-21T05:00:00Z"); // a multiple of 600 s
      for (let i = 0; i < 10; i++) await hitRateLimit(database().db, rule, "burst", new Date(boundary.getTime() - 1_000));
      // A second after the boundary, a fresh fixed window would allow ten more.
      expect((await peekRateLimit(database().db, rule, "burst", new Date(boundary.getTime() + 1_000))).allowed).toBe(false);
      // Halfway through, half of the previous window still counts: five more are allowed, not six.
      const halfway = new Date(boundary.getTime() + 300_000);
      const states = [];
      for (let i = 0; i < 6; i++) states.push(await hitRateLimit(database().db, rule, "burst", halfway));
      expect(states.map((state) => state.allowed)).toEqual([true, true, true, true, true, false]);
    });

    it("reads several limits at once as each would be read alone, in their order", async () => {
      const short = { name: "test:peek-short", limit: 3, windowSeconds: 60 };
      const long = { name: "test:peek-long", limit: 5, windowSeconds: 600 };
      const boundary = new Date("2026-11-21T06:00:00Z"); // a multiple of 600 s and of 60 s
      const before = new Date(boundary.getTime() - 30_000);
      const after = new Date(boundary.getTime() + 15_000);
      for (let i = 0; i < 4; i++) await hitRateLimit(database().db, short, "a", before);
      await hitRateLimit(database().db, short, "b", after);
      for (let i = 0; i < 2; i++) await hitRateLimit(database().db, long, "a", before);
      await hitRateLimit(database().db, long, "a", after);
      const limits = [
        { rule: long, key: "a" },
        { rule: short, key: "b" },
        { rule: short, key: "a" },
        { rule: short, key: "never-seen" },
      ];
      const together = await peekRateLimits(database().db, limits, after);
      const alone = await Promise.all(limits.map(({ rule, key }) => peekRateLimit(database().db, rule, key, after)));
      expect(together).toEqual(alone);
      // Long: 1 after the boundary and the 2 before it (the sliding window still covers 97.5 % of its previous
      // window). Short "a": 4 in the previous minute, three quarters of which the window still covers.
      expect(together.map((state) => [state.hits, state.allowed])).toEqual([
        [3, true],
        [1, true],
        [3, false],
        [0, true],
      ]);
    });

    it("counts hits atomically when several instances count at once", async () => {
      const rule = { name: "test:parallel", limit: 50, windowSeconds: 60 };
      const states = await Promise.all(Array.from({ length: 20 }, () => hitRateLimit(database().db, rule, "same-key", NOW)));
      expect(states.map((state) => state.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it("opens the bill of a genuine agency link without a captcha", async () => {
      const link = createBillLink("https://pay.example.gov.tw", demoKeys("police-demo")!, {
        billTypeCode: "traffic-fine",
        writeOffNumber: "gf-1150-0019",
        expiresAt: new Date("2027-01-31T00:00:00Z"),
      });
      const outcome = await openBillLink(database().db, { env, logger }, new URL(link).searchParams, NOW);
      expect(outcome.kind === "found" && outcome.bill.writeOffNumber).toBe("GF11500019");
    });

    it("never opens a bill from a tampered, expired, foreign-key or unknown-key link", async () => {
      const police = demoKeys("police-demo")!;
      const make = (key = police, number = "GF11500019", expiresAt = new Date("2027-01-31T00:00:00Z")) =>
        new URL(createBillLink("https://pay.example.gov.tw", key, { billTypeCode: "traffic-fine", writeOffNumber: number, expiresAt }))
          .searchParams;
      const reason = async (query: URLSearchParams) => {
        const outcome = await openBillLink(database().db, { env, logger }, query, NOW);
        return outcome.kind === "refused" ? outcome.reason : "opened";
      };

      const changedNumber = make();
      changedNumber.set("n", "GF11500022");
      expect(await reason(changedNumber)).toBe("tampered");
      const changedExpiry = make(police, "GF11500019", new Date("2026-11-01T00:00:00Z"));
      expect(await reason(changedExpiry)).toBe("expired");
      changedExpiry.set("e", String(Math.floor(new Date("2030-01-01").getTime() / 1000)));
      expect(await reason(changedExpiry)).toBe("tampered");
      // A genuine key of another agency cannot open police bills.
      expect(await reason(make(demoKeys("water-demo")!))).toBe("tampered");
      const unknown = make();
      unknown.set("k", "police-2019");
      expect(await reason(unknown)).toBe("unknown_key");
      const incomplete = make();
      incomplete.delete("s");
      expect(await reason(incomplete)).toBe("incomplete");
      expect(await reason(make(police, "GF11509999"))).toBe("not_found");
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, today: "2026-11-21" });
  },
);

it("reads the captcha's digits aloud, in order, in the page's language", async () => {
  const { token } = issueCaptcha(env.CAPTCHA_SECRET, "session-audio", NOW);
  const digits = [...captchaAnswer(env.CAPTCHA_SECRET, token.split(".")[1]!)].map(Number);
  const steady = () => ({ silenceBeforeMs: 500, gain: 1 });
  for (const locale of ["zh-TW", "en"] as const) {
    const clips = await captchaDigitClips(locale);
    const audio = await captchaAudio(env.CAPTCHA_SECRET, token, "session-audio", locale, steady);
    const expected = joinClips(digits.map((digit) => ({ clip: clips[digit]!, silenceBeforeMs: 500, gain: 1 })));
    expect([...parseWav(audio!).samples]).toEqual([...expected.samples]);
  }
  expect(await captchaAudio(env.CAPTCHA_SECRET, token, "someone-else", "en")).toBeNull();
  // With the default variation two recordings of one challenge differ.
  const first = await captchaAudio(env.CAPTCHA_SECRET, token, "session-audio", "en");
  const second = await captchaAudio(env.CAPTCHA_SECRET, token, "session-audio", "en");
  expect(Buffer.from(first!).equals(Buffer.from(second!))).toBe(false);
});
