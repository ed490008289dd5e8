import { describe, expect, it } from "vitest";
import { retentionCutoffs } from "./retention";

describe("retentionCutoffs", () => {
  it("keeps ended sessions for their grace period and expired captcha uses not at all", () => {
    const now = new Date("2026-12-02T08:00:00Z");
    const cutoffs = retentionCutoffs(now);
    expect(cutoffs.captchaUses).toEqual(now);
    expect(cutoffs.memberSessions).toEqual(new Date("2026-11-02T08:00:00Z"));
    expect(cutoffs.staffSessions).toEqual(new Date("2026-09-03T08:00:00Z"));
    expect(cutoffs.staffChallenges).toEqual(new Date("2026-12-01T08:00:00Z"));
  });
});
