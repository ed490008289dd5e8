import { describe, expect, it } from "vitest";
import { electricityCheckDigit, normalizeElectricityAccount, normalizeWaterAccount, parsePlate } from "./identifiers";

describe("vehicle plates", () => {
  it.each([
    ["abc-1234", "ABC-1234"],
    ["ABC1234", "ABC-1234"],
    ["ab-1234", "AB-1234"],
    ["1234-ab", "1234-AB"],
    ["A1-2345", "A1-2345"],
    ["1a2345", "1A-2345"],
    ["abc 123", "ABC-123"],
    ["123abc", "123-ABC"],
    ["AB1-234", "AB1-234"],
    ["ＡＢＣ－１２３４", "ABC-1234"],
  ])("reads %s as %s", (raw, plate) => {
    expect(parsePlate(raw)).toEqual({ ok: true, plate });
  });

  it("asks for the dash when AB1234 could be AB-1234 or AB1-234", () => {
    expect(parsePlate("AB1234")).toEqual({ ok: false, problem: "ambiguous" });
  });

  it("rejects shapes no plate has, and I or O on plates issued since 2012", () => {
    expect(parsePlate("ABCD-12")).toEqual({ ok: false, problem: "shape" });
    expect(parsePlate("")).toEqual({ ok: false, problem: "shape" });
    expect(parsePlate("AIO-1234")).toEqual({ ok: false, problem: "letters_i_o" });
  });
});

describe("utility account numbers", () => {
  it("checks the Taipower check digit (01234567897 is the reference example)", () => {
    expect(electricityCheckDigit("0123456789")).toBe(7);
    expect(normalizeElectricityAccount("01-2345-6789-7")).toBe("01234567897");
    expect(normalizeElectricityAccount("01234567898")).toBeNull();
    expect(normalizeElectricityAccount("0123456789")).toBeNull();
  });

  it("prints water accounts as SS-SSSSSSSS-C and validates the shape only", () => {
    expect(normalizeWaterAccount("04123456785")).toBe("04-12345678-5");
    expect(normalizeWaterAccount("04-1234567-5")).toBeNull();
  });
});
