import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemoData } from "~/demo/data/generate";
import { taipeiDate } from "~/domain/dates";
import { applicantDigest, EcounterUnavailable, fetchApplicantCases, fetchCaseChanges, fetchCaseStatus } from "~/cases/ecounter.server";
import { demoEnv } from "../support/env";
import { startEcounter } from "../support/ecounter";

/** The e-counter adapter against the simulator, over HTTP with signatures: the protocol of docs/ecounter-cases.md. */
describe("e-counter adapter", () => {
  let ecounter: Awaited<ReturnType<typeof startEcounter>>;
  let config: NonNullable<ReturnType<typeof demoEnv>["ecounter"]>;
  const residents = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 10 }).residents;

  beforeAll(async () => {
    ecounter = await startEcounter();
    config = demoEnv(ecounter.env).ecounter!;
  });
  afterAll(() => ecounter.close());

  it("answers an applicant's cases by digest only, timelines oldest first", async () => {
    const { cases, rejected } = await fetchApplicantCases(config, applicantDigest(residents[0]!.nationalId, ecounter.applicantKey));
    expect(rejected).toBe(0);
    expect(cases).toHaveLength(3);
    expect(new Set(cases.map((found) => found.service.code))).toEqual(new Set(["accident-assessment", "pet-registration"]));
    for (const found of cases) {
      const times = found.timeline.map((entry) => Date.parse(entry.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    }
    // Another key makes another digest: nobody's cases.
    const stranger = await fetchApplicantCases(config, applicantDigest(residents[0]!.nationalId, "x".repeat(40)));
    expect(stranger.cases).toEqual([]);
  });

  it("finds a case by number and check code, and says no match for a wrong code", async () => {
    const [demo] = ecounter.simulator.cases().filter((found) => found.record.service.code === "accident-reassessment");
    const found = await fetchCaseStatus(config, demo!.caseNumber, demo!.checkCode);
    expect(found?.caseNumber).toBe(demo!.caseNumber);
    const wrong = String((Number(demo!.checkCode) + 1) % 1_000_000).padStart(6, "0");
    expect(await fetchCaseStatus(config, demo!.caseNumber, wrong)).toBeNull();
  });

  it("refuses a request signed with another secret", async () => {
    await expect(fetchApplicantCases({ ...config, secret: "y".repeat(40) }, "0".repeat(64))).rejects.toMatchObject({
      reason: "http_error",
    });
  });

  it("reads the feed of status changes from now on", async () => {
    const start = await fetchCaseChanges(config, null);
    expect(start.changes).toEqual([]);
    const [demo] = ecounter.simulator.cases();
    ecounter.simulator.changeStatus(demo!.caseNumber, "under_review");
    const next = await fetchCaseChanges(config, start.cursor);
    expect(next.changes.map((change) => [change.caseNumber, change.status])).toEqual([[demo!.caseNumber, "under_review"]]);
    expect((await fetchCaseChanges(config, next.cursor)).changes).toEqual([]);
  });

  it("names a slow or down e-counter unavailable", async () => {
    ecounter.simulator.setBehaviour("down");
    await expect(fetchApplicantCases(config, "0".repeat(64))).rejects.toBeInstanceOf(EcounterUnavailable);
    ecounter.simulator.setBehaviour("slow", 100);
    await expect(fetchApplicantCases({ ...config, timeoutMs: 200 }, "0".repeat(64))).rejects.toMatchObject({ reason: "timeout" });
    ecounter.simulator.setBehaviour("normal");
  });
});

describe("e-counter simulator faults for some cases only", () => {
  it("breaks the e-counter for one applicant's cases while it answers about others", async () => {
    const ecounter = await startEcounter();
    try {
      const config = demoEnv(ecounter.env).ecounter!;
      const residents = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 10 }).residents;
      const digestOf = (index: number) => applicantDigest(residents[index]!.nationalId, ecounter.applicantKey);
      const mine = (await fetchApplicantCases(config, digestOf(2))).cases.map((found) => found.caseNumber);
      ecounter.simulator.setBehaviour("down", undefined, mine);
      await expect(fetchApplicantCases(config, digestOf(2))).rejects.toMatchObject({ reason: "http_error" });
      expect((await fetchApplicantCases(config, digestOf(0))).cases).toHaveLength(3);
      ecounter.simulator.setBehaviour("normal", undefined, mine);
      expect((await fetchApplicantCases(config, digestOf(2))).cases).toHaveLength(mine.length);
    } finally {
      await ecounter.close();
    }
  });
});
