import { describe, expect, it } from "vitest";
import { addDays, rocPeriod, rocYear, taipeiDate } from "./dates";

describe("dates in Taiwan", () => {
  it("uses the date in Taiwan, not the server's", () => {
    // 16:30 UTC on 21 November is already 22 November in Taipei.
    expect(taipeiDate(new Date("2026-11-21T16:30:00Z"))).toBe("2026-11-22");
    expect(taipeiDate(new Date("2026-11-21T15:59:59Z"))).toBe("2026-11-21");
  });

  it("adds days across months and years", () => {
    expect(addDays("2026-12-30", 3)).toBe("2027-01-02");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
  });

  it("writes ROC years and barcode periods", () => {
    expect(rocYear(2026)).toBe(115);
    expect(rocPeriod("2026-11-05")).toBe("1511");
    expect(rocPeriod("2011-01-31")).toBe("0001");
  });
});
