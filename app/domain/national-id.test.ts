import { describe, expect, it } from "vitest";
import { completeNationalId, isValidNationalId } from "./national-id";

describe("national ID and resident certificate numbers", () => {
  it("accepts the reference examples", () => {
    expect(isValidNationalId("A123456789")).toBe(true);
    expect(isValidNationalId("A800000014")).toBe(true); // new resident certificate
    expect(isValidNationalId("AA00000009")).toBe(true); // old resident certificate
  });

  it("accepts lower case and full-width input", () => {
    expect(isValidNationalId("a123456789")).toBe(true);
    expect(isValidNationalId("Ａ１２３４５６７８９")).toBe(true);
  });

  it("rejects a wrong check digit, a wrong gender digit and wrong shapes", () => {
    expect(isValidNationalId("A123456788")).toBe(false);
    expect(isValidNationalId("A323456789")).toBe(false);
    expect(isValidNationalId("1234567890")).toBe(false);
    expect(isValidNationalId("A12345678")).toBe(false);
  });

  it("completes the first nine characters with the only valid check digit", () => {
    expect(completeNationalId("A12345678")).toBe("A123456789");
    const id = completeNationalId("B22345678");
    expect(isValidNationalId(id)).toBe(true);
    const others = Array.from({ length: 10 }, (_, d) => `B22345678${d}`).filter(isValidNationalId);
    expect(others).toEqual([id]);
  });
});
