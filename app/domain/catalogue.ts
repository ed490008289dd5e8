/**
 * Value lists of the bill catalogue shared by the database schema (as CHECK
 * constraints) and the application code.
 */

/** What a bill type is, for grouping and wording on the site. */
export const BILL_CATEGORIES = ["fine", "government_fee", "parking", "utility", "school"] as const;
export type BillCategory = (typeof BILL_CATEGORIES)[number];

/** What a bill is for (繳費標的): the thing a member can bind, or a case. */
export const SUBJECT_KINDS = [
  "vehicle_plate",
  "water_account",
  "electricity_account",
  "gas_account",
  "case_number",
  "student_number",
] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

export const AGENCY_KINDS = ["city_government", "utility_company"] as const;
export type AgencyKind = (typeof AGENCY_KINDS)[number];

/**
 * Stored bill statuses. "Overdue" is not stored: it is an unpaid bill whose
 * due date has passed (see `displayStatus`).
 */
export const BILL_STATUSES = ["unpaid", "paid", "written_off", "cancelled"] as const;
export type BillStatus = (typeof BILL_STATUSES)[number];

/** Where a paid bill was paid; "portal" payments also have a payment order. */
export const PAYMENT_CHANNELS = ["portal", "convenience_store", "bank", "agency_counter", "auto_debit"] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

export type BillDisplayStatus = BillStatus | "overdue";

/** The status a resident sees, given today's date in Taiwan (YYYY-MM-DD). */
export function displayStatus(status: BillStatus, dueDate: string, today: string): BillDisplayStatus {
  return status === "unpaid" && dueDate < today ? "overdue" : status;
}

/** Whether a bill in this displayed status can still be paid (on time or late). */
export function isPayable(status: BillDisplayStatus): boolean {
  return status === "unpaid" || status === "overdue";
}
