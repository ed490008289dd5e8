import { describe, expect, it } from "vitest";
import { maskIdentifier, maskPersonName, maskSubject } from "./masking";

describe("masking personal data", () => {
  it.each([
    ["林美芯", "林○芯"],
    ["陳一", "陳○"],
    ["歐陽娜娜", "歐○○娜"],
    ["王", "○"],
    [" 張家豪 ", "張○豪"],
  ])("masks the name %s as %s", (name, masked) => {
    expect(maskPersonName(name)).toBe(masked);
  });

  it("keeps only the initials of Latin-script names", () => {
    expect(maskPersonName("Lin Mei-hsin")).toBe("L** M*******");
    expect(maskPersonName("Al")).toBe("A*");
  });

  it("masks the middle of identifiers and keeps their separators", () => {
    expect(maskIdentifier("ABC-1234", 2, 2)).toBe("AB*-**34");
    expect(maskIdentifier("04-12345678-5", 2, 3)).toBe("04-******78-5");
    expect(maskIdentifier("AB", 2, 2)).toBe("AB");
  });

  it("masks each kind of subject so that its owner can still recognise it", () => {
    expect(maskSubject("BKR-2046", "vehicle_plate")).toBe("BK*-**46");
    expect(maskSubject("07123456781", "electricity_account")).toBe("07******781");
    expect(maskSubject("EP-115-000001", "case_number")).toBe("EP-11*-***001");
  });

  it("never returns a subject unchanged when it has more characters than it keeps", () => {
    for (const [subject, kind] of [
      ["ABC-1234", "vehicle_plate"],
      ["04-12345678-5", "water_account"],
      ["3800012345", "gas_account"],
      ["11400123", "student_number"],
    ] as const) {
      expect(maskSubject(subject, kind)).not.toBe(subject);
      expect(maskSubject(subject, kind)).toContain("*");
    }
  });
});
