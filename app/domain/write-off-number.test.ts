import { describe, expect, it } from "vitest";
import {
  computeCheckDigit,
  isConsistentRule,
  normalizeWriteOffNumber,
  validateWriteOffNumber,
  withCheckDigit,
  type WriteOffRule,
} from "./write-off-number";

const trafficFine: WriteOffRule = { prefix: "GF", length: 10, charset: "digits", check: "mod10-137" };
const caseNumber: WriteOffRule = { prefix: "EP", length: 13, charset: "digits", check: "mod11-27" };
const parkingSlip: WriteOffRule = { prefix: "", length: 16, charset: "digits", check: "mod10-137" };
const permit: WriteOffRule = { prefix: "BP", length: 14, charset: "digits", check: "none" };

describe("write-off numbers (銷帳編號)", () => {
  it("tolerates spaces, dashes, full-width characters and lower case", () => {
    const number = withCheckDigit("GF1150001", trafficFine);
    const typed = ` gf-115 0001 ${number.slice(-1)} `;
    expect(normalizeWriteOffNumber(typed)).toBe(number);
    expect(validateWriteOffNumber(typed, trafficFine)).toEqual({ ok: true, value: number });
    const fullWidth = "ＧＦ１１５０００１" + String.fromCharCode(0xff10 + Number(number.slice(-1)));
    expect(validateWriteOffNumber(fullWidth, trafficFine)).toEqual({ ok: true, value: number });
  });

  it("computes mod10-137 check digits with weights 1, 3, 7 from the left", () => {
    // 1·1 + 2·3 + 3·7 + 4·1 = 32 → (10 − 2) mod 10 = 8
    expect(computeCheckDigit("1234", "mod10-137")).toBe("8");
    // Letters count 10–35: G=16, F=15 → 16 + 45 = 61 → 9
    expect(computeCheckDigit("GF", "mod10-137")).toBe("9");
  });

  it("computes mod11-27 check digits with weights 2…7 from the right", () => {
    // 4·2 + 3·3 + 2·4 + 1·5 = 30 → 11 − 8 = 3
    expect(computeCheckDigit("1234", "mod11-27")).toBe("3");
  });

  it("catches every single-digit typo in a mod10-137 number", () => {
    const rule: WriteOffRule = { ...parkingSlip, length: 14 };
    const number = withCheckDigit("1150000000012", rule);
    expect(validateWriteOffNumber(number, rule).ok).toBe(true);
    for (let position = 0; position < number.length; position++) {
      for (let digit = 0; digit <= 9; digit++) {
        if (String(digit) === number[position]) continue;
        const typo = number.slice(0, position) + digit + number.slice(position + 1);
        expect(validateWriteOffNumber(typo, rule).ok, `typo ${typo}`).toBe(false);
      }
    }
  });

  it("names the problem: empty, characters, length, prefix, check digit", () => {
    expect(validateWriteOffNumber("  - ", trafficFine)).toEqual({ ok: false, problem: { code: "empty" } });
    expect(validateWriteOffNumber("GF11500A1X", trafficFine)).toEqual({ ok: false, problem: { code: "characters", charset: "digits" } });
    expect(validateWriteOffNumber("GF115", trafficFine)).toEqual({ ok: false, problem: { code: "length", expected: 10, actual: 5 } });
    expect(validateWriteOffNumber("XX11500019", trafficFine)).toEqual({ ok: false, problem: { code: "prefix", prefix: "GF" } });
    expect(validateWriteOffNumber("11500019", trafficFine)).toEqual({ ok: false, problem: { code: "prefix", prefix: "GF" } });
    expect(validateWriteOffNumber("GF1150@019", trafficFine)).toEqual({ ok: false, problem: { code: "characters", charset: "digits" } });
    const valid = withCheckDigit("EP1150000001", caseNumber);
    const wrongCheck = valid.slice(0, -1) + String((Number(valid.slice(-1)) + 1) % 10);
    expect(validateWriteOffNumber(wrongCheck, caseNumber)).toEqual({ ok: false, problem: { code: "check_digit" } });
    expect(validateWriteOffNumber(valid, caseNumber).ok).toBe(true);
  });

  it("accepts any digits where the bill type defines no check digit", () => {
    expect(validateWriteOffNumber("BP123456789012", permit)).toEqual({ ok: true, value: "BP123456789012" });
  });

  it("rejects rules that could not fit the convenience-store barcode", () => {
    expect(isConsistentRule(trafficFine)).toBe(true);
    expect(isConsistentRule({ ...parkingSlip, length: 17 })).toBe(false);
    expect(isConsistentRule({ prefix: "ABCDEF", length: 8, charset: "digits", check: "mod10-137" })).toBe(false);
  });
});
