import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import pino from "pino";
import { it } from "vitest";
import { caseByNumber, casesOfApplicant } from "~/cases/cases.server";
import { applicantDigest, fetchApplicantCases, fetchCaseStatus } from "~/cases/ecounter.server";
import { generateDemoData } from "~/demo/data/generate";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { taipeiDate } from "~/domain/dates";
import { TEST_DATABASES } from "../tests/support/databases";
import { startEcounter } from "../tests/support/ecounter";
import { demoEnv } from "../tests/support/env";
import { measure } from "./measure";

/**
 * Following an application, in process, with the e-counter's simulator
 * answering in 200 ms: "My applications" (a member's cases asked, their fees
 * recorded as bills and read back) and the public query by case number, each
 * compared with the bare e-counter request it makes, measured in the same
 * run. The portal's own work should add little to the e-counter's answer.
 */
const ECOUNTER_LATENCY_MS = 200;
const ROUNDS = Number(process.env.BENCH_CASE_ROUNDS ?? 20);

for (const kind of TEST_DATABASES)
  it(`applications on ${kind.name}`, async () => {
    const created = await kind.create();
    const ecounter = await startEcounter({ latencyMs: ECOUNTER_LATENCY_MS, timeoutMs: 5000 });
    try {
      const env = demoEnv(ecounter.env);
      await seedDemoDataIfEmpty(created.handle.db, { piiHmacKey: env.PII_HMAC_KEY });
      const ctx = { db: created.handle.db, env, logger: pino({ level: "warn" }) };
      const config = env.ecounter!;
      const residents = generateDemoData({ today: taipeiDate(), billsPerType: 1, residents: 10 }).residents;
      // The showcase member's three cases (one with a fee), and the public query of another resident's case.
      const applicant = {
        caseApplicantDigest: applicantDigest(residents[0]!.nationalId, ecounter.applicantKey),
        nationalIdHash: "b".repeat(64),
      };
      const demo = ecounter.simulator.cases().find((found) => found.record.service.code === "accident-reassessment")!;

      const bareApplicant = await measure(ROUNDS, 1, async () => {
        await fetchApplicantCases(config, applicant.caseApplicantDigest);
      });
      const myApplications = await measure(ROUNDS, 1, async () => {
        const answer = await casesOfApplicant(ctx, applicant);
        if (answer.state !== "answered" || answer.cases.length !== 3) throw new Error(`incomplete: ${answer.state}`);
      });
      const myApplicationsTenAtATime = await measure(ROUNDS * 5, 10, async () => {
        await casesOfApplicant(ctx, applicant);
      });
      const bareQuery = await measure(ROUNDS, 1, async () => {
        await fetchCaseStatus(config, demo.caseNumber, demo.checkCode);
      });
      const query = await measure(ROUNDS, 1, async () => {
        if ((await caseByNumber(ctx, demo.caseNumber, demo.checkCode)).kind !== "found") throw new Error("not found");
      });

      const vs = (m: { latencyMs: { p50: number } }, base: { latencyMs: { p50: number } }) =>
        Math.round((m.latencyMs.p50 / base.latencyMs.p50) * 100) / 100;
      const result = {
        date: new Date().toISOString(),
        database: created.handle.kind,
        ecounterLatencyMs: ECOUNTER_LATENCY_MS,
        bareApplicantRequest: bareApplicant,
        myApplications: { ...myApplications, p50VsBare: vs(myApplications, bareApplicant) },
        myApplicationsTenAtATime: { ...myApplicationsTenAtATime, p50VsBare: vs(myApplicationsTenAtATime, bareApplicant) },
        bareCaseStatusRequest: bareQuery,
        publicQuery: { ...query, p50VsBare: vs(query, bareQuery) },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/cases-${created.handle.kind}.json`), JSON.stringify(result, null, 2));
      for (const [name, m, base] of [
        ["e-counter applicant request (reference)", bareApplicant, bareApplicant],
        ["my applications, 3 cases, fees recorded", myApplications, bareApplicant],
        ["my applications, 10 at a time", myApplicationsTenAtATime, bareApplicant],
        ["e-counter case-status request (reference)", bareQuery, bareQuery],
        ["public query, case and fee recorded", query, bareQuery],
      ] as const) {
        console.log(
          `CASEBENCH ${created.handle.kind} ${name}: p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms, ${m.perSecond}/s, p50 ×${vs(m, base)} of its e-counter request`,
        );
      }
    } finally {
      await ecounter.close();
      await created.dispose();
    }
  });
