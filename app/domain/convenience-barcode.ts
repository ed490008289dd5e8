import { rocYear, taipeiDate } from "./dates";
import { alphanumericValue } from "./text";

/**
 * The convenience-store 3-segment barcode (超商代收三段式條碼): three Code 39
 * barcodes printed on a bill. Rules from shared/reference/formats.md.
 *
 *   barcode 1: YYMMDD deadline + 3-character collection-item code (代收項目代碼)
 *   barcode 2: write-off number (銷帳編號), up to 16 characters (tax bills: 19)
 *   barcode 3: 4-character period + 2 check characters + amount (9 digits)
 *   tax bills: barcode 3 is 4-character period + 1 check character + amount (10 digits)
 */

export type SegmentRole = 1 | 2 | 3;
type BarcodeVariant = "standard" | "tax";

export interface ConvenienceBill {
  variant: BarcodeVariant;
  /** The three barcodes as printed. */
  barcodes: [string, string, string];
  /** Collection deadline (代收期限), YYYY-MM-DD. */
  deadline: string;
  collectionItemCode: string;
  writeOffNumber: string;
  period: string;
  checkCode: string;
  /** Integer NT dollars. */
  amount: number;
}

export type BarcodeProblem =
  | { code: "empty"; segment: SegmentRole }
  | { code: "shape"; segment: SegmentRole }
  | { code: "deadline_date" }
  | { code: "check_code" }
  | { code: "expired"; deadline: string };

/** An expired bill was still read correctly: its problem comes with the bill. */
export type BarcodeParse = { ok: true; bill: ConvenienceBill } | { ok: false; problems: BarcodeProblem[]; bill?: ConvenienceBill };

const SHAPE_1 = /^\d{6}[0-9A-Z]{3}$/;
const SHAPE_2 = /^[0-9A-Z]{1,19}$/;
const SHAPE_3_STANDARD = /^[0-9A-Z]{4}[0-9AB][0-9XY]\d{9}$/;
const SHAPE_3_TAX = /^[0-9A-Z]{4}[0-9A-Z]\d{10}$/;

/**
 * Upper case, without spaces, dashes (people copy them from the printed text)
 * or stray asterisks (the Code 39 start/stop character).
 */
export function normalizeBarcode(raw: string): string {
  return raw
    .normalize("NFKC")
    .toUpperCase()
    .replace(/[\s*-]/g, "");
}

/** Which barcodes of a bill a scanned string could be, by its shape alone. */
export function possibleRoles(raw: string): SegmentRole[] {
  const value = normalizeBarcode(raw);
  const roles: SegmentRole[] = [];
  if (SHAPE_1.test(value) && deadlineOf(value) !== null) roles.push(1);
  if (SHAPE_2.test(value)) roles.push(2);
  if (SHAPE_3_STANDARD.test(value) || SHAPE_3_TAX.test(value)) roles.push(3);
  return roles;
}

/** The barcode a string most likely is, to show scanning progress (write-off numbers can look like anything). */
export function likelyRole(raw: string): SegmentRole | null {
  const roles = possibleRoles(raw);
  if (roles.includes(1)) return 1;
  if (roles.includes(3)) return 3;
  return roles.includes(2) ? 2 : null;
}

/** value(c) of the two-character check: digits as themselves, A–I 1–9, J–R 1–9, S–Z 2–9. */
function checkValue(char: string): number {
  if (/\d/.test(char)) return Number(char);
  const code = char.charCodeAt(0);
  if (code >= 65 && code <= 73) return code - 64; // A–I
  if (code >= 74 && code <= 82) return code - 73; // J–R
  if (code >= 83 && code <= 90) return code - 81; // S–Z
  throw new RangeError(`not a barcode character: ${char}`);
}

/** The two check characters of a standard bill (positions count from 1 in each segment). */
export function standardCheckCode(barcode1: string, barcode2: string, barcode3WithoutCheck: string): string {
  let odd = 0;
  let even = 0;
  for (const segment of [barcode1, barcode2, barcode3WithoutCheck]) {
    [...segment].forEach((char, i) => {
      if (i % 2 === 0) odd += checkValue(char);
      else even += checkValue(char);
    });
  }
  const first = odd % 11;
  const second = even % 11;
  return (first === 0 ? "A" : first === 10 ? "B" : String(first)) + (second === 0 ? "X" : second === 10 ? "Y" : String(second));
}

const BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** The single check character of a national tax bill: Σ of every character (A=10…Z=35) mod 36. */
export function taxCheckCode(barcode1: string, barcode2: string, barcode3WithoutCheck: string): string {
  const sum = [...barcode1, ...barcode2, ...barcode3WithoutCheck].reduce((acc, char) => acc + alphanumericValue(char), 0);
  return BASE36[sum % 36]!;
}

function validDate(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}

/**
 * Where real deadlines lie: the near window, [today − 3 years, today + 2 years).
 * Bills fall due weeks or months after they are printed, and one found in a
 * drawer is a few years old at most. It is narrower than the 11 years between a
 * ROC reading and a Western reading of the same two digits (ROC 115 → "15",
 * Western 2026 → "26"), so at most one reading falls in it: that is how a
 * Western-year bill is recognised. The price: a ROC deadline 8 to 13 years
 * ahead (whose Western reading is in the window) reads as Western, 11 years
 * early; no real bill is due that far ahead. ADR 016.
 */
export const DEADLINE_NEAR_WINDOW = { yearsBack: 3, yearsAhead: 2 } as const;
/**
 * Outside the near window the digits are the last two of a ROC year (the usual
 * convention; far-off dates such as 50/12/31 or 2099-12-31 are issuers' "no
 * real deadline"), taken in the 100 ROC years [ROC today − 20, ROC today + 79]:
 * two digits say nothing about the century, so "99" is ROC 99 (2010) and "50" is
 * ROC 150 (2061) while today is ROC 115.
 */
export const DEADLINE_ROC_WINDOW = { yearsBack: 20, yearsAhead: 79 } as const;

/** The same month and day, `years` later (as a string: 29 February compares just as well). */
const shiftYears = (isoDate: string, years: number) => `${Number(isoDate.slice(0, 4)) + years}${isoDate.slice(4)}`;

/**
 * The deadline of barcode 1 (YYMMDD): the reading that falls in the near
 * window, else the ROC reading (see DEADLINE_NEAR_WINDOW, DEADLINE_ROC_WINDOW).
 * Null when that day does not exist (a misread).
 */
export function deadlineOf(barcode1: string, today = taipeiDate()): string | null {
  const yy = Number(barcode1.slice(0, 2));
  const month = Number(barcode1.slice(2, 4));
  const day = Number(barcode1.slice(4, 6));
  const centuries = [1900, 2000, 2100];
  const readings = [...centuries.map((c) => c + yy /* Western */), ...centuries.map((c) => c + 11 + yy /* ROC (c − 1900 + yy) */)];
  const from = shiftYears(today, -DEADLINE_NEAR_WINDOW.yearsBack);
  const until = shiftYears(today, DEADLINE_NEAR_WINDOW.yearsAhead);
  const near = readings.map((year) => validDate(year, month, day)).find((date) => date !== null && date >= from && date < until);
  if (near) return near;
  const rocToday = rocYear(Number(today.slice(0, 4)));
  const lowest = rocToday - DEADLINE_ROC_WINDOW.yearsBack;
  const roc = lowest + ((((yy - lowest) % 100) + 100) % 100);
  return validDate(roc + 1911, month, day);
}

/**
 * Reads the three barcodes of a bill, in their printed order, and checks them
 * against each other. `today` (YYYY-MM-DD, Taiwan) decides the deadline's year
 * and whether it has passed.
 */
export function parseConvenienceBill(raw: [string, string, string], today: string): BarcodeParse {
  const [b1, b2, b3] = raw.map(normalizeBarcode) as [string, string, string];
  const problems: BarcodeProblem[] = [];
  ([b1, b2, b3] as const).forEach((value, i) => {
    if (value === "") problems.push({ code: "empty", segment: (i + 1) as SegmentRole });
  });
  // The variant follows from barcode 2 (tax bills: 17–19 characters), never from whichever
  // check happens to pass: a misread standard bill would pass the tax check once in 36.
  const variant: BarcodeVariant = b2.length > 16 ? "tax" : "standard";
  if (b1 && !SHAPE_1.test(b1)) problems.push({ code: "shape", segment: 1 });
  if (b2 && !SHAPE_2.test(b2)) problems.push({ code: "shape", segment: 2 });
  if (b3 && !(variant === "tax" ? SHAPE_3_TAX : SHAPE_3_STANDARD).test(b3)) problems.push({ code: "shape", segment: 3 });
  if (problems.length > 0) return { ok: false, problems };

  const deadline = deadlineOf(b1, today);
  if (!deadline) return { ok: false, problems: [{ code: "deadline_date" }] };

  const standard = variant === "standard";
  const checkHolds = standard
    ? standardCheckCode(b1, b2, b3.slice(0, 4) + b3.slice(6)) === b3.slice(4, 6)
    : taxCheckCode(b1, b2, b3.slice(0, 4) + b3.slice(5)) === b3[4];
  if (!checkHolds) return { ok: false, problems: [{ code: "check_code" }] };

  const bill: ConvenienceBill = {
    variant,
    barcodes: [b1, b2, b3],
    deadline,
    collectionItemCode: b1.slice(6),
    writeOffNumber: b2,
    period: b3.slice(0, 4),
    checkCode: standard ? b3.slice(4, 6) : b3[4]!,
    amount: Number(standard ? b3.slice(6) : b3.slice(5)),
  };
  return deadline < today ? { ok: false, problems: [{ code: "expired", deadline }], bill } : { ok: true, bill };
}

/**
 * Finds, among strings read in any order, three that form a bill whose check
 * code holds (expired or not). Null while no combination checks out.
 */
export function assembleConvenienceBill(values: readonly string[], today: string): BarcodeParse | null {
  const distinct = [...new Set(values.map(normalizeBarcode))];
  const byRole = (role: SegmentRole) => distinct.filter((value) => possibleRoles(value).includes(role));
  for (const b1 of byRole(1)) {
    for (const b3 of byRole(3)) {
      for (const b2 of byRole(2)) {
        if (b2 === b1 || b2 === b3 || b1 === b3) continue;
        const parsed = parseConvenienceBill([b1, b2, b3], today);
        if (parsed.ok || parsed.bill) return parsed;
      }
    }
  }
  return null;
}

/** The three barcodes of a standard bill (ROC-year deadline), e.g. for a reprinted payment slip. */
export function composeConvenienceBarcodes(input: {
  deadline: string;
  collectionItemCode: string;
  writeOffNumber: string;
  period: string;
  amount: number;
}): [string, string, string] {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > 999_999_999) {
    throw new RangeError(`amount does not fit barcode 3: ${input.amount}`);
  }
  const year = rocYear(Number(input.deadline.slice(0, 4))) % 100;
  const b1 = `${String(year).padStart(2, "0")}${input.deadline.slice(5, 7)}${input.deadline.slice(8, 10)}${input.collectionItemCode}`;
  const b2 = normalizeBarcode(input.writeOffNumber);
  const amount = String(input.amount).padStart(9, "0");
  const check = standardCheckCode(b1, b2, input.period + amount);
  const b3 = `${input.period}${check}${amount}`;
  if (!SHAPE_1.test(b1) || !SHAPE_2.test(b2) || b2.length > 16 || !SHAPE_3_STANDARD.test(b3)) {
    throw new RangeError("these fields do not make a valid 3-segment barcode");
  }
  return [b1, b2, b3];
}
