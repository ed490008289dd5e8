import { describe, expect, it } from "vitest";
import { historyQuery, parseHistoryFilters } from "./records.server";

const parse = (query: string) => parseHistoryFilters(new URLSearchParams(query), ["traffic-fine", "water-bill"]);

describe("history filters", () => {
  it("reads dates, bill type, status and page", () => {
    expect(parse("from=2026-10-01&to=2026-10-31&billType=water-bill&status=refunded&page=3")).toEqual({
      filters: { from: "2026-10-01", to: "2026-10-31", billType: "water-bill", status: "refunded" },
      typed: { from: "2026-10-01", to: "2026-10-31", billType: "water-bill", status: "refunded" },
      problems: [],
      page: 3,
    });
  });

  it("names dates that are not days, and an end before the start, and keeps what was typed", () => {
    const impossible = parse("from=2026-02-30&to=yesterday");
    expect(impossible.problems).toEqual([
      { field: "from", code: "date_invalid" },
      { field: "to", code: "date_invalid" },
    ]);
    expect(impossible.filters.from).toBeNull();
    expect(impossible.typed.to).toBe("yesterday");
    const reversed = parse("from=2026-11-02&to=2026-11-01");
    expect(reversed.problems).toEqual([{ field: "to", code: "date_order" }]);
    expect(reversed.filters).toMatchObject({ from: null, to: null });
  });

  it("ignores unknown bill types, statuses and pages instead of failing", () => {
    expect(parse("billType=gold-bar&status=stolen&page=-4")).toMatchObject({
      filters: { billType: null, status: null },
      problems: [],
      page: 1,
    });
  });

  it("writes the filters back as a query string for links and downloads", () => {
    expect(historyQuery({ from: "2026-10-01", to: null, billType: "water-bill", status: null }, { page: "2" })).toBe(
      "from=2026-10-01&billType=water-bill&page=2",
    );
  });
});
