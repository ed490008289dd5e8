import { describe, expect, it } from "vitest";
import { seededRandom } from "~/demo/data/generate";
import {
  assembleConvenienceBill,
  composeConvenienceBarcodes,
  DEADLINE_NEAR_WINDOW,
  DEADLINE_ROC_WINDOW,
  deadlineOf,
  likelyRole,
  parseConvenienceBill,
  possibleRoles,
  standardCheckCode,
  taxCheckCode,
} from "./convenience-barcode";

const TODAY = "2026-11-21";
const SAMPLE: [string, string, string] = ["50123163E", "7106000000084700", "543796000000300"];
const TAX_SAMPLE: [string, string, string] = ["1509306AE", "E100085120097159011", "3554O0000030000"];

describe("the real bills of the reference", () => {
  it("validates the iPASS sample with amount 300 and check code 96", () => {
    const parsed = parseConvenienceBill(SAMPLE, TODAY);
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.bill).toMatchObject({
      variant: "standard",
      collectionItemCode: "63E",
      writeOffNumber: "7106000000084700",
      period: "5437",
      checkCode: "96",
      amount: 300,
    });
  });

  it("computes the sample's check code from its odd and even sums", () => {
    expect(standardCheckCode("50123163E", "7106000000084700", "5437000000300")).toBe("96");
  });

  it("validates the national tax sample with its single mod-36 check character", () => {
    expect(taxCheckCode("1509306AE", "E100085120097159011", "35540000030000")).toBe("O");
    const parsed = parseConvenienceBill(TAX_SAMPLE, "2026-09-01");
    expect(parsed.ok && parsed.bill).toMatchObject({
      variant: "tax",
      writeOffNumber: "E100085120097159011",
      amount: 30000,
      deadline: "2026-09-30",
    });
  });
});

describe("deadlines", () => {
  it("reads the ROC year or the Western year, whichever falls in the near window", () => {
    expect(deadlineOf("151231ABC", TODAY)).toBe("2026-12-31"); // ROC 115
    expect(deadlineOf("261231ABC", TODAY)).toBe("2026-12-31"); // Western 2026
    expect(deadlineOf("140229ABC", TODAY)).toBe(null); // neither 2025 nor 2014 had 29 February
    expect(deadlineOf("151301ABC", TODAY)).toBe(null);
  });

  it("recognises a Western year only in the near window, [today − 3 years, today + 2 years)", () => {
    // Narrower than the 11 years between the two readings: one reading at most is in it.
    expect(DEADLINE_NEAR_WINDOW.yearsBack + DEADLINE_NEAR_WINDOW.yearsAhead).toBeLessThan(11);
    // Its first day: a Western-year bill three years old to the day is read as Western …
    expect(deadlineOf("231121ABC", TODAY)).toBe("2023-11-21");
    // … a day older, it is outside, and the digits are a ROC year (ROC 123).
    expect(deadlineOf("231120ABC", TODAY)).toBe("2034-11-20");
    // Its last day is inside; its end is open.
    expect(deadlineOf("281120ABC", TODAY)).toBe("2028-11-20");
    expect(deadlineOf("281121ABC", TODAY)).toBe("2039-11-21");
    // The window moves with today.
    expect(deadlineOf("231121ABC", "2026-11-22")).toBe("2034-11-21");
  });

  it("reads ROC years from 122 on as themselves, not 11 years early", () => {
    expect(deadlineOf("220630ABC", "2026-12-01")).toBe("2033-06-30"); // ROC 122, not Western 2022
    for (const deadline of ["2033-12-31", "2040-01-01", "2061-12-31", "2099-12-31", "2105-12-31"]) {
      const [b1] = composeConvenienceBarcodes({ deadline, collectionItemCode: "PT1", writeOffNumber: "GF1", period: "1511", amount: 1 });
      expect(deadlineOf(b1, TODAY), deadline).toBe(deadline);
    }
  });

  it("reads a far-off placeholder deadline as a ROC year: 50/12/31 is ROC 150, not Western 2050 (ROC 139)", () => {
    expect(deadlineOf("501231ABC", TODAY)).toBe("2061-12-31");
    expect(parseConvenienceBill(SAMPLE, TODAY).bill?.deadline).toBe("2061-12-31");
  });

  it("places two ROC digits in the 100 ROC years [ROC today − 20, ROC today + 79]", () => {
    expect(DEADLINE_ROC_WINDOW.yearsBack + DEADLINE_ROC_WINDOW.yearsAhead + 1).toBe(100);
    // Today is ROC 115: the window is ROC 95 … ROC 194.
    expect(deadlineOf("950101ABC", TODAY)).toBe("2006-01-01"); // ROC 95, its first year (a 2-digit ROC year)
    expect(deadlineOf("991231ABC", TODAY)).toBe("2010-12-31"); // ROC 99, not ROC 199
    expect(deadlineOf("941231ABC", TODAY)).toBe("2105-12-31"); // ROC 194, its last year (a 3-digit ROC year)
    expect(deadlineOf("000101ABC", TODAY)).toBe("2011-01-01"); // ROC 100
    // The window moves with today: in ROC 116 "95" is ROC 195.
    expect(deadlineOf("950101ABC", "2027-01-01")).toBe("2106-01-01");
  });

  it("says a bill is expired, with its deadline, and still gives what was read", () => {
    const barcodes = composeConvenienceBarcodes({
      deadline: "2026-11-20",
      collectionItemCode: "PT1",
      writeOffNumber: "GF11500019",
      period: "1511",
      amount: 600,
    });
    const parsed = parseConvenienceBill(barcodes, TODAY);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([{ code: "expired", deadline: "2026-11-20" }]);
    expect(parsed.bill?.amount).toBe(600);
  });
});

describe("shapes and roles", () => {
  it("tells the three barcodes apart by shape", () => {
    expect(likelyRole("50123163E")).toBe(1);
    expect(likelyRole("7106000000084700")).toBe(2);
    expect(likelyRole("543796000000300")).toBe(3);
    expect(likelyRole("3554O0000030000")).toBe(3);
    expect(likelyRole("GF11500019")).toBe(2);
    expect(likelyRole("!!")).toBe(null);
  });

  it("keeps every role a string could have, for assembling reads in any order", () => {
    // Nine characters starting with a valid date could also be a write-off number.
    expect(possibleRoles("151231ABC")).toEqual([1, 2]);
  });

  it("names each empty or malformed barcode", () => {
    expect(parseConvenienceBill(["", "GF11500019", "1511Z9000000600"], TODAY)).toEqual({
      ok: false,
      problems: [
        { code: "empty", segment: 1 },
        { code: "shape", segment: 3 },
      ],
    });
    expect(parseConvenienceBill(["15123", "GF-1150-0019", "151196000000600"], TODAY)).toMatchObject({
      ok: false,
      problems: [{ code: "shape", segment: 1 }],
    });
  });

  it("tolerates lower case, spaces and the asterisks some readers keep", () => {
    const [b1, b2, b3] = SAMPLE;
    expect(parseConvenienceBill([`*${b1.toLowerCase()}*`, ` ${b2} `, b3.replace(/(\d{4})/, "$1 ")], TODAY).ok).toBe(true);
  });
});

describe("generated bills", () => {
  const random = seededRandom(42);
  const pick = (chars: string, n: number) => Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join("");
  const cases = Array.from({ length: 300 }, () => {
    const deadline = new Date(Date.UTC(2026, 10, 22) + Math.floor(random() * 400) * 86_400_000).toISOString().slice(0, 10);
    return {
      deadline,
      collectionItemCode: pick("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 3),
      writeOffNumber: pick("ABCDEFGHJKLMNPQRSTUVWXYZ", Math.floor(random() * 3)) + pick("0123456789", 6 + Math.floor(random() * 8)),
      period: pick("0123456789", 4),
      amount: 1 + Math.floor(random() * 200_000),
    };
  });

  it("composes barcodes that parse back to the same fields", () => {
    for (const fields of cases) {
      const parsed = parseConvenienceBill(composeConvenienceBarcodes(fields), TODAY);
      expect(parsed.ok && parsed.bill).toMatchObject(fields);
    }
  });

  it("catches every single-digit misread in any of the three barcodes", () => {
    let tried = 0;
    for (const fields of cases.slice(0, 40)) {
      const barcodes = composeConvenienceBarcodes(fields);
      barcodes.forEach((barcode, segment) => {
        [...barcode].forEach((char, position) => {
          // The check characters themselves are covered by "wrong check code" below.
          if (!/\d/.test(char) || (segment === 2 && (position === 4 || position === 5))) return;
          const misread = String((Number(char) + 1 + Math.floor(random() * 9)) % 10);
          const corrupted = [...barcodes] as [string, string, string];
          corrupted[segment] = barcode.slice(0, position) + misread + barcode.slice(position + 1);
          const parsed = parseConvenienceBill(corrupted, TODAY);
          tried += 1;
          expect(parsed.ok, `${corrupted.join(" / ")}`).toBe(false);
          if (!parsed.ok) expect(parsed.problems[0]!.code).toMatch(/check_code|deadline_date|shape/);
        });
      });
    }
    expect(tried).toBeGreaterThan(500);
  });

  it("rejects a wrong check code, a truncated barcode and a missing barcode", () => {
    for (const fields of cases.slice(0, 40)) {
      const [b1, b2, b3] = composeConvenienceBarcodes(fields);
      const wrongCheck = b3.slice(0, 4) + (b3[4] === "1" ? "2" : "1") + b3.slice(5);
      expect(parseConvenienceBill([b1, b2, wrongCheck], TODAY)).toEqual({ ok: false, problems: [{ code: "check_code" }] });
      expect(parseConvenienceBill([b1, b2, b3.slice(0, -1)], TODAY)).toMatchObject({
        ok: false,
        problems: [{ code: "shape", segment: 3 }],
      });
      expect(parseConvenienceBill([b1, "", b3], TODAY)).toMatchObject({ ok: false, problems: [{ code: "empty", segment: 2 }] });
    }
  });

  it("assembles a bill from reads in any order, with misreads among them", () => {
    for (const fields of cases.slice(0, 60)) {
      const [b1, b2, b3] = composeConvenienceBarcodes(fields);
      const misread = b3.slice(0, 8) + ((Number(b3[8]) + 1) % 10) + b3.slice(9);
      const reads = [b3, misread, b1, b2].sort(() => random() - 0.5);
      const assembled = assembleConvenienceBill(reads, TODAY);
      expect(assembled?.ok && assembled.bill.barcodes).toEqual([b1, b2, b3]);
      expect(assembleConvenienceBill([b1, b2, misread], TODAY)).toBeNull();
    }
  });

  it("refuses to compose barcodes for amounts it cannot carry", () => {
    expect(() => composeConvenienceBarcodes({ ...cases[0]!, amount: 0 })).toThrow(RangeError);
    expect(() => composeConvenienceBarcodes({ ...cases[0]!, amount: 1_000_000_000 })).toThrow(RangeError);
    expect(() => composeConvenienceBarcodes({ ...cases[0]!, amount: 12.5 })).toThrow(RangeError);
  });
});
