/**
 * Folds what residents type from paper bills into canonical ASCII: full-width
 * letters and digits (Ａ１) become half-width, letters upper case, and the
 * spaces and dashes people copy from printed numbers are removed.
 */
export function foldIdentifier(raw: string): string {
  return raw
    .normalize("NFKC")
    .toUpperCase()
    .replace(/[\s\-‐‑‒–—―_]/gu, "");
}

/** Numeric value of a character in check-digit sums: 0–9, then A=10 … Z=35. */
export function alphanumericValue(char: string): number {
  const code = char.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  throw new RangeError(`not an ASCII letter or digit: ${JSON.stringify(char)}`);
}

/**
 * Whether PostgreSQL can take this text as it is: it refuses NUL in text and
 * jsonb, and a lone surrogate cannot be written as UTF-8.
 */
export function isStorableText(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

/** The text without what PostgreSQL refuses: NUL dropped, lone surrogates replaced (U+FFFD). */
export function storableText(value: string): string {
  return value.replaceAll("\u0000", "").toWellFormed();
}
