import { alphanumericValue, foldIdentifier } from "./text";

/**
 * Write-off number (銷帳編號) rules. Each bill type in the catalogue carries a
 * rule: a fixed prefix, an exact length (at most 16, so the number fits the
 * second convenience-store barcode), the characters allowed, and the check
 * digit algorithm the issuing agency uses. Validation runs before any
 * database work, so a mistyped number costs nothing.
 */

export const WRITE_OFF_CHARSETS = ["digits", "alphanumeric"] as const;
export type WriteOffCharset = (typeof WRITE_OFF_CHARSETS)[number];

/**
 * `mod10-137`: weights 1, 3, 7 repeating from the left, check = (10 − Σ mod 10) mod 10.
 * `mod11-27`: weights 2…7 repeating from the right, check = (11 − Σ mod 11) mod 10.
 * Letters count as 10–35. The check digit is always the last character.
 */
export const WRITE_OFF_CHECKS = ["none", "mod10-137", "mod11-27"] as const;
export type WriteOffCheck = (typeof WRITE_OFF_CHECKS)[number];

export const MAX_WRITE_OFF_LENGTH = 16;

export interface WriteOffRule {
  prefix: string;
  length: number;
  charset: WriteOffCharset;
  check: WriteOffCheck;
}

export type WriteOffProblem =
  | { code: "empty" }
  | { code: "length"; expected: number; actual: number }
  | { code: "characters"; charset: WriteOffCharset }
  | { code: "prefix"; prefix: string }
  | { code: "check_digit" };

export type WriteOffValidation = { ok: true; value: string } | { ok: false; problem: WriteOffProblem };

export function normalizeWriteOffNumber(raw: string): string {
  return foldIdentifier(raw);
}

export function computeCheckDigit(body: string, check: Exclude<WriteOffCheck, "none">): string {
  const values = [...body].map(alphanumericValue);
  if (check === "mod10-137") {
    const weights = [1, 3, 7];
    const sum = values.reduce((acc, value, i) => acc + value * weights[i % 3]!, 0);
    return String((10 - (sum % 10)) % 10);
  }
  const sum = values.reduceRight((acc, value, i) => acc + value * (2 + ((values.length - 1 - i) % 6)), 0);
  return String(((11 - (sum % 11)) % 11) % 10);
}

/** Completes a number body (everything but the check digit) with its check digit. */
export function withCheckDigit(body: string, rule: WriteOffRule): string {
  return rule.check === "none" ? body : body + computeCheckDigit(body, rule.check);
}

export function validateWriteOffNumber(raw: string, rule: WriteOffRule): WriteOffValidation {
  const value = normalizeWriteOffNumber(raw);
  if (value.length === 0) return { ok: false, problem: { code: "empty" } };
  // Most helpful first: "starts with GF" beats "wrong characters", which beats "wrong length".
  if (!value.startsWith(rule.prefix)) return { ok: false, problem: { code: "prefix", prefix: rule.prefix } };
  const allowed = rule.charset === "digits" ? /^[0-9]*$/ : /^[0-9A-Z]*$/;
  if (!allowed.test(value.slice(rule.prefix.length))) {
    return { ok: false, problem: { code: "characters", charset: rule.charset } };
  }
  if (value.length !== rule.length) {
    return { ok: false, problem: { code: "length", expected: rule.length, actual: value.length } };
  }
  if (rule.check !== "none" && computeCheckDigit(value.slice(0, -1), rule.check) !== value.slice(-1)) {
    return { ok: false, problem: { code: "check_digit" } };
  }
  return { ok: true, value };
}

/** Structural sanity of a rule, used by the catalogue seed and its tests. */
export function isConsistentRule(rule: WriteOffRule): boolean {
  const bodyLength = rule.length - rule.prefix.length - (rule.check === "none" ? 0 : 1);
  return rule.length >= 6 && rule.length <= MAX_WRITE_OFF_LENGTH && /^[A-Z]*$/.test(rule.prefix) && bodyLength >= 3;
}
