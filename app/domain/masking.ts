import type { SubjectKind } from "./catalogue";

/**
 * What a look-up may show of personal data: enough for residents to
 * recognise their own bill, not enough to learn about someone else's.
 */

const MASK = "○";

/** 林美芯 → 林○芯, 陳一 → 陳○, 歐陽娜娜 → 歐○○娜; Latin names keep each word's first letter. */
export function maskPersonName(name: string): string {
  const trimmed = name.trim();
  if (/^[\p{Script=Latin}\s.'-]+$/u.test(trimmed)) {
    return trimmed
      .split(/\s+/)
      .map((word) => word.slice(0, 1) + "*".repeat(Math.max(word.length - 1, 1)))
      .join(" ");
  }
  const chars = [...trimmed];
  if (chars.length <= 1) return MASK;
  if (chars.length === 2) return chars[0] + MASK;
  return chars[0] + MASK.repeat(chars.length - 2) + chars[chars.length - 1];
}

/**
 * Masks the letters and digits of an identifier except the first `keepStart`
 * and the last `keepEnd`, keeping separators: ABC-1234 → AB*-**34.
 */
export function maskIdentifier(value: string, keepStart: number, keepEnd: number): string {
  const total = [...value].filter((c) => /[0-9A-Za-z]/.test(c)).length;
  let seen = 0;
  return [...value]
    .map((c) => {
      if (!/[0-9A-Za-z]/.test(c)) return c;
      const position = seen++;
      return position < keepStart || position >= total - keepEnd ? c : "*";
    })
    .join("");
}

/**
 * A write-off number where it leaves the portal's pages (mails, logs): the
 * first two and the last three characters, enough for a payer to recognise
 * the bill, not enough to look it up or pay it for them.
 */
export function maskWriteOffNumber(number: string): string {
  return maskIdentifier(number, 2, 3);
}

const SUBJECT_MASKS: Record<SubjectKind, [number, number]> = {
  vehicle_plate: [2, 2],
  water_account: [2, 3],
  electricity_account: [2, 3],
  gas_account: [2, 3],
  case_number: [4, 3],
  student_number: [2, 2],
};

export function maskSubject(subject: string, kind: SubjectKind): string {
  const [start, end] = SUBJECT_MASKS[kind];
  return maskIdentifier(subject, start, end);
}

/** An e-mail address where it is shown to others than its owner (the inbox before a reveal, logs, the audit trail): ming@example.tw → m***@e******.tw. */
export function maskEmailAddress(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  const hide = (part: string) => part.slice(0, 1) + "*".repeat(Math.max(part.length - 1, 3));
  const labels = email.slice(at + 1).split(".");
  const last = labels.length > 1 ? labels.pop()! : "";
  return `${hide(email.slice(0, at))}@${hide(labels.join("."))}${last ? `.${last}` : ""}`;
}
