import { foldIdentifier } from "./text";

/**
 * Numbers a member can bind and bills are issued for: vehicle plates, water
 * and electricity accounts. Formats from `shared/reference/formats.md`.
 */

// Plate shapes in use, as printed: cars since 2012, older cars, motorcycles.
const PLATE_SHAPES: readonly RegExp[] = [
  /^[A-Z]{3}-\d{4}$/, // ABC-1234 (cars since 2012, heavy motorcycles)
  /^[A-Z]{2}-\d{4}$/, // AB-1234
  /^\d{4}-[A-Z]{2}$/, // 1234-AB
  /^[A-Z]\d-\d{4}$/, // A1-2345
  /^\d[A-Z]-\d{4}$/, // 1A-2345
  /^[A-Z]{3}-\d{3}$/, // ABC-123 (motorcycles)
  /^\d{3}-[A-Z]{3}$/, // 123-ABC
  /^[A-Z]{2}\d-\d{3}$/, // AB1-234
];

export type PlateResult = { ok: true; plate: string } | { ok: false; problem: "shape" | "ambiguous" | "letters_i_o" };

/**
 * Canonical printed form of a plate (`ABC-1234`). Without a dash `AB1234`
 * could be `AB-1234` or `AB1-234`, so that one shape needs the dash.
 */
export function parsePlate(raw: string): PlateResult {
  const folded = raw
    .normalize("NFKC")
    .toUpperCase()
    .replace(/\s+/gu, "")
    .replace(/[‐‑‒–—―_]/gu, "-");
  const candidates = folded.includes("-")
    ? [folded]
    : Array.from({ length: Math.max(folded.length - 1, 0) }, (_, i) => `${folded.slice(0, i + 1)}-${folded.slice(i + 1)}`);
  const matches = candidates.filter((candidate) => PLATE_SHAPES.some((shape) => shape.test(candidate)));
  if (matches.length === 0) return { ok: false, problem: "shape" };
  if (matches.length > 1) return { ok: false, problem: "ambiguous" };
  const plate = matches[0]!;
  // Plates issued since 2012 skip I and O, which read like 1 and 0.
  if (/^[A-Z]{3}-\d{4}$/.test(plate) && /[IO]/.test(plate)) return { ok: false, problem: "letters_i_o" };
  return { ok: true, plate };
}

/** Taipower account (電號): 11 digits, the last a check digit. */
export function electricityCheckDigit(firstTen: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const product = Number(firstTen[i]) * (i % 2 === 0 ? 2 : 1);
    sum += Math.floor(product / 10) + (product % 10);
  }
  return sum % 10;
}

export function normalizeElectricityAccount(raw: string): string | null {
  const digits = foldIdentifier(raw);
  if (!/^\d{11}$/.test(digits)) return null;
  return electricityCheckDigit(digits.slice(0, 10)) === Number(digits[10]) ? digits : null;
}

/** Taiwan Water account (水號): 11 characters printed `SS-SSSSSSSS-C`; the check rule is not public. */
export function normalizeWaterAccount(raw: string): string | null {
  const folded = foldIdentifier(raw);
  if (!/^[0-9A-Z]{11}$/.test(folded)) return null;
  return `${folded.slice(0, 2)}-${folded.slice(2, 10)}-${folded.slice(10)}`;
}
