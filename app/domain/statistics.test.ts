import { describe, expect, it } from "vitest";
import {
  addMonths,
  chooserMonths,
  groupFigures,
  isMonth,
  monthDays,
  monthWindow,
  monthsEndingWith,
  sharePercent,
  taipeiMonth,
  totalFigures,
  type Month,
} from "./statistics";

describe("statistics months", () => {
  it("reads a moment's month in Taiwan time: 23:30 UTC on the last day is already next month", () => {
    expect(taipeiMonth(new Date("2026-11-30T23:30:00Z"))).toBe("2026-12");
    expect(taipeiMonth(new Date("2026-11-30T15:59:59Z"))).toBe("2026-11");
    expect(taipeiMonth(new Date("2026-12-31T16:00:00Z"))).toBe("2027-01");
  });

  it("bounds a month at midnight Taiwan time, end exclusive", () => {
    expect(monthWindow("2026-11" as Month)).toEqual({
      from: new Date("2026-10-31T16:00:00Z"),
      to: new Date("2026-11-30T16:00:00Z"),
    });
    expect(monthWindow("2026-12" as Month).to).toEqual(new Date("2026-12-31T16:00:00Z"));
    expect(monthDays("2028-02" as Month)).toEqual({ first: "2028-02-01", last: "2028-02-29" });
    expect(monthDays("2026-02" as Month)).toEqual({ first: "2026-02-01", last: "2026-02-28" });
  });

  it("counts months across years, and lists a year ending with a month, oldest first", () => {
    expect(addMonths("2026-01" as Month, -1)).toBe("2025-12");
    expect(addMonths("2026-12" as Month, 1)).toBe("2027-01");
    expect(addMonths("2026-11" as Month, -23)).toBe("2024-12");
    expect(monthsEndingWith("2026-02" as Month, 3)).toEqual(["2025-12", "2026-01", "2026-02"]);
    expect(chooserMonths("2026-02" as Month, 3)).toEqual(["2026-02", "2026-01", "2025-12"]);
    expect(chooserMonths("2026-02" as Month)).toHaveLength(24);
  });

  it("takes only real months", () => {
    for (const good of ["2026-01", "2026-12", "2000-06"]) expect(isMonth(good), good).toBe(true);
    for (const bad of ["2026-13", "2026-00", "2026-1", "26-01", "2026-01-01", "1999-12", "", null, 202601])
      expect(isMonth(bad), String(bad)).toBe(false);
  });
});

describe("statistics figures", () => {
  it("gives a share in tenths of a percent, none of nothing", () => {
    expect(sharePercent(2, 3)).toBe(66.7);
    expect(sharePercent(1, 8)).toBe(12.5);
    expect(sharePercent(5, 5)).toBe(100);
    expect(sharePercent(0, 0)).toBeNull();
  });

  it("sums rows into groups, largest amount first (then most payments), and the groups add up to the rows", () => {
    const rows = [
      { agency: "police", tool: "line_pay", payments: 2, amount: 1200 },
      { agency: "labor", tool: "line_pay", payments: 1, amount: 3000 },
      { agency: "police", tool: "credit_card", payments: 3, amount: 900 },
      { agency: "economic", tool: "credit_card", payments: 1, amount: 2100 },
    ];
    const byAgency = groupFigures(rows, (row) => row.agency);
    expect(byAgency).toEqual([
      { key: "labor", payments: 1, amount: 3000 },
      { key: "police", payments: 5, amount: 2100 },
      { key: "economic", payments: 1, amount: 2100 },
    ]);
    expect(totalFigures(byAgency)).toEqual(totalFigures(rows));
    expect(totalFigures(groupFigures(rows, (row) => row.tool))).toEqual({ payments: 7, amount: 7200 });
    expect(totalFigures([])).toEqual({ payments: 0, amount: 0 });
  });
});
