import { and, asc, count, countDistinct, desc, eq, inArray, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { taipeiDate } from "~/domain/dates";
import { PAYMENT_PROVIDERS, type PaymentProvider } from "~/domain/payment-order";
import {
  RECONCILIATION_OUTCOMES,
  type ItemSide,
  type ReconciliationItemState,
  type ReconciliationOutcome,
  type SettlementFileOrigin,
} from "~/domain/reconciliation";
import { actingForIn, agenciesFor, allows } from "~/domain/staff";
import { fetchAndReconcile, type FetchResult } from "~/money/reconciliation-job.server";
import { currentSettlementFiles, importSettlementFile, type ImportResult } from "~/money/reconciliation.server";
import { statementsAfterReconciliation } from "~/money/statements.server";
import { decodeSettlementBytes, type SettlementProblem } from "~/money/settlement-files";
import type { PaymentContext } from "~/payments/orders/order.server";
import { isCalendarDate } from "~/payments/records.server";
import { schema, type Database } from "~/base/db.server";
import { pageCount, type StaffActor } from "./listing.server";
import { auditStaffAct } from "./staff-request.server";

/**
 * The back office's reconciliation (對帳): the days with what their files
 * came out as, one day's mismatches side by side, staff resolving them with
 * a note, and the files staff upload or fetch (docs/decisions/020).
 *
 * Reach: reconciliation is the money office's work over the city's merchant
 * accounts, so a city-wide role (the auditor) sees every item. An agency's
 * accounting head sees the items of orders holding a bill of their agency
 * (an order of several agencies is each one's), and the lines that name no
 * order here at all: money that arrived for nobody, which someone must claim.
 * Resolving needs `reconciliation.work` for one of the order's agencies (or
 * anywhere, for a line of no order); a file covers the whole merchant account,
 * so whoever may work may upload or fetch one. Every view and act is audited.
 */

type Scope = "all" | string[];

const scopeOf = (staff: StaffActor): Scope => agenciesFor(staff.roles, "reconciliation.view");

/** The item's order, named in full: inside a subquery a bare "order_id" would be the subquery's own. */
const ITEM_ORDER = sql.raw(`"reconciliation_items"."order_id"`);

/** The agencies of the bills of an item's order (none for a line of no order). */
const orderAgencies = () =>
  sql<string[]>`coalesce((select array_agg(distinct t.agency_code order by t.agency_code)
    from payment_order_items i join bills b on b.id = i.bill_id join bill_types t on t.code = b.bill_type_code
    where i.order_id = ${ITEM_ORDER}), '{}'::text[])`;

function itemsInScope(scope: Scope): SQL | undefined {
  if (scope === "all") return undefined;
  if (scope.length === 0) return sql`false`;
  const ri = schema.reconciliationItems;
  return or(
    isNull(ri.orderId),
    sql`exists (select 1 from payment_order_items i join bills b on b.id = i.bill_id join bill_types t on t.code = b.bill_type_code
      where i.order_id = ${ITEM_ORDER} and t.agency_code in (${sql.join(
        scope.map((code) => sql`${code}`),
        sql`, `,
      )}))`,
  );
}

/** What every look at an item reads of it. */
const ITEM_COLUMNS = {
  id: schema.reconciliationItems.id,
  provider: schema.reconciliationItems.provider,
  outcome: schema.reconciliationItems.outcome,
  state: schema.reconciliationItems.state,
  orderId: schema.reconciliationItems.orderId,
};

export type DayCounts = Record<ReconciliationOutcome, number>;

export interface ProviderDay {
  provider: PaymentProvider;
  file: { fileName: string; origin: SettlementFileOrigin; lineCount: number; importedAt: Date } | null;
  counts: DayCounts;
  open: number;
  resolved: number;
}

const DAYS_PER_PAGE = 14;
const emptyCounts = (): DayCounts => Object.fromEntries(RECONCILIATION_OUTCOMES.map((outcome) => [outcome, 0])) as DayCounts;

/** The reconciled days, newest first: per provider, the current file and how its items came out (in the staff member's reach). */
export async function reconciliationDays(db: Database, staff: StaffActor, page: number) {
  const f = schema.settlementFiles;
  const current = isNull(f.supersededAt);
  const [total] = await db
    .select({ n: countDistinct(f.businessDate) })
    .from(f)
    .where(current);
  const pages = pageCount(total?.n ?? 0, DAYS_PER_PAGE);
  const shown = Math.min(page, pages);
  const dayRows = await db
    .selectDistinct({ businessDate: f.businessDate })
    .from(f)
    .where(current)
    .orderBy(desc(f.businessDate))
    .limit(DAYS_PER_PAGE)
    .offset((shown - 1) * DAYS_PER_PAGE);
  const dates = dayRows.map((row) => row.businessDate);
  const files =
    dates.length === 0
      ? []
      : await db
          .select({
            businessDate: f.businessDate,
            provider: f.provider,
            fileName: f.fileName,
            origin: f.origin,
            lineCount: f.lineCount,
            importedAt: f.importedAt,
          })
          .from(f)
          .where(and(current, inArray(f.businessDate, dates)));
  const ri = schema.reconciliationItems;
  const tallies =
    dates.length === 0
      ? []
      : await db
          .select({ businessDate: ri.businessDate, provider: ri.provider, outcome: ri.outcome, state: ri.state, n: count() })
          .from(ri)
          .where(and(inArray(ri.businessDate, dates), itemsInScope(scopeOf(staff))))
          .groupBy(ri.businessDate, ri.provider, ri.outcome, ri.state);
  const days = dates.map((businessDate) => ({
    businessDate,
    providers: PAYMENT_PROVIDERS.flatMap((provider): ProviderDay[] => {
      const file = files.find((row) => row.businessDate === businessDate && row.provider === provider);
      const rows = tallies.filter((row) => row.businessDate === businessDate && row.provider === provider);
      if (!file && rows.length === 0) return [];
      const counts = emptyCounts();
      for (const row of rows) counts[row.outcome] += row.n;
      const sum = (state: ReconciliationItemState) => rows.filter((row) => row.state === state).reduce((total, row) => total + row.n, 0);
      return [
        {
          provider,
          file: file ? { fileName: file.fileName, origin: file.origin, lineCount: file.lineCount, importedAt: file.importedAt } : null,
          counts,
          open: sum("open"),
          resolved: sum("resolved"),
        },
      ];
    }),
  }));
  await auditStaffAct(staff, { action: "reconciliation.days_viewed", targetType: "reconciliation", details: { page: shown } }, db);
  return { days, page: shown, pageCount: pages };
}

interface DayItem {
  id: number;
  provider: PaymentProvider;
  outcome: ReconciliationOutcome;
  state: ReconciliationItemState;
  orderId: string | null;
  orderReference: string | null;
  refundNumber: string | null;
  expected: ItemSide;
  found: ItemSide;
  /** From an earlier file of the day (a resolved item the current file no longer has). */
  fromEarlierFile: boolean;
  resolution: { note: string; by: string; at: Date } | null;
  mayResolve: boolean;
}

/** Mismatches shown on a day's page at most (matched items are counted, not listed). */
const ITEMS_SHOWN = 500;

/** One day: its files (current and superseded), the counts, and every mismatch in reach, open first. */
export async function reconciliationDay(db: Database, staff: StaffActor, businessDate: string) {
  const f = schema.settlementFiles;
  const files = await db
    .select({
      id: f.id,
      provider: f.provider,
      fileName: f.fileName,
      origin: f.origin,
      lineCount: f.lineCount,
      importedAt: f.importedAt,
      supersededAt: f.supersededAt,
      uploadedBy: schema.staff.displayName,
    })
    .from(f)
    .leftJoin(schema.staff, eq(schema.staff.id, f.uploadedBy))
    .where(eq(f.businessDate, businessDate))
    .orderBy(asc(f.provider), desc(f.importedAt));
  const ri = schema.reconciliationItems;
  const inScope = and(eq(ri.businessDate, businessDate), itemsInScope(scopeOf(staff)));
  const tallies = await db
    .select({ provider: ri.provider, outcome: ri.outcome, n: count() })
    .from(ri)
    .where(inScope)
    .groupBy(ri.provider, ri.outcome);
  const resolver = sql<string | null>`(select s.display_name from staff s where s.id = ${ri.resolvedBy})`;
  const rows = await db
    .select({
      ...ITEM_COLUMNS,
      orderReference: schema.paymentOrders.reference,
      refundNumber: schema.refunds.number,
      expected: ri.expected,
      found: ri.found,
      fileId: ri.fileId,
      note: ri.resolutionNote,
      resolvedBy: resolver,
      resolvedAt: ri.resolvedAt,
      agencies: orderAgencies(),
    })
    .from(ri)
    .leftJoin(schema.paymentOrders, eq(schema.paymentOrders.id, ri.orderId))
    .leftJoin(schema.refunds, eq(schema.refunds.id, ri.refundId))
    .where(and(inScope, ne(ri.state, "matched")))
    .orderBy(sql`case when ${ri.state} = 'open' then 0 else 1 end`, asc(ri.provider), asc(ri.outcome), asc(ri.id))
    .limit(ITEMS_SHOWN + 1);
  const currentFiles = new Set(files.filter((file) => file.supersededAt === null).map((file) => file.id));
  const items: DayItem[] = rows.slice(0, ITEMS_SHOWN).map((row) => ({
    id: row.id,
    provider: row.provider,
    outcome: row.outcome,
    state: row.state,
    orderId: row.orderId,
    orderReference: row.orderReference,
    refundNumber: row.refundNumber,
    expected: row.expected as ItemSide,
    found: row.found as ItemSide,
    fromEarlierFile: !currentFiles.has(row.fileId),
    resolution:
      row.state === "resolved" && row.note && row.resolvedAt ? { note: row.note, by: row.resolvedBy ?? "", at: row.resolvedAt } : null,
    mayResolve: row.state === "open" && mayWork(staff, row.agencies),
  }));
  const counts = Object.fromEntries(
    PAYMENT_PROVIDERS.map((provider) => {
      const byOutcome = emptyCounts();
      for (const row of tallies.filter((tally) => tally.provider === provider)) byOutcome[row.outcome] = row.n;
      return [provider, byOutcome];
    }),
  ) as Record<PaymentProvider, DayCounts>;
  await auditStaffAct(staff, { action: "reconciliation.day_viewed", targetType: "reconciliation_day", targetId: businessDate }, db);
  return { businessDate, files, counts, items, more: rows.length > ITEMS_SHOWN };
}

/** Whether the staff member may work on reconciliation at all (upload, fetch, resolve something). */
export function mayWorkReconciliation(staff: StaffActor): boolean {
  const reach = agenciesFor(staff.roles, "reconciliation.work");
  return reach === "all" || reach.length > 0;
}

/** Work on an item of these agencies (none: a line of no order, anyone's who works reconciliation). */
function mayWork(staff: StaffActor, agencies: readonly string[]): boolean {
  return agencies.length === 0
    ? mayWorkReconciliation(staff)
    : agencies.some((agency) => allows(staff.roles, "reconciliation.work", agency));
}

// ---------------------------------------------------------------------------
// Resolving

const NOTE_MAX = 1000;
const noteSchema = z
  .string()
  .transform((value) => value.trim())
  .pipe(z.string().min(1, "noteRequired").max(NOTE_MAX, "noteTooLong"));

export type ResolveResult =
  | { kind: "resolved"; itemId: number }
  | { kind: "invalid"; itemId: number; errors: { note: "noteRequired" | "noteTooLong" }; values: { note: string } }
  | { kind: "not_open"; itemId: number }
  | { kind: "not_found" }
  | { kind: "forbidden" };

/** Staff resolve an open mismatch with a note saying what was found and done; audited with the note. */
export async function resolveReconciliationItem(
  db: Database,
  staff: StaffActor,
  businessDate: string,
  form: FormData,
  now = new Date(),
): Promise<ResolveResult> {
  const itemId = Number(form.get("itemId"));
  if (!Number.isSafeInteger(itemId) || itemId < 1) return { kind: "not_found" };
  const ri = schema.reconciliationItems;
  const [item] = await db
    .select({ ...ITEM_COLUMNS, agencies: orderAgencies() })
    .from(ri)
    .where(and(eq(ri.id, itemId), eq(ri.businessDate, businessDate), itemsInScope(scopeOf(staff))));
  if (!item) return { kind: "not_found" };
  if (!mayWork(staff, item.agencies)) return { kind: "forbidden" };
  const typed = String(form.get("note") ?? "").slice(0, NOTE_MAX * 4);
  const note = noteSchema.safeParse(typed);
  if (!note.success)
    return { kind: "invalid", itemId, errors: { note: note.error.issues[0]!.message as "noteRequired" }, values: { note: typed } };
  if (item.state !== "open") return { kind: "not_open", itemId };
  const agency = item.agencies.find((code) => allows(staff.roles, "reconciliation.work", code)) ?? null;
  return db.transaction(async (tx): Promise<ResolveResult> => {
    const changed = await tx
      .update(ri)
      .set({ state: "resolved", resolvedBy: staff.staffId, resolutionNote: note.data, resolvedAt: now })
      .where(and(eq(ri.id, itemId), eq(ri.state, "open")))
      .returning({ id: ri.id });
    if (changed.length === 0) return { kind: "not_open", itemId };
    await auditStaffAct(
      staff,
      {
        action: "reconciliation.item_resolved",
        targetType: "reconciliation_item",
        targetId: String(itemId),
        actingFor: actingForIn(staff.roles, "reconciliation.work", agency),
        details: { provider: item.provider, businessDate, outcome: item.outcome, orderId: item.orderId, note: note.data },
      },
      tx,
    );
    return { kind: "resolved", itemId };
  });
}

// ---------------------------------------------------------------------------
// Files staff upload or fetch

/** The largest settlement file taken: a 10,000-payment day of either provider is a few megabytes. */
export const SETTLEMENT_FILE_MAX_BYTES = 6 * 1024 * 1024;

type FileField = "provider" | "businessDate" | "file";
type FileFormProblem =
  | { field: "provider"; code: "providerInvalid" }
  | { field: "businessDate"; code: "dateInvalid" | "dateFuture" }
  | { field: "file"; code: "fileMissing" | "fileTooLarge" }
  | { field: "file"; code: "fileRefused"; problem: SettlementProblem };

export type FileFormResult =
  | { kind: "invalid"; intent: "upload" | "fetch"; problems: FileFormProblem[]; values: Record<Exclude<FileField, "file">, string> }
  | { kind: "done"; intent: "upload" | "fetch"; provider: PaymentProvider; businessDate: string; result: ImportResult | FetchResult };

function dayAndProvider(form: FormData, now: Date) {
  const values = {
    provider: String(form.get("provider") ?? "").slice(0, 40),
    businessDate: String(form.get("businessDate") ?? "").slice(0, 40),
  };
  const problems: FileFormProblem[] = [];
  const provider = (PAYMENT_PROVIDERS as readonly string[]).includes(values.provider) ? (values.provider as PaymentProvider) : null;
  if (!provider) problems.push({ field: "provider", code: "providerInvalid" });
  if (!isCalendarDate(values.businessDate)) problems.push({ field: "businessDate", code: "dateInvalid" });
  else if (values.businessDate > taipeiDate(now)) problems.push({ field: "businessDate", code: "dateFuture" });
  return { values, problems, provider };
}

/**
 * A file staff upload for a provider's day (from the provider's merchant back
 * office), or ask the provider for now (the job's own way): refused whole, or
 * the day reconciled against it. Audited either way, with what came of it.
 */
export async function actOnSettlementFile(
  ctx: PaymentContext,
  staff: StaffActor,
  intent: "upload" | "fetch",
  form: FormData,
  now = new Date(),
): Promise<FileFormResult> {
  const { values, problems, provider } = dayAndProvider(form, now);
  const file = form.get("file");
  const upload = intent === "upload" && file instanceof File && file.size > 0 ? file : null;
  if (intent === "upload" && !upload) problems.push({ field: "file", code: "fileMissing" });
  else if (upload && upload.size > SETTLEMENT_FILE_MAX_BYTES) problems.push({ field: "file", code: "fileTooLarge" });
  if (problems.length > 0 || !provider) return { kind: "invalid", intent, problems, values };
  let result: ImportResult | FetchResult;
  if (upload) {
    const decoded = decodeSettlementBytes(new Uint8Array(await upload.arrayBuffer()));
    const fileName = upload.name || "settlement.csv";
    result = decoded.ok
      ? await importSettlementFile(
          ctx,
          { provider, businessDate: values.businessDate, origin: "uploaded", fileName, content: decoded.text, uploadedBy: staff.staffId },
          now,
        )
      : { kind: "refused", problem: decoded.problem };
  } else result = await fetchAndReconcile(ctx, provider, values.businessDate, now);
  await auditStaffAct(
    staff,
    {
      action: upload ? "reconciliation.file_uploaded" : "reconciliation.file_fetched",
      targetType: "reconciliation_day",
      targetId: values.businessDate,
      details: {
        provider,
        result: result.kind,
        ...(upload ? { fileName: upload.name.slice(0, 200), bytes: upload.size } : {}),
        ...(result.kind === "refused" ? { problem: result.problem } : {}),
      },
    },
    ctx.db,
  );
  if (upload && result.kind === "refused")
    return { kind: "invalid", intent, problems: [{ field: "file", code: "fileRefused", problem: result.problem }], values };
  if (result.kind === "imported" || result.kind === "same_file") await statementsIfDayComplete(ctx, values.businessDate, now);
  return { kind: "done", intent, provider, businessDate: values.businessDate, result };
}

/**
 * A file that completes an ended day (every configured provider's file is in)
 * brings the day's statements at once, as the daily job would: staff fixing a
 * day by hand need not wait for its next round. A day still under way gets
 * none: its statement would leave out the rest of the day.
 */
async function statementsIfDayComplete(ctx: PaymentContext, businessDate: string, now: Date): Promise<void> {
  if (businessDate >= taipeiDate(now)) return;
  const configured = PAYMENT_PROVIDERS.filter((provider) => ctx.providers.get(provider) !== undefined);
  const present = new Set((await currentSettlementFiles(ctx.db, businessDate)).map((file) => file.provider));
  if (configured.every((provider) => present.has(provider))) await statementsAfterReconciliation(ctx, businessDate, now);
}
