import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatMoney } from "./format";

describe("money and dates", () => {
  it("writes whole NT dollars in both languages", () => {
    expect(formatMoney(1200, "zh-TW")).toBe("新臺幣 1,200 元");
    expect(formatMoney(300, "en")).toBe("NT$300");
    expect(formatMoney(1234567, "en")).toBe("NT$1,234,567");
  });

  it("refuses fractions of a dollar", () => {
    expect(() => formatMoney(12.5, "en")).toThrow(RangeError);
  });

  it("writes due dates in the ROC calendar in Chinese", () => {
    expect(formatDate("2026-12-17", "zh-TW")).toBe("民國115年12月17日");
    expect(formatDate("2026-12-17", "en")).toBe("17 December 2026");
  });

  it("shows moments in Taiwan time", () => {
    expect(formatDateTime("2026-11-21T16:30:00Z", "en")).toBe("22 November 2026, 00:30");
    expect(formatDateTime("2026-11-21T16:30:00Z", "zh-TW")).toBe("民國115年11月22日 00:30");
  });
});
