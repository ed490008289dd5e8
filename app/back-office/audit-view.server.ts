import { inArray } from "drizzle-orm";
import { z } from "zod";
import { addDays, taipeiDateTimeIso } from "~/domain/dates";
import { AUDIT_ACTOR_TYPES, type AuditActorType } from "~/domain/audit";
import { storableText } from "~/domain/text";
import { auditEntriesInOrder, searchAudit, type AuditEntry, type AuditFilters } from "~/base/audit.server";
import { schema, type Database } from "~/base/db.server";
import { spreadsheetCsvStream, spreadsheetText } from "~/payments/history-csv.server";
import { isCalendarDate } from "~/payments/records.server";

/**
 * The auditor's view of the audit trail: a search of the entries (newest
 * first, paged by seq), a CSV of the same search holding each entry's hashes
 * and canonical text so the chain can be re-checked offline, and names for
 * the staff who appear in it.
 */

const AUDIT_SEARCH_FIELDS = ["text", "actorType", "action", "from", "to"] as const;
export type AuditSearchField = (typeof AUDIT_SEARCH_FIELDS)[number];
/** Keys under `audit.errors` in the back office's words. */
type AuditSearchProblem = "textTooLong" | "actionInvalid" | "dateInvalid" | "dateOrder";

const AUDIT_PAGE_SIZE = 50;

// The residents' history's reading: "0000-00-00" is refused, not thrown on.
const calendarDate = z.string().refine((v) => v === "" || isCalendarDate(v), "dateInvalid");

const searchSchema = z
  .object({
    text: z.string().trim().max(100, "textTooLong"),
    actorType: z.string().transform((v) => ((AUDIT_ACTOR_TYPES as readonly string[]).includes(v) ? (v as AuditActorType) : undefined)),
    action: z
      .string()
      .trim()
      .regex(/^[a-z0-9_.]{0,80}$/, "actionInvalid"),
    from: calendarDate,
    to: calendarDate,
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "dateOrder", path: ["to"] });

export interface AuditSearch {
  filters: AuditFilters;
  /** What was typed, for the form to keep. */
  typed: Record<AuditSearchField, string>;
  problems: Array<{ field: AuditSearchField; code: AuditSearchProblem }>;
  beforeSeq: number | undefined;
}

/** The search form's query. Bad input searches nothing narrower than what was valid: it says what to fix instead. */
export function parseAuditSearch(query: URLSearchParams): AuditSearch {
  // Without what PostgreSQL refuses in a text parameter (NUL): the text is searched for as typed otherwise.
  const typed = Object.fromEntries(
    AUDIT_SEARCH_FIELDS.map((field) => [field, storableText((query.get(field) ?? "").slice(0, 200))]),
  ) as Record<AuditSearchField, string>;
  const before = Number.parseInt(query.get("before") ?? "", 10);
  const beforeSeq = Number.isSafeInteger(before) && before > 0 ? before : undefined;
  const parsed = searchSchema.safeParse(typed);
  if (!parsed.success) {
    const problems: AuditSearch["problems"] = [];
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as AuditSearchField;
      if (!problems.some((p) => p.field === field)) problems.push({ field, code: issue.message as AuditSearchProblem });
    }
    return { filters: {}, typed, problems, beforeSeq: undefined };
  }
  const { text, actorType, action, from, to } = parsed.data;
  return {
    filters: {
      ...(text ? { text } : {}),
      ...(actorType ? { actorType } : {}),
      ...(action ? { action } : {}),
      // Dates are Taiwan's days: from its midnight to the next day's.
      ...(from ? { from: new Date(`${from}T00:00:00+08:00`) } : {}),
      ...(to ? { until: new Date(`${addDays(to, 1)}T00:00:00+08:00`) } : {}),
    },
    typed,
    problems: [],
    beforeSeq,
  };
}

/** The search as a query string, for the next page and the CSV link. */
export function auditSearchQuery(typed: Record<AuditSearchField, string>, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const field of AUDIT_SEARCH_FIELDS) if (typed[field]) query.set(field, typed[field]);
  for (const [name, value] of Object.entries(extra)) query.set(name, value);
  return query.toString();
}

/** Filters as recorded in the audit entry of a search or an export (dates as ISO text). */
export const filtersForAudit = (filters: AuditFilters) => ({
  ...filters,
  from: filters.from?.toISOString(),
  until: filters.until?.toISOString(),
});

const actingForOf = (entry: AuditEntry): string | null => {
  const details = entry.details as Record<string, unknown> | null;
  return typeof details?.actingFor === "string" ? details.actingFor : null;
};

/** Display names of the staff who acted (or were acted for) in these entries. */
async function staffNames(db: Database, entries: readonly AuditEntry[]): Promise<Map<string, string>> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const ids = new Set<string>();
  for (const entry of entries) {
    if (entry.actorType === "staff" && entry.actorId && uuid.test(entry.actorId)) ids.add(entry.actorId);
    const actingFor = actingForOf(entry);
    if (actingFor && uuid.test(actingFor)) ids.add(actingFor);
  }
  if (ids.size === 0) return new Map();
  const rows = await db
    .select({ id: schema.staff.id, name: schema.staff.displayName })
    .from(schema.staff)
    .where(inArray(schema.staff.id, [...ids]));
  return new Map(rows.map((row) => [row.id, row.name]));
}

export interface AuditEntryView {
  seq: number;
  occurredAt: string;
  actorType: AuditActorType;
  actorId: string | null;
  actorName: string | null;
  actingFor: string | null;
  actingForName: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  requestId: string | null;
  /** The details as indented JSON (the entry's own words, not translated). */
  details: string;
}

export async function auditPage(
  db: Database,
  filters: AuditFilters,
  beforeSeq: number | undefined,
): Promise<{ entries: AuditEntryView[]; nextBeforeSeq: number | null }> {
  const rows = await searchAudit(db, filters, { limit: AUDIT_PAGE_SIZE + 1, beforeSeq });
  const shown = rows.slice(0, AUDIT_PAGE_SIZE);
  const names = await staffNames(db, shown);
  const entries = shown.map((entry) => {
    const actingFor = actingForOf(entry);
    return {
      seq: entry.seq,
      occurredAt: entry.occurredAt.toISOString(),
      actorType: entry.actorType,
      actorId: entry.actorId,
      actorName: entry.actorType === "staff" && entry.actorId ? (names.get(entry.actorId) ?? null) : null,
      actingFor,
      actingForName: actingFor ? (names.get(actingFor) ?? null) : null,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      requestId: entry.requestId,
      details: JSON.stringify(entry.details ?? {}, null, 2),
    };
  });
  return { entries, nextBeforeSeq: rows.length > AUDIT_PAGE_SIZE ? shown[shown.length - 1]!.seq : null };
}

/** Column names of the CSV: fixed English identifiers (a file for auditors' tools, not for reading aloud). */
const AUDIT_CSV_COLUMNS = [
  "seq",
  "occurred_at",
  "actor_type",
  "actor_id",
  "actor_name",
  "acting_for",
  "action",
  "target_type",
  "target_id",
  "request_id",
  "details",
  "prev_hash",
  "hash",
  "entry_text",
] as const;
type AuditCsvColumn = (typeof AUDIT_CSV_COLUMNS)[number];

/** Written by `spreadsheetText` (kept as text, every digit): not neutralized again. */
const IDENTIFIER_COLUMNS: ReadonlySet<string> = new Set<AuditCsvColumn>([
  "actor_id",
  "acting_for",
  "target_id",
  "request_id",
  "prev_hash",
  "hash",
]);

/**
 * The entries matching `filters`, oldest first, as CSV for a spreadsheet
 * (docs/decisions/015: BOM, CRLF, identifiers as text formulas, every other
 * cell formula-safe). `entry_text` is what the hash covers:
 * sha256(prev_hash + entry_text) must equal hash, and each entry's prev_hash
 * the hash of the entry before. Streamed a batch at a time.
 */
export function auditCsvStream(db: Database, filters: AuditFilters): ReadableStream<Uint8Array> {
  async function* rows(): AsyncGenerator<Record<AuditCsvColumn, string>> {
    // Staff are a few thousand at most: one look-up for the whole file.
    const staff = await db.select({ id: schema.staff.id, name: schema.staff.displayName }).from(schema.staff);
    const names = new Map(staff.map((row) => [row.id, row.name]));
    for await (const entry of auditEntriesInOrder(db, filters)) {
      const actingFor = actingForOf(entry);
      yield {
        seq: String(entry.seq),
        occurred_at: taipeiDateTimeIso(entry.occurredAt),
        actor_type: entry.actorType,
        actor_id: entry.actorId ? spreadsheetText(entry.actorId) : "",
        actor_name: entry.actorType === "staff" && entry.actorId ? (names.get(entry.actorId) ?? "") : "",
        acting_for: actingFor ? spreadsheetText(actingFor) : "",
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId ? spreadsheetText(entry.targetId) : "",
        request_id: entry.requestId ? spreadsheetText(entry.requestId) : "",
        details: JSON.stringify(entry.details ?? {}),
        prev_hash: spreadsheetText(entry.prevHash),
        hash: spreadsheetText(entry.hash),
        entry_text: entry.entryText,
      };
    }
  }
  return spreadsheetCsvStream(
    rows(),
    AUDIT_CSV_COLUMNS.map((key) => ({ key, header: key })),
    IDENTIFIER_COLUMNS,
  );
}
