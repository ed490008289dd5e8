import { expect, it } from "vitest";
import { FUZZ_SERVER_ENV, formatSummary, runFuzz } from "../fuzz/fuzz.mjs";
import { describeEachPortal } from "../support/databases";

/**
 * A bounded run of `npm run fuzz` (which sends 10,000): every bad input gets a
 * whole answer below 500, on a connection that is never dropped, and none is
 * logged as the portal's own error. The seed is fixed, so a failure here is
 * reproduced with `npm run fuzz -- --seed 2026 --inputs 400`.
 */
const SEED = 2026;
const INPUTS = 400;

describeEachPortal("fuzzed requests", FUZZ_SERVER_ENV, (portal) => {
  it(`answers ${INPUTS} mutated requests with no 5xx and no dropped connection`, async () => {
    const summary = await runFuzz({ baseUrl: portal().url, seed: SEED, count: INPUTS });
    expect(summary.sent).toBe(INPUTS);
    expect({ serverErrors: summary.serverErrors.length, dropped: summary.dropped.length }, formatSummary(summary)).toEqual({
      serverErrors: 0,
      dropped: 0,
    });

    // Client mistakes are info or warn. The payments' alerts (a forged signature, an unknown
    // order) stay errors on purpose: someone is sending the portal false payment news.
    const errors = portal()
      .output()
      .split("\n")
      .filter((line) => /"level":(50|60)/.test(line) && !line.includes('"alert":'));
    expect(errors.slice(0, 3)).toEqual([]);
  }, 120_000);
});
