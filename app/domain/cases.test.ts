import { describe, expect, it } from "vitest";
import { CASE_STATUSES, nextStepAfterChange } from "./cases";

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
