import { describe, expect, it } from "vitest";
import { addDays, rocPeriod, rocYear, taipeiDate, taipeiDateTimeIso } from "./dates";

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

  it("writes a moment as ISO 8601 in Taiwan time, with its offset, sortable as text", () => {
    expect(taipeiDateTimeIso("2026-12-01T09:07:05.123Z")).toBe("2026-12-01T17:07:05+08:00");
    // After 16:00 UTC it is already the next day (and year) in Taipei.
    expect(taipeiDateTimeIso(new Date("2026-12-31T16:00:00Z"))).toBe("2027-01-01T00:00:00+08:00");
    expect(new Date(taipeiDateTimeIso("2026-02-03T04:05:06Z")).toISOString()).toBe("2026-02-03T04:05:06.000Z");
    const moments = ["2026-12-01T01:00:00Z", "2026-02-01T01:00:00Z", "2026-02-10T01:00:00Z", "2025-12-31T23:00:00Z"];
    const sorted = moments.map(taipeiDateTimeIso).sort();
    expect(sorted.map((iso) => new Date(iso).getTime())).toEqual(moments.map((m) => new Date(m).getTime()).sort((a, b) => a - b));
    expect(() => taipeiDateTimeIso("yesterday")).toThrow(RangeError);
  });
});
