import { foldIdentifier } from "./text";

/**
 * Taiwanese national ID (身分證字號) and resident certificate (居留證) numbers.
 * The portal never stores them in clear: only a keyed hash, for matching a
 * verified member to bills issued to them.
 */

// Letter codes are not alphabetical: I, O, W and Z were added later.
const LETTER_CODES: Record<string, number> = {
  A: 10,
  B: 11,
  C: 12,
  D: 13,
  E: 14,
  F: 15,
  G: 16,
  H: 17,
  J: 18,
  K: 19,
  L: 20,
  M: 21,
  N: 22,
  P: 23,
  Q: 24,
  R: 25,
  S: 26,
  T: 27,
  U: 28,
  V: 29,
  X: 30,
  Y: 31,
  W: 32,
  Z: 33,
  I: 34,
  O: 35,
};

const OLD_RESIDENT_SECOND_LETTER: Record<string, number> = { A: 0, B: 1, C: 2, D: 3 };

export function normalizeNationalId(raw: string): string {
  return foldIdentifier(raw);
}

function checksumOk(letter: string, second: number, rest: string): boolean {
  const code = LETTER_CODES[letter];
  if (code === undefined) return false;
  const digits = [second, ...[...rest].map(Number)];
  let sum = Math.floor(code / 10) + (code % 10) * 9;
  digits.forEach((digit, i) => {
    sum += digit * (i < 8 ? 8 - i : 1);
  });
  return sum % 10 === 0;
}

/** True for a valid national ID, new-style or old-style resident certificate number. */
export function isValidNationalId(raw: string): boolean {
  const id = normalizeNationalId(raw);
  if (/^[A-Z][12]\d{8}$/.test(id) || /^[A-Z][89]\d{8}$/.test(id)) {
    return checksumOk(id[0]!, Number(id[1]), id.slice(2));
  }
  if (/^[A-Z][A-D]\d{8}$/.test(id)) {
    return checksumOk(id[0]!, OLD_RESIDENT_SECOND_LETTER[id[1]!]!, id.slice(2));
  }
  return false;
}

/** Completes the first nine characters of a national ID with its check digit. */
export function completeNationalId(firstNine: string): string {
  for (let digit = 0; digit <= 9; digit++) {
    const candidate = `${firstNine}${digit}`;
    if (isValidNationalId(candidate)) return candidate;
  }
  throw new RangeError(`no check digit completes ${firstNine}`);
}
