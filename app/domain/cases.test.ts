import { describe, expect, it } from "vitest";
import {
  CASE_STATUSES,
  caseNextStep,
  isClosedCaseStatus,
  nextStepAfterChange,
  newestCasesFirst,
  normalizeCaseNumber,
  normalizeCheckCode,
  sortedTimeline,
} from "./cases";

describe("case numbers and check codes", () => {
  it("folds what residents type from the receipt of application", () => {
    expect(normalizeCaseNumber(" aa 115-11-00021 ")).toEqual({ ok: true, value: "AA1151100021" });
    expect(normalizeCaseNumber("ＡＡ１１５１１０００２１")).toEqual({ ok: true, value: "AA1151100021" });
    expect(normalizeCheckCode("482 913")).toEqual({ ok: true, value: "482913" });
  });

  it("says what is wrong: empty, or not the printed shape", () => {
    expect(normalizeCaseNumber("  ")).toEqual({ ok: false, problem: "empty" });
    expect(normalizeCaseNumber("A11511000211")).toEqual({ ok: false, problem: "shape" });
    expect(normalizeCaseNumber("AA115110002")).toEqual({ ok: false, problem: "shape" });
    expect(normalizeCheckCode("")).toEqual({ ok: false, problem: "empty" });
    expect(normalizeCheckCode("48291")).toEqual({ ok: false, problem: "shape" });
    expect(normalizeCheckCode("48291A")).toEqual({ ok: false, problem: "shape" });
  });
});

describe("what the resident has to do next", () => {
  const fee = (state: "payable" | "paid" | "cancelled", dueDate: string, amount: number) => ({ state, dueDate, amount });

  it("asks for the owed fees, by the earliest due date, before anything else", () => {
    expect(
      caseNextStep(
        "awaiting_payment",
        [fee("payable", "2026-12-20", 3000), fee("payable", "2026-12-12", 500), fee("paid", "2026-11-01", 9)],
        null,
      ),
    ).toEqual({
      kind: "pay",
      dueDate: "2026-12-12",
      amount: 3500,
    });
  });

  it("asks for documents when the e-counter needs more, with its deadline", () => {
    expect(caseNextStep("more_documents_needed", [], "2026-12-14")).toEqual({ kind: "send_documents", dueDate: "2026-12-14" });
  });

  it("asks nothing of a closed case, even with a fee left unpaid, and says to wait otherwise", () => {
    for (const status of ["done", "rejected", "withdrawn"] as const) {
      expect(isClosedCaseStatus(status)).toBe(true);
      expect(caseNextStep(status, [fee("payable", "2026-12-12", 100)], null)).toEqual({ kind: "none" });
    }
    expect(caseNextStep("under_review", [fee("paid", "2026-12-12", 100), fee("cancelled", "2026-12-12", 100)], null)).toEqual({
      kind: "wait",
    });
  });
});

describe("ordering", () => {
  it("puts a timeline oldest first, whatever order it came in, keeping the e-counter's order for equal times", () => {
    const timeline = [
      { status: "under_review", at: "2026-11-03T09:00:00+08:00" },
      { status: "applied", at: "2026-11-01T09:00:00+08:00" },
      { status: "paid", at: "2026-11-02T01:00:00Z" },
      { status: "awaiting_payment", at: "2026-11-02T09:00:00+08:00" },
    ];
    // 2026-11-02T01:00Z is 09:00 in Taiwan: the same moment as awaiting_payment, which came after it.
    expect(sortedTimeline(timeline).map((entry) => entry.status)).toEqual(["applied", "paid", "awaiting_payment", "under_review"]);
  });

  it("lists cases newest first", () => {
    const cases = [
      { caseNumber: "AA1151000001", appliedAt: "2026-10-01T09:00:00+08:00" },
      { caseNumber: "PR1151100003", appliedAt: "2026-11-20T09:00:00+08:00" },
      { caseNumber: "AA1151100021", appliedAt: "2026-11-20T09:00:00+08:00" },
    ];
    expect(newestCasesFirst(cases).map((found) => found.caseNumber)).toEqual(["PR1151100003", "AA1151100021", "AA1151000001"]);
  });
});

describe("nextStepAfterChange", () => {
  it("asks for payment, for documents, or nothing once the case is closed", () => {
    expect(nextStepAfterChange("awaiting_payment")).toBe("pay");
    expect(nextStepAfterChange("more_documents_needed")).toBe("send_documents");
    for (const closed of ["done", "rejected", "withdrawn"] as const) expect(nextStepAfterChange(closed)).toBe("none");
  });

  it("has the resident wait while the e-counter works on the case", () => {
    const waiting = CASE_STATUSES.filter((status) => nextStepAfterChange(status) === "wait");
    expect(waiting).toEqual(["applied", "paid", "under_review"]);
  });
});
