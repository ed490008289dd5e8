import { describe, expect, it } from "vitest";
import { jobLagSeconds, stalledJobs, type JobRunRecord } from "./readiness";

const startedAt = new Date("2026-12-02T08:00:00Z");
const at = (seconds: number) => new Date(startedAt.getTime() + seconds * 1000);
const job = (name: string, lastRunEndedAt: Date | null, intervalMs = 15_000): JobRunRecord => ({
  name,
  intervalMs,
  startedAt,
  lastRunEndedAt,
});

describe("stalled jobs", () => {
  it("a job whose runs complete on time is not stalled, one that missed five intervals and the margin is", () => {
    // 5 × 15 s + 60 s = 135 s.
    const jobs = [job("payments", at(100)), job("mail", at(10))];
    expect(stalledJobs(jobs, at(200))).toEqual(["mail"]);
    expect(stalledJobs(jobs, at(145))).toEqual([]);
  });

  it("a job that never completed a run is measured from its start", () => {
    expect(stalledJobs([job("reminders", null)], at(135))).toEqual([]);
    expect(stalledJobs([job("reminders", null)], at(136))).toEqual(["reminders"]);
  });

  it("a slower job is allowed its own interval", () => {
    expect(stalledJobs([job("case-changes", at(0), 60_000)], at(300))).toEqual([]);
    expect(stalledJobs([job("case-changes", at(0), 60_000)], at(361))).toEqual(["case-changes"]);
  });

  it("the lag is the seconds since the last run ended", () => {
    expect(jobLagSeconds(job("payments", at(30)), at(42.5))).toBe(12.5);
    expect(jobLagSeconds(job("payments", null), at(7))).toBe(7);
  });
});
