/**
 * Dates as residents read them: bills are due on a calendar day in Taiwan
 * (UTC+8, no daylight saving), whatever the server's own time zone.
 */

const TAIPEI_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Today's date in Taiwan as YYYY-MM-DD. */
export function taipeiDate(now: Date = new Date()): string {
  return new Date(now.getTime() + TAIPEI_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * A moment in Taiwan time as ISO 8601 with its offset, to the second:
 * "2026-12-01T17:07:05+08:00". Fixed width and one offset, so as text these
 * sort in the order of time (a spreadsheet's sort, a script's comparison).
 */
export function taipeiDateTimeIso(moment: Date | string): string {
  const at = new Date(moment);
  if (Number.isNaN(at.getTime())) throw new RangeError(`not a moment: ${String(moment)}`);
  return `${new Date(at.getTime() + TAIPEI_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

export function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** ROC (民國) year of a Western year: 2026 → 115. */
export function rocYear(westernYear: number): number {
  return westernYear - 1911;
}

/** The usual 4-character period field of barcode 3: ROC YYMM (last two digits of the ROC year). */
export function rocPeriod(isoDate: string): string {
  const year = Number(isoDate.slice(0, 4));
  return `${String(rocYear(year) % 100).padStart(2, "0")}${isoDate.slice(5, 7)}`;
}
