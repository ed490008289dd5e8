import { describe, expect, it } from "vitest";
import { displayStatus, isPayable } from "./catalogue";

describe("payable bills", () => {
  it("are unpaid ones, on time or overdue", () => {
    expect(isPayable("unpaid")).toBe(true);
    expect(isPayable("overdue")).toBe(true);
    expect(isPayable(displayStatus("unpaid", "2024-01-31", "2024-02-01"))).toBe(true);
  });

  it("are not paid, written off or cancelled ones", () => {
    expect(isPayable("paid")).toBe(false);
    expect(isPayable("written_off")).toBe(false);
    expect(isPayable("cancelled")).toBe(false);
  });
});
