/** How a resident reads a payment's state in the payment records (繳費紀錄). */
export const RECORD_STATUSES = ["paid", "refunded", "in_progress", "not_completed"] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

/** Receipts in one downloaded PDF at most (a page each); narrower dates for more. */
export const MAX_RECEIPTS_PER_PDF = 200;
