import { sql, type SQL } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";
import {
  AGENCY_KINDS,
  BILL_CATEGORIES,
  BILL_STATUSES,
  PAYMENT_CHANNELS,
  SUBJECT_KINDS,
  type AgencyKind,
  type BillCategory,
  type BillStatus,
  type PaymentChannel,
  type SubjectKind,
} from "../app/domain/catalogue";
import {
  PAYMENT_EVENT_KINDS,
  PAYMENT_EVENT_SOURCES,
  PAYMENT_ORDER_STATES,
  PAYMENT_PROVIDERS,
  ENTRY_CHANNELS,
  type EntryChannel,
  REFUND_CASE_REASONS,
  REFUND_CASE_STATES,
  WRITE_OFF_NOTICE_KINDS,
  type PaymentEventKind,
  type PaymentEventSource,
  type PaymentOrderState,
  type PaymentProvider,
  type RefundCaseReason,
  type RefundCaseState,
  type WriteOffNoticeKind,
} from "../app/domain/payment-order";
import { PAYMENT_TOOLS, type PaymentTool } from "../app/domain/payment-tools";
import type { PaymentInstructions } from "../app/domain/payment-instructions";
import { SUPPORTED_LOCALES, type Locale } from "../app/domain/locale";
import { EMAIL_KINDS, EMAIL_STATES, MEMBER_EMAIL_KINDS, type EmailKind, type EmailState, type MemberEmailKind } from "../app/domain/email";
import {
  WRITE_OFF_CHARSETS,
  WRITE_OFF_CHECKS,
  MAX_WRITE_OFF_LENGTH,
  type WriteOffCharset,
  type WriteOffCheck,
} from "../app/domain/write-off-number";
import { BILL_SOURCE_IDS, BINDING_KINDS, type BillSourceId, type BindingKind } from "../app/domain/member";
import { LOOKUP_WAYS, type LookupWay } from "../app/domain/statistics";
import { FEEDBACK_STATUSES, FEEDBACK_TOPICS, type FeedbackStatus, type FeedbackTopic } from "../app/domain/feedback";
import { STAFF_ROLES, AGENCY_ROLES, type AgencyRole, type StaffRole } from "../app/domain/staff";
import { AUDIT_ACTOR_TYPES, type AuditActorType } from "../app/domain/audit";
import { REFUND_REASONS, REFUND_STATES, DEFAULT_APPROVAL_CHAIN, type RefundReason, type RefundState } from "../app/domain/refund";
import {
  RECONCILIATION_ITEM_STATES,
  RECONCILIATION_OUTCOMES,
  SETTLEMENT_FILE_ORIGINS,
  SETTLEMENT_LINE_KINDS,
  type ReconciliationItemState,
  type ReconciliationOutcome,
  type SettlementFileOrigin,
  type SettlementLineKind,
} from "../app/domain/reconciliation";

/*
 * The portal's tables. Rules that protect money and personal data are
 * constraints here, not only checks in code: a second server instance, a
 * migration script or an operator's SQL console cannot break them either.
 */

/** `column IN ('a', 'b', …)` from a value list owned by the domain code. */
function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(", "))})`;
}

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** Issuing agencies (開單機關): city bureaus and utility companies. */
export const agencies = pgTable(
  "agencies",
  {
    code: text("code").primaryKey(),
    nameZh: text("name_zh").notNull(),
    nameEn: text("name_en").notNull(),
    kind: text("kind").$type<AgencyKind>().notNull(),
    phone: text("phone"),
    websiteUrl: text("website_url"),
    sortOrder: integer("sort_order").notNull().default(0),
    updatedAt: updatedAt(),
    /** Who approves a refund after the handler's request, in order; the last releases it (domain/refund.ts). */
    refundApprovalChain: jsonb("refund_approval_chain")
      .$type<AgencyRole[]>()
      .notNull()
      .default(sql.raw(`'${JSON.stringify(DEFAULT_APPROVAL_CHAIN)}'::jsonb`)),
    createdAt: createdAt(),
  },
  (t) => [
    check(
      "agencies_refund_chain_not_empty",
      sql`jsonb_typeof(${t.refundApprovalChain}) = 'array' and jsonb_array_length(${t.refundApprovalChain}) > 0`,
    ),
    check("agencies_code_format", sql`${t.code} ~ '^[a-z][a-z0-9-]{1,31}$'`),
    check("agencies_kind_valid", oneOf(t.kind, AGENCY_KINDS)),
  ],
);

/** The bill catalogue (繳費項目): what can be looked up and paid. */
export const billTypes = pgTable(
  "bill_types",
  {
    code: text("code").primaryKey(),
    agencyCode: text("agency_code")
      .notNull()
      .references(() => agencies.code),
    nameZh: text("name_zh").notNull(),
    nameEn: text("name_en").notNull(),
    category: text("category").$type<BillCategory>().notNull(),
    subjectKind: text("subject_kind").$type<SubjectKind>().notNull(),
    /** 代收項目代碼: the 3 characters after the deadline in convenience-store barcode 1. */
    collectionItemCode: text("collection_item_code").notNull().unique(),
    writeOffPrefix: text("write_off_prefix").notNull().default(""),
    writeOffLength: integer("write_off_length").notNull(),
    writeOffCharset: text("write_off_charset").$type<WriteOffCharset>().notNull(),
    writeOffCheck: text("write_off_check").$type<WriteOffCheck>().notNull(),
    /** Where the write-off number is printed on the paper bill, for the look-up page. */
    writeOffHintZh: text("write_off_hint_zh").notNull(),
    writeOffHintEn: text("write_off_hint_en").notNull(),
    paymentTools: text("payment_tools").array().$type<PaymentTool[]>().notNull(),
    active: boolean("active").notNull().default(true),
    sortOrder: integer("sort_order").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("bill_types_code_format", sql`${t.code} ~ '^[a-z][a-z0-9-]{1,39}$'`),
    check("bill_types_category_valid", oneOf(t.category, BILL_CATEGORIES)),
    check("bill_types_subject_kind_valid", oneOf(t.subjectKind, SUBJECT_KINDS)),
    check("bill_types_collection_item_code_format", sql`${t.collectionItemCode} ~ '^[0-9A-Z]{3}$'`),
    check("bill_types_write_off_prefix_format", sql`${t.writeOffPrefix} ~ '^[A-Z]{0,4}$'`),
    check("bill_types_write_off_length_range", sql.raw(`write_off_length between 6 and ${MAX_WRITE_OFF_LENGTH}`)),
    check("bill_types_write_off_charset_valid", oneOf(t.writeOffCharset, WRITE_OFF_CHARSETS)),
    check("bill_types_write_off_check_valid", oneOf(t.writeOffCheck, WRITE_OFF_CHECKS)),
    check(
      "bill_types_payment_tools_valid",
      sql`cardinality(${t.paymentTools}) > 0 and ${t.paymentTools} <@ array[${sql.raw(
        PAYMENT_TOOLS.map((tool) => `'${tool}'`).join(", "),
      )}]::text[]`,
    ),
  ],
);

/** Bills (繳費單) issued by agencies, one per write-off number and bill type. */
export const bills = pgTable(
  "bills",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    billTypeCode: text("bill_type_code")
      .notNull()
      .references(() => billTypes.code),
    /** 銷帳編號, stored normalized: upper case, no spaces or dashes. */
    writeOffNumber: text("write_off_number").notNull(),
    payerName: text("payer_name").notNull(),
    /** HMAC-SHA256 of the payer's national ID (hex); the ID itself is never stored. */
    payerNationalIdHash: text("payer_national_id_hash"),
    /** What the bill is for: plate, account or case number, in its printed form. */
    subject: text("subject").notNull(),
    /** Integer NT dollars. */
    amount: integer("amount").notNull(),
    issuedOn: date("issued_on").notNull(),
    dueDate: date("due_date").notNull(),
    /** The 4-character period field of barcode 3 (usually ROC YYMM). */
    period: text("period").notNull(),
    status: text("status").$type<BillStatus>().notNull().default("unpaid"),
    paidAt: timestamp("paid_at", { withTimezone: true }),
    paidChannel: text("paid_channel").$type<PaymentChannel>(),
    /**
     * The outside system that reported the bill (water, power, parking), or
     * null for bills the portal holds itself. Such a bill can be paid at its
     * source too, so the source is asked before its money is taken here.
     */
    source: text("source").$type<BillSourceId>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("bills_bill_type_write_off_number_unique").on(t.billTypeCode, t.writeOffNumber),
    check("bills_source_valid", oneOf(t.source, BILL_SOURCE_IDS)),
    index("bills_subject_idx").on(t.subject),
    index("bills_payer_national_id_hash_idx").on(t.payerNationalIdHash),
    check("bills_write_off_number_format", sql`${t.writeOffNumber} ~ '^[0-9A-Z]{6,16}$'`),
    check("bills_amount_positive", sql`${t.amount} > 0 and ${t.amount} <= 999999999`),
    check("bills_status_valid", oneOf(t.status, BILL_STATUSES)),
    check("bills_due_after_issue", sql`${t.dueDate} >= ${t.issuedOn}`),
    check("bills_period_format", sql`${t.period} ~ '^[0-9A-Z]{4}$'`),
    check("bills_payer_national_id_hash_format", sql`${t.payerNationalIdHash} ~ '^[0-9a-f]{64}$'`),
    check(
      "bills_paid_fields_consistent",
      sql`(${t.status} in ('paid', 'written_off')) = (${t.paidAt} is not null and ${t.paidChannel} is not null)`,
    ),
    check("bills_paid_channel_valid", oneOf(t.paidChannel, PAYMENT_CHANNELS)),
  ],
);

/** Members (會員) who log in through the city app's identity provider. */
export const members = pgTable(
  "members",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    displayName: text("display_name").notNull(),
    /** Set only for identity-verified members (全功能會員). */
    nationalIdHash: text("national_id_hash"),
    identityVerified: boolean("identity_verified").notNull().default(false),
    createdAt: createdAt(),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
    /** Where the member's mails go (set in their account); null: none are sent. */
    email: text("email"),
    /** The kinds of mail the member chose to get (domain/email.ts MEMBER_EMAIL_KINDS). */
    emailKinds: text("email_kinds")
      .array()
      .$type<MemberEmailKind[]>()
      .notNull()
      .default(sql.raw(`'{${MEMBER_EMAIL_KINDS.join(",")}}'::text[]`)),
    /** The language of the member's mails: the one they used when they last set their address and kinds. */
    locale: text("locale").$type<Locale>().notNull().default("zh-TW"),
    /** When the reminder job last looked at the member's bills (once a day each, whichever instance). */
    remindersCheckedAt: timestamp("reminders_checked_at", { withTimezone: true }),
    /**
     * How the e-counter (服務e櫃檯) knows this verified member as an applicant: a keyed
     * hash of the national ID under the key the two systems share (docs/ecounter-cases.md),
     * made at login. Their cases are asked for and matched by it, never by anything typed.
     */
    caseApplicantDigest: text("case_applicant_digest"),
  },
  (t) => [
    check("members_case_applicant_digest_format", sql`${t.caseApplicantDigest} ~ '^[0-9a-f]{64}$'`),
    check("members_case_applicant_needs_verified", sql`${t.caseApplicantDigest} is null or ${t.identityVerified}`),
    index("members_case_applicant_digest_idx").on(t.caseApplicantDigest),
    check("members_locale_valid", oneOf(t.locale, SUPPORTED_LOCALES)),
    check("members_email_length", sql`${t.email} is null or char_length(${t.email}) between 3 and 254`),
    check(
      "members_email_kinds_valid",
      sql`${t.emailKinds} <@ array[${sql.raw(MEMBER_EMAIL_KINDS.map((kind) => `'${kind}'`).join(", "))}]::text[]`,
    ),
    unique("members_issuer_subject_unique").on(t.issuer, t.subject),
    check("members_national_id_hash_format", sql`${t.nationalIdHash} ~ '^[0-9a-f]{64}$'`),
    check("members_verified_has_id", sql`not ${t.identityVerified} or ${t.nationalIdHash} is not null`),
  ],
);

/**
 * Where the portal is in the e-counter's feed of case status changes: one row
 * per feed, locked by the instance reading it, so each change is told once.
 */
export const caseChangeFeeds = pgTable("case_change_feeds", {
  feed: text("feed").primaryKey(),
  /** The e-counter's cursor after the last change read (opaque to the portal). */
  cursor: text("cursor").notNull(),
  readAt: timestamp("read_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Numbers a member binds (車號 / 水號 / 電號), encrypted at rest. */
export const memberBindings = pgTable(
  "member_bindings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    kind: text("kind").$type<BindingKind>().notNull(),
    label: text("label").notNull().default(""),
    /** AES-256-GCM ciphertext (base64 of iv | tag | data). */
    valueCiphertext: text("value_ciphertext").notNull(),
    /** Keyed hash of the normalized value, for matching and uniqueness. */
    valueHash: text("value_hash").notNull(),
    valueMasked: text("value_masked").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("member_bindings_member_kind_value_unique").on(t.memberId, t.kind, t.valueHash),
    index("member_bindings_value_hash_idx").on(t.valueHash),
    check("member_bindings_kind_valid", oneOf(t.kind, BINDING_KINDS)),
    check("member_bindings_label_length", sql`char_length(${t.label}) <= 30`),
  ],
);

/** Payment orders (繳費訂單): one payment attempt for one or several bills. */
export const paymentOrders = pgTable(
  "payment_orders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Merchant order number sent to providers (ECPay allows 20 alphanumerics). */
    reference: text("reference").notNull().unique(),
    /** The same key twice returns the first order (double clicks, reloads). */
    idempotencyKey: text("idempotency_key").notNull().unique(),
    memberId: uuid("member_id").references(() => members.id),
    paymentTool: text("payment_tool").$type<PaymentTool>().notNull(),
    provider: text("provider").$type<PaymentProvider>().notNull(),
    providerTransactionId: text("provider_transaction_id"),
    /** Where the payer approves the payment at the provider (LINE Pay), to resume. */
    providerPaymentUrl: text("provider_payment_url"),
    state: text("state").$type<PaymentOrderState>().notNull().default("created"),
    totalAmount: integer("total_amount").notNull(),
    currency: text("currency").notNull().default("TWD"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /**
     * Until when the order's bills are held against other payers. After it,
     * another payer's checkout asks the provider and, if nothing can be
     * charged without the portal's say, takes the bills over.
     */
    heldUntil: timestamp("held_until", { withTimezone: true }).notNull().defaultNow(),
    paidAt: timestamp("paid_at", { withTimezone: true }),
    refundedAt: timestamp("refunded_at", { withTimezone: true }),
    /** Integer NT dollars refunded so far, by completed refunds; the order is `refunded` when it reaches the total. */
    refundedAmount: integer("refunded_amount").notNull().default(0),
    /** The provider's fee for this payment, as its settlement file states it (null until reconciled). */
    providerFee: integer("provider_fee"),
    /** When the recovery job should next ask the provider about this order. */
    nextCheckAt: timestamp("next_check_at", { withTimezone: true }),
    checkAttempts: integer("check_attempts").notNull().default(0),
    /** How the payer came to pay (look-up, QR link, scan, member dashboard); null before it was recorded. */
    entryChannel: text("entry_channel").$type<EntryChannel>(),
    /**
     * The instructions a provider issued for a tool paid later (an ATM
     * account, a store code or barcodes, with their expiry); null otherwise.
     * Set when the order enters awaiting_payment, whose hold and window then
     * end at their expiry.
     */
    paymentInstructions: jsonb("payment_instructions").$type<PaymentInstructions>(),
    /** Where the payer asked for the receipt and notices of this payment to go (optional; members' own address by default). */
    payerEmail: text("payer_email"),
    /** The language the payer checked out in: their receipt, reminders and notices speak it. */
    payerLocale: text("payer_locale").$type<Locale>().notNull().default("zh-TW"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("payment_orders_provider_transaction_unique").on(t.provider, t.providerTransactionId),
    index("payment_orders_recovery_idx").on(t.nextCheckAt),
    index("payment_orders_member_idx").on(t.memberId, t.createdAt),
    check("payment_orders_reference_format", sql`${t.reference} ~ '^[0-9A-Z]{8,20}$'`),
    check("payment_orders_state_valid", oneOf(t.state, PAYMENT_ORDER_STATES)),
    check("payment_orders_provider_valid", oneOf(t.provider, PAYMENT_PROVIDERS)),
    check("payment_orders_tool_valid", oneOf(t.paymentTool, PAYMENT_TOOLS)),
    check("payment_orders_total_positive", sql`${t.totalAmount} > 0`),
    check("payment_orders_currency_twd", sql`${t.currency} = 'TWD'`),
    check("payment_orders_entry_channel_valid", oneOf(t.entryChannel, ENTRY_CHANNELS)),
    index("payment_orders_created_idx").on(t.createdAt),
    // A day's payments, for its statements and its reconciliation.
    index("payment_orders_paid_idx").on(t.paidAt),
    check("payment_orders_refunded_within_total", sql`${t.refundedAmount} between 0 and ${t.totalAmount}`),
    check("payment_orders_refunded_in_full", sql`(${t.state} = 'refunded') = (${t.refundedAmount} = ${t.totalAmount})`),
    check("payment_orders_fee_not_negative", sql`${t.providerFee} is null or ${t.providerFee} >= 0`),
    check("payment_orders_paid_at_when_paid", sql`(${t.state} in ('paid', 'refunded')) = (${t.paidAt} is not null)`),
    check("payment_orders_payer_locale_valid", oneOf(t.payerLocale, SUPPORTED_LOCALES)),
    check("payment_orders_payer_email_format", sql`${t.payerEmail} is null or char_length(${t.payerEmail}) <= 254`),
    check("payment_orders_awaiting_has_instructions", sql`${t.state} <> 'awaiting_payment' or ${t.paymentInstructions} is not null`),
  ],
);

/** Bills in a payment order, with the amount charged for each. */
export const paymentOrderItems = pgTable(
  "payment_order_items",
  {
    orderId: uuid("order_id")
      .notNull()
      .references(() => paymentOrders.id),
    billId: uuid("bill_id")
      .notNull()
      .references(() => bills.id),
    amount: integer("amount").notNull(),
    /** Set when the order ends without payment (failed, cancelled, expired, refunded). */
    releasedAt: timestamp("released_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.billId] }),
    // A bill is in at most one active payment order.
    uniqueIndex("payment_order_items_one_active_order_per_bill")
      .on(t.billId)
      .where(sql`${t.releasedAt} is null`),
    // A bill's payment records (繳費紀錄), whatever became of its orders.
    index("payment_order_items_bill_idx").on(t.billId),
    check("payment_order_items_amount_positive", sql`${t.amount} > 0`),
  ],
);

/** Everything that happened to a payment order, transitions first among them. */
export const paymentEvents = pgTable(
  "payment_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orderId: uuid("order_id")
      .notNull()
      .references(() => paymentOrders.id),
    kind: text("kind").$type<PaymentEventKind>().notNull(),
    fromState: text("from_state").$type<PaymentOrderState>(),
    toState: text("to_state").$type<PaymentOrderState>(),
    source: text("source").$type<PaymentEventSource>().notNull(),
    /** The provider's payload or the caller's details, as received. */
    payload: jsonb("payload").notNull().default({}),
    /** For `refund` events: the refund whose state changed. */
    refundId: uuid("refund_id").references((): AnyPgColumn => refunds.id),
    createdAt: createdAt(),
  },
  (t) => [
    check("payment_events_refund_has_refund", sql`(${t.kind} = 'refund') = (${t.refundId} is not null)`),
    index("payment_events_order_idx").on(t.orderId, t.id),
    // Each state is entered at most once: a repeated notification cannot pay twice.
    uniqueIndex("payment_events_state_entered_once")
      .on(t.orderId, t.toState)
      .where(sql`${t.kind} = 'transition'`),
    check("payment_events_kind_valid", oneOf(t.kind, PAYMENT_EVENT_KINDS)),
    check("payment_events_source_valid", oneOf(t.source, PAYMENT_EVENT_SOURCES)),
    check("payment_events_from_state_valid", oneOf(t.fromState, PAYMENT_ORDER_STATES)),
    check("payment_events_to_state_valid", oneOf(t.toState, PAYMENT_ORDER_STATES)),
    check("payment_events_transition_has_state", sql`${t.kind} <> 'transition' or ${t.toState} is not null`),
  ],
);

/** Receipts (繳費證明): one per paid order. */
export const receipts = pgTable(
  "receipts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    number: text("number").notNull().unique(),
    orderId: uuid("order_id")
      .notNull()
      .unique()
      .references(() => paymentOrders.id),
    issuedAt: timestamp("issued_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("receipts_number_format", sql`${t.number} ~ '^[0-9A-Z-]{8,24}$'`)],
);

/**
 * Money taken for a bill that was not owed any more (paid elsewhere first, or
 * paid twice): the payment stands as money received, and this case is the
 * back office's to refund. One per order and bill.
 */
export const refundCases = pgTable(
  "refund_cases",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: uuid("order_id")
      .notNull()
      .references(() => paymentOrders.id),
    billId: uuid("bill_id")
      .notNull()
      .references(() => bills.id),
    /** Integer NT dollars: what this bill took of the payment. */
    amount: integer("amount").notNull(),
    reason: text("reason").$type<RefundCaseReason>().notNull(),
    state: text("state").$type<RefundCaseState>().notNull().default("open"),
    /** Who reported what, when (the source, its channel and time). */
    details: jsonb("details").notNull().default({}),
    createdAt: createdAt(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
  },
  (t) => [
    unique("refund_cases_order_bill_unique").on(t.orderId, t.billId),
    index("refund_cases_state_idx").on(t.state, t.createdAt),
    index("refund_cases_bill_idx").on(t.billId),
    check("refund_cases_amount_positive", sql`${t.amount} > 0`),
    check("refund_cases_reason_valid", oneOf(t.reason, REFUND_CASE_REASONS)),
    check("refund_cases_state_valid", oneOf(t.state, REFUND_CASE_STATES)),
    check("refund_cases_closed_consistent", sql`(${t.state} = 'open') = (${t.closedAt} is null)`),
  ],
);

/** Who changed what: bindings, catalogue, operator actions. Append only. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().defaultNow(),
    actorType: text("actor_type").$type<AuditActorType>().notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    requestId: text("request_id"),
    details: jsonb("details").notNull().default({}),
    /**
     * The chain (docs/decisions/019, 032): set by the database when the
     * entry's transaction commits, under a lock, never by the application.
     * `hash` = SHA-256 of the previous hash and this entry's canonical text
     * (`audit_entry_text`); updates and deletes are refused by triggers.
     * `seq` is null only inside the transaction that writes the entry.
     */
    // The defaults never stay: the chain trigger overwrites them (kept so inserts need not name them).
    seq: bigint("seq", { mode: "number" }),
    prevHash: text("prev_hash").notNull().default(""),
    hash: text("hash").notNull().default(""),
  },
  (t) => [
    index("audit_log_target_idx").on(t.targetType, t.targetId),
    uniqueIndex("audit_log_seq_unique").on(t.seq),
    index("audit_log_actor_idx").on(t.actorType, t.actorId, t.occurredAt),
    index("audit_log_occurred_idx").on(t.occurredAt),
    check("audit_log_actor_type_valid", oneOf(t.actorType, AUDIT_ACTOR_TYPES)),
  ],
);

/** Messages sent through the contact form (聯絡我們). */
export const feedbackMessages = pgTable(
  "feedback_messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    reference: text("reference").notNull().unique(),
    topic: text("topic").$type<FeedbackTopic>().notNull(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    phone: text("phone"),
    message: text("message").notNull(),
    locale: text("locale").notNull(),
    requestId: text("request_id"),
    /** The agency whose bill the message is about; null: the portal's own team (the city administrator). */
    agencyCode: text("agency_code").references(() => agencies.code),
    status: text("status").$type<FeedbackStatus>().notNull().default("new"),
    updatedAt: updatedAt(),
    createdAt: createdAt(),
  },
  (t) => [
    index("feedback_messages_inbox_idx").on(t.agencyCode, t.status, t.createdAt),
    check("feedback_messages_status_valid", oneOf(t.status, FEEDBACK_STATUSES)),
    check("feedback_messages_topic_valid", oneOf(t.topic, FEEDBACK_TOPICS)),
    check("feedback_messages_message_length", sql`char_length(${t.message}) between 10 and 2000`),
    check("feedback_messages_name_length", sql`char_length(${t.name}) between 1 and 50`),
    check("feedback_messages_email_format", sql`${t.email} ~ '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'`),
  ],
);

/**
 * Fixed-window counters for rate limits, shared by every instance. Buckets are
 * hashes: client addresses and write-off numbers are not stored in clear.
 */
export const rateLimitCounters = pgTable(
  "rate_limit_counters",
  {
    bucket: text("bucket").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    hits: integer("hits").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.bucket, t.windowStart] }),
    index("rate_limit_counters_expires_idx").on(t.expiresAt),
    check("rate_limit_counters_hits_positive", sql`${t.hits} > 0`),
  ],
);

/** Captcha challenges already answered: each challenge counts once, right or wrong. */
export const captchaUses = pgTable(
  "captcha_uses",
  {
    challengeId: text("challenge_id").primaryKey(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("captcha_uses_expires_idx").on(t.expiresAt)],
);

/**
 * Write-off notices (銷帳通知) to issuing agencies: an outbox written in the
 * same transaction as the paid transition, delivered at least once.
 */
export const writeOffNotices = pgTable(
  "write_off_notices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The order and bill a bill notice is about (null for a statement's notice). */
    orderId: uuid("order_id").references(() => paymentOrders.id),
    billId: uuid("bill_id").references(() => bills.id),
    agencyCode: text("agency_code")
      .notNull()
      .references(() => agencies.code),
    /** What happened: the bill was paid here, that payment was refunded (in full: the write-off to be reversed; or in part), or a statement is ready. */
    kind: text("kind").$type<WriteOffNoticeKind>().notNull().default("bill.paid"),
    /** The refund a refund notice announces: one notice per refund and bill. */
    refundId: uuid("refund_id").references((): AnyPgColumn => refunds.id),
    /** The statement a `statement.ready` notice announces. */
    statementId: uuid("statement_id").references((): AnyPgColumn => agencyStatements.id),
    /** The exact body sent (and signed). */
    payload: jsonb("payload").notNull(),
    state: text("state").$type<"pending" | "delivered">().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    /** The last delivery attempt: a receiver not tried for a minute is probed (write-off-notices.server.ts). */
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    /** Claimed by a delivery run until then: no other run sends it meanwhile. */
    leasedUntil: timestamp("leased_until", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    lastError: text("last_error"),
    /**
     * The notice's place in its agency's feed (GET /api/agency/v1/notices):
     * numbered by a trigger under a per-agency lock held to commit, so a
     * reader that has seen N never later finds a committed notice below N.
     */
    feedSeq: bigint("feed_seq", { mode: "number" }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    unique("write_off_notices_agency_feed_seq_unique").on(t.agencyCode, t.feedSeq),
    // One notice of each kind per bill and order, however often a transition is attempted.
    unique("write_off_notices_order_bill_kind_unique").on(t.orderId, t.billId, t.kind, t.refundId, t.statementId).nullsNotDistinct(),
    check(
      "write_off_notices_subject_consistent",
      sql`case when ${t.kind} = 'statement.ready' then ${t.statementId} is not null and ${t.orderId} is null and ${t.billId} is null
        else ${t.statementId} is null and ${t.orderId} is not null and ${t.billId} is not null
          and (${t.kind} in ('bill.payment_refunded', 'bill.payment_partially_refunded')) = (${t.refundId} is not null or ${t.kind} = 'bill.payment_refunded') end`,
    ),
    check("write_off_notices_kind_valid", oneOf(t.kind, WRITE_OFF_NOTICE_KINDS)),
    index("write_off_notices_due_idx").on(t.state, t.nextAttemptAt),
    index("write_off_notices_agency_pending_idx").on(t.agencyCode, t.state),
    check("write_off_notices_state_valid", oneOf(t.state, ["pending", "delivered"])),
    check("write_off_notices_delivered_consistent", sql`(${t.state} = 'delivered') = (${t.deliveredAt} is not null)`),
  ],
);

/** Every delivery attempt of a write-off notice (and every test ping), for the agency and the auditor. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** The notice sent; null for a test ping. */
    noticeId: uuid("notice_id").references(() => writeOffNotices.id),
    /** Whose receiver was called (set on every row written since migration 0010). */
    agencyCode: text("agency_code").references(() => agencies.code),
    /** `notice`: the outbox's own attempt; `redelivery`: sent again by staff; `ping`: a test ping. */
    kind: text("kind").$type<"notice" | "redelivery" | "ping">().notNull().default("notice"),
    /** The staff member who asked for a redelivery or a ping. */
    requestedBy: uuid("requested_by").references(() => staff.id),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull().defaultNow(),
    url: text("url").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [
    index("webhook_deliveries_notice_idx").on(t.noticeId, t.attemptedAt),
    index("webhook_deliveries_agency_idx").on(t.agencyCode, t.attemptedAt),
    check("webhook_deliveries_kind_valid", oneOf(t.kind, ["notice", "redelivery", "ping"])),
    check("webhook_deliveries_ping_has_no_notice", sql`(${t.kind} = 'ping') = (${t.noticeId} is null)`),
  ],
);

/**
 * Member sessions, on the server so that logging out (or an administrator)
 * ends them for good. The cookie carries a random token; only its SHA-256 is
 * stored, so a copy of this table opens no session.
 */
export const memberSessions = pgTable(
  "member_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    memberId: uuid("member_id")
      .notNull()
      .references(() => members.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
    idleExpiresAt: timestamp("idle_expires_at", { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp("absolute_expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** For RP-initiated logout at the identity provider (id_token_hint). */
    idToken: text("id_token"),
  },
  (t) => [index("member_sessions_member_idx").on(t.memberId)],
);

/**
 * Back-office staff (機關人員), provisioned by the city administrator and
 * matched at sign-in by the staff identity provider's subject. `agencyCode`
 * null: city staff (auditors, administrators).
 */
export const staff = pgTable(
  "staff",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The staff identity provider's `sub` (the employee number). */
    subject: text("subject").notNull().unique(),
    displayName: text("display_name").notNull(),
    agencyCode: text("agency_code").references(() => agencies.code),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
  },
  (t) => [check("staff_display_name_length", sql`char_length(${t.displayName}) between 1 and 60`)],
);

/** Roles held (data, changed by the city administrator, every change audited). */
export const staffRoles = pgTable(
  "staff_roles",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staff.id),
    role: text("role").$type<StaffRole>().notNull(),
    agencyCode: text("agency_code").references(() => agencies.code),
    grantedBy: uuid("granted_by").references((): AnyPgColumn => staff.id),
    grantedAt: timestamp("granted_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: uuid("revoked_by").references((): AnyPgColumn => staff.id),
  },
  (t) => [
    uniqueIndex("staff_roles_one_live_grant")
      .on(t.staffId, t.role, sql`coalesce(${t.agencyCode}, '')`)
      .where(sql`${t.revokedAt} is null`),
    check("staff_roles_role_valid", oneOf(t.role, STAFF_ROLES)),
    // Agency roles name their agency; the auditor and the administrator span the city.
    check(
      "staff_roles_scope",
      sql`(${t.role} in (${sql.raw(AGENCY_ROLES.map((r) => `'${r}'`).join(", "))})) = (${t.agencyCode} is not null)`,
    ),
  ],
);

/** Proxy periods (代理期間): the proxy may act in the principal's role meanwhile. */
export const staffProxies = pgTable(
  "staff_proxies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    principalId: uuid("principal_id")
      .notNull()
      .references(() => staff.id),
    proxyId: uuid("proxy_id")
      .notNull()
      .references(() => staff.id),
    role: text("role").$type<AgencyRole>().notNull(),
    agencyCode: text("agency_code")
      .notNull()
      .references(() => agencies.code),
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    endsAt: timestamp("ends_at", { withTimezone: true }).notNull(),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    index("staff_proxies_proxy_idx").on(t.proxyId, t.endsAt),
    check("staff_proxies_role_valid", oneOf(t.role, AGENCY_ROLES)),
    check("staff_proxies_not_self", sql`${t.principalId} <> ${t.proxyId}`),
    check("staff_proxies_period", sql`${t.endsAt} > ${t.startsAt}`),
  ],
);

/** Staff passkeys (WebAuthn credentials). */
export const staffPasskeys = pgTable(
  "staff_passkeys",
  {
    /** The credential id, base64url. */
    id: text("id").primaryKey(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staff.id),
    /** COSE public key, base64url. */
    publicKey: text("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: text("transports")
      .array()
      .$type<string[]>()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [index("staff_passkeys_staff_idx").on(t.staffId)],
);

/** Staff sessions: apart from members' (own cookie, own table, shorter idle time). */
export const staffSessions = pgTable(
  "staff_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
    idleExpiresAt: timestamp("idle_expires_at", { withTimezone: true }).notNull(),
    absoluteExpiresAt: timestamp("absolute_expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    idToken: text("id_token"),
    clientAddress: text("client_address"),
  },
  (t) => [index("staff_sessions_staff_idx").on(t.staffId)],
);

/**
 * WebAuthn challenges handed out: a registration, or a step-up over the
 * content of one act (docs/decisions/018). Used once, within minutes.
 */
export const staffChallenges = pgTable(
  "staff_challenges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staff.id),
    purpose: text("purpose").$type<"register" | "step_up">().notNull(),
    /** base64url; for a step-up, SHA-256 of the act's canonical content and `nonce`. */
    challenge: text("challenge").notNull().unique(),
    act: jsonb("act"),
    nonce: text("nonce"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [check("staff_challenges_purpose_valid", oneOf(t.purpose, ["register", "step_up"]))],
);

/**
 * Acts signed with a passkey, kept with everything needed to verify the
 * signature again later: the act, the nonce, the credential, and the
 * authenticator's data, client data and signature as received.
 */
export const signedActs = pgTable(
  "signed_acts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staff.id),
    actingFor: uuid("acting_for").references(() => staff.id),
    kind: text("kind").notNull(),
    act: jsonb("act").notNull(),
    nonce: text("nonce").notNull(),
    credentialId: text("credential_id")
      .notNull()
      .references(() => staffPasskeys.id),
    authenticatorData: text("authenticator_data").notNull(),
    clientDataJson: text("client_data_json").notNull(),
    signature: text("signature").notNull(),
    signedAt: timestamp("signed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("signed_acts_staff_idx").on(t.staffId, t.signedAt)],
);

/** Work on a contact message: internal notes, status changes and the recorded reply. */
export const feedbackActions = pgTable(
  "feedback_actions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    messageId: uuid("message_id")
      .notNull()
      .references(() => feedbackMessages.id),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staff.id),
    actingFor: uuid("acting_for").references(() => staff.id),
    kind: text("kind").$type<"note" | "reply" | "status">().notNull(),
    body: text("body").notNull().default(""),
    status: text("status").$type<FeedbackStatus>(),
    createdAt: createdAt(),
  },
  (t) => [
    index("feedback_actions_message_idx").on(t.messageId, t.id),
    check("feedback_actions_kind_valid", oneOf(t.kind, ["note", "reply", "status"])),
    check("feedback_actions_body_length", sql`char_length(${t.body}) <= 4000`),
  ],
);

/**
 * Refunds (退款): money given back for one bill of a paid order, requested by
 * the issuing agency's handler and approved in the agency's chain (or, break
 * glass, by an operator at the command line). Every state change is also a
 * `refund` event of the order.
 */
export const refunds = pgTable(
  "refunds",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** 退款編號, shown to the payer and the agency. */
    number: text("number").notNull().unique(),
    orderId: uuid("order_id")
      .notNull()
      .references(() => paymentOrders.id),
    billId: uuid("bill_id")
      .notNull()
      .references(() => bills.id),
    agencyCode: text("agency_code")
      .notNull()
      .references(() => agencies.code),
    /** The duplicate-payment case this refund settles, if it came from the queue. */
    refundCaseId: uuid("refund_case_id").references(() => refundCases.id),
    /** Integer NT dollars to give back. */
    amount: integer("amount").notNull(),
    /** What could still be refunded of this bill when it was requested: every step signs it, the release checks it still holds. */
    refundableAsSeen: integer("refundable_as_seen").notNull(),
    reason: text("reason").$type<RefundReason>().notNull(),
    reasonText: text("reason_text").notNull().default(""),
    /** The agency's chain as it was when requested: `[{step, role}]`, request first (domain/refund.ts refundSteps). */
    steps: jsonb("steps").$type<Array<{ step: string; role: AgencyRole }>>().notNull(),
    state: text("state").$type<RefundState>().notNull().default("in_approval"),
    /** Requested by a staff member; null for a break-glass refund by an operator (then `operator` says who). */
    requestedBy: uuid("requested_by").references(() => staff.id),
    /** Break glass: the operator's name as given and the system account that ran the command. */
    operator: text("operator"),
    /** The provider's own id of the refund, once known. */
    providerRefundId: text("provider_refund_id"),
    releasedAt: timestamp("released_at", { withTimezone: true }),
    refundedAt: timestamp("refunded_at", { withTimezone: true }),
    /** When recovery should ask the provider about a refund whose outcome is unknown. */
    nextCheckAt: timestamp("next_check_at", { withTimezone: true }),
    checkAttempts: integer("check_attempts").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("refunds_agency_state_idx").on(t.agencyCode, t.state, t.createdAt),
    index("refunds_order_idx").on(t.orderId),
    index("refunds_bill_idx").on(t.billId),
    index("refunds_recovery_idx").on(t.nextCheckAt),
    index("refunds_refunded_at_idx").on(t.refundedAt),
    check("refunds_number_format", sql`${t.number} ~ '^RF[0-9]{8}[0-9A-Z]{6}$'`),
    check("refunds_amount_positive", sql`${t.amount} > 0`),
    check("refunds_amount_within_refundable", sql`${t.amount} <= ${t.refundableAsSeen}`),
    check("refunds_reason_valid", oneOf(t.reason, REFUND_REASONS)),
    check("refunds_reason_text_length", sql`char_length(${t.reasonText}) <= 500`),
    check("refunds_state_valid", oneOf(t.state, REFUND_STATES)),
    check("refunds_requested_by_someone", sql`(${t.requestedBy} is null) <> (${t.operator} is null)`),
    check("refunds_refunded_at_when_refunded", sql`(${t.state} = 'refunded') = (${t.refundedAt} is not null)`),
  ],
);

/** The steps taken on a refund, each signed with the staff member's passkey (`signed_acts`). */
export const refundSteps = pgTable(
  "refund_steps",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    refundId: uuid("refund_id")
      .notNull()
      .references(() => refunds.id),
    /** Position in the refund's `steps` (0: the request). */
    position: integer("position").notNull(),
    step: text("step").notNull(),
    role: text("role").$type<AgencyRole>().notNull(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staff.id),
    actingFor: uuid("acting_for").references(() => staff.id),
    decision: text("decision").$type<"approve" | "reject">().notNull(),
    note: text("note").notNull().default(""),
    signedActId: uuid("signed_act_id")
      .notNull()
      .references(() => signedActs.id),
    createdAt: createdAt(),
  },
  (t) => [
    unique("refund_steps_position_unique").on(t.refundId, t.position),
    check("refund_steps_decision_valid", oneOf(t.decision, ["approve", "reject"])),
    check("refund_steps_role_valid", oneOf(t.role, AGENCY_ROLES)),
    check("refund_steps_note_length", sql`char_length(${t.note}) <= 500`),
  ],
);

/** A provider's settlement file for one day (對帳檔), kept as received: the proof the accounting office asks for. */
export const settlementFiles = pgTable(
  "settlement_files",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    provider: text("provider").$type<PaymentProvider>().notNull(),
    /** The Taiwan date the file covers. */
    businessDate: date("business_date", { mode: "string" }).notNull(),
    origin: text("origin").$type<SettlementFileOrigin>().notNull(),
    fileName: text("file_name").notNull(),
    sha256: text("sha256").notNull(),
    content: text("content").notNull(),
    lineCount: integer("line_count").notNull(),
    /** Who uploaded it (null: fetched by the job). */
    uploadedBy: uuid("uploaded_by").references(() => staff.id),
    /** A newer file for the same day replaces this one (kept, not deleted). */
    supersededAt: timestamp("superseded_at", { withTimezone: true }),
    importedAt: timestamp("imported_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("settlement_files_current_unique")
      .on(t.provider, t.businessDate)
      .where(sql`${t.supersededAt} is null`),
    check("settlement_files_provider_valid", oneOf(t.provider, PAYMENT_PROVIDERS)),
    check("settlement_files_origin_valid", oneOf(t.origin, SETTLEMENT_FILE_ORIGINS)),
  ],
);

/** One line of a settlement file: a payment or a refund, with the provider's fee. */
export const settlementLines = pgTable(
  "settlement_lines",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    fileId: uuid("file_id")
      .notNull()
      .references(() => settlementFiles.id),
    lineNumber: integer("line_number").notNull(),
    kind: text("kind").$type<SettlementLineKind>().notNull(),
    merchantOrderNumber: text("merchant_order_number").notNull(),
    providerTransactionId: text("provider_transaction_id").notNull(),
    /** The provider's own id of a refund line, if it gives one. */
    providerRefundId: text("provider_refund_id"),
    /** Integer NT dollars, positive for payments and refunds alike. */
    amount: integer("amount").notNull(),
    fee: integer("fee").notNull().default(0),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    raw: jsonb("raw").notNull(),
  },
  (t) => [
    unique("settlement_lines_file_line_unique").on(t.fileId, t.lineNumber),
    index("settlement_lines_order_idx").on(t.merchantOrderNumber),
    check("settlement_lines_kind_valid", oneOf(t.kind, SETTLEMENT_LINE_KINDS)),
  ],
);

/** What reconciling a day found, one row per line or per order without one; mismatches are resolved by staff with a note. */
export const reconciliationItems = pgTable(
  "reconciliation_items",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    provider: text("provider").$type<PaymentProvider>().notNull(),
    businessDate: date("business_date", { mode: "string" }).notNull(),
    fileId: uuid("file_id")
      .notNull()
      .references(() => settlementFiles.id),
    outcome: text("outcome").$type<ReconciliationOutcome>().notNull(),
    state: text("state").$type<ReconciliationItemState>().notNull(),
    orderId: uuid("order_id").references(() => paymentOrders.id),
    refundId: uuid("refund_id").references(() => refunds.id),
    settlementLineId: bigint("settlement_line_id", { mode: "number" }).references(() => settlementLines.id),
    /** What the portal holds and what the file says (amount, fee, …), for the page that shows the difference. */
    expected: jsonb("expected").notNull().default({}),
    found: jsonb("found").notNull().default({}),
    resolvedBy: uuid("resolved_by").references(() => staff.id),
    resolutionNote: text("resolution_note"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index("reconciliation_items_day_idx").on(t.businessDate, t.provider, t.state),
    index("reconciliation_items_order_idx").on(t.orderId),
    check("reconciliation_items_outcome_valid", oneOf(t.outcome, RECONCILIATION_OUTCOMES)),
    check("reconciliation_items_state_valid", oneOf(t.state, RECONCILIATION_ITEM_STATES)),
    check("reconciliation_items_matched_state", sql`(${t.outcome} = 'matched') = (${t.state} = 'matched')`),
    check(
      "reconciliation_items_resolved_consistent",
      sql`(${t.state} = 'resolved') = (${t.resolvedAt} is not null and ${t.resolvedBy} is not null and ${t.resolutionNote} is not null)`,
    ),
  ],
);

/**
 * An agency's statement for one day (日報表): collected, refunded, fees and
 * net, in total and by bill type and payment tool. The figures are computed
 * from the records when the day is reconciled and kept as they were sent: a
 * correction is the next version, and the one it replaces stays.
 */
export const agencyStatements = pgTable(
  "agency_statements",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    agencyCode: text("agency_code")
      .notNull()
      .references(() => agencies.code),
    businessDate: date("business_date", { mode: "string" }).notNull(),
    collected: integer("collected").notNull(),
    refunded: integer("refunded").notNull(),
    fees: integer("fees").notNull(),
    net: integer("net").notNull(),
    /** Lines by bill type and payment tool: `[{billType, paymentTool, payments, collected, refunds, refunded, fees, net}]`. */
    lines: jsonb("lines").notNull(),
    /**
     * How the records and the providers' files of the day compare for this agency:
     * `{tiesOut, settledCollected, settledRefunded, missingFiles, unattributed}` (domain/statement.ts).
     */
    reconciliation: jsonb("reconciliation").notNull(),
    /** 1 for the statement first announced; a correction is the next version, announced anew (docs/decisions/021). */
    version: integer("version").notNull().default(1),
    /** SHA-256 of the statement's canonical JSON, given in the webhook so the agency can check what it downloads. */
    sha256: text("sha256").notNull(),
    /** When a corrected version replaced this one; kept as it was sent. */
    supersededAt: timestamp("superseded_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    unique("agency_statements_agency_day_version_unique").on(t.agencyCode, t.businessDate, t.version),
    // One statement in force per agency and day.
    uniqueIndex("agency_statements_current_unique")
      .on(t.agencyCode, t.businessDate)
      .where(sql`${t.supersededAt} is null`),
    check("agency_statements_version_positive", sql`${t.version} >= 1`),
    check("agency_statements_sha256_format", sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check("agency_statements_net_consistent", sql`${t.net} = ${t.collected} - ${t.refunded} - ${t.fees}`),
  ],
);

/**
 * API keys agencies sign their calls with (機關介接金鑰). The secret is kept
 * sealed (AES-256-GCM under CREDENTIALS_KEY): the portal must hold it to check
 * HMACs, and a copy of this table alone signs nothing. A rotated key works
 * until `expires_at` (the overlap); a revoked one no more.
 */
export const agencyApiKeys = pgTable(
  "agency_api_keys",
  {
    /** Public key id sent in X-Agency-Key-Id (domain/agency-api.ts API_KEY_ID_PATTERN). */
    id: text("id").primaryKey(),
    agencyCode: text("agency_code")
      .notNull()
      .references(() => agencies.code),
    label: text("label").notNull().default(""),
    secretSealed: text("secret_sealed").notNull(),
    createdAt: createdAt(),
    createdBy: uuid("created_by").references(() => staff.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [
    index("agency_api_keys_agency_idx").on(t.agencyCode),
    check("agency_api_keys_id_format", sql`${t.id} ~ '^[a-z][a-z0-9-]{1,31}[.][a-z2-7]{16}$'`),
    check("agency_api_keys_label_length", sql`char_length(${t.label}) <= 60`),
  ],
);

/** Nonces of accepted signed calls, kept past the signature window: the same nonce twice is a replay. */
export const agencyApiNonces = pgTable(
  "agency_api_nonces",
  {
    keyId: text("key_id")
      .notNull()
      .references(() => agencyApiKeys.id),
    nonce: text("nonce").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.nonce] }), index("agency_api_nonces_expires_idx").on(t.expiresAt)],
);

/** Where an agency's write-off notices go (one receiver per agency), managed in the back office. */
export const agencyWebhookEndpoints = pgTable(
  "agency_webhook_endpoints",
  {
    agencyCode: text("agency_code")
      .primaryKey()
      .references(() => agencies.code),
    url: text("url").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    updatedAt: updatedAt(),
    updatedBy: uuid("updated_by").references(() => staff.id),
  },
  (t) => [check("agency_webhook_endpoints_url_http", sql`${t.url} ~ '^https?://'`)],
);

/**
 * Secrets the portal signs an agency's notices with, sealed like API keys.
 * During a rotation's overlap a notice carries a signature by each live
 * secret (`v1=` twice), so the receiver can switch when it likes.
 */
export const agencyWebhookSecrets = pgTable(
  "agency_webhook_secrets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    agencyCode: text("agency_code")
      .notNull()
      .references(() => agencies.code),
    secretSealed: text("secret_sealed").notNull(),
    createdAt: createdAt(),
    createdBy: uuid("created_by").references(() => staff.id),
    /** Set when a newer secret replaced it: it still signs until then. */
    retiresAt: timestamp("retires_at", { withTimezone: true }),
  },
  (t) => [index("agency_webhook_secrets_agency_idx").on(t.agencyCode, t.createdAt)],
);

/**
 * Look-ups counted by day, way (typed number, paper bill's QR link, scan),
 * bill type and outcome, for the monthly statistics: counts only, nothing
 * about who looked or for which bill.
 */
export const lookupTallies = pgTable(
  "lookup_tallies",
  {
    day: date("day", { mode: "string" }).notNull(),
    /** `case_query`: an application's status asked by case number and check code. */
    way: text("way").$type<LookupWay>().notNull(),
    /** '' when the bill type could not be told (a garbled scan, a forged link). */
    billTypeCode: text("bill_type_code").notNull().default(""),
    outcome: text("outcome").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.day, t.way, t.billTypeCode, t.outcome] }),
    check("lookup_tallies_way_valid", oneOf(t.way, LOOKUP_WAYS)),
    check("lookup_tallies_outcome_format", sql`${t.outcome} ~ '^[a-z_]{1,40}$'`),
    check("lookup_tallies_count_positive", sql`${t.count} > 0`),
  ],
);

/**
 * The e-mail outbox (寄件匣): every mail the portal sends, rendered when it
 * was queued (subject, plain text, HTML), sent over SMTP by the mail job
 * with retries. `dedupeKey` makes queueing idempotent (one receipt per
 * order, one reminder per bill and phase). Attachments are named, not
 * stored: the receipt PDF is made when the mail goes.
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").$type<EmailKind>().notNull(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    toAddress: text("to_address").notNull(),
    locale: text("locale").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    htmlBody: text("html_body").notNull(),
    /** What to attach when sending: `{ kind: "receipt_pdf", orderId }`. */
    attachments: jsonb("attachments").$type<Array<{ kind: "receipt_pdf"; orderId: string }>>().notNull().default([]),
    state: text("state").$type<EmailState>().notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    /** The SMTP server's Message-ID for the mail, once sent. */
    messageId: text("message_id"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    /** What the mail is about, for the checks just before sending and the back office. */
    orderId: uuid("order_id").references(() => paymentOrders.id),
    billId: uuid("bill_id").references(() => bills.id),
    memberId: uuid("member_id").references(() => members.id, { onDelete: "set null" }),
    feedbackMessageId: uuid("feedback_message_id").references(() => feedbackMessages.id),
    refundId: uuid("refund_id").references(() => refunds.id),
    createdAt: createdAt(),
  },
  (t) => [
    index("email_outbox_due_idx").on(t.state, t.nextAttemptAt),
    index("email_outbox_order_idx").on(t.orderId),
    check("email_outbox_kind_valid", oneOf(t.kind, EMAIL_KINDS)),
    check("email_outbox_state_valid", oneOf(t.state, EMAIL_STATES)),
    check("email_outbox_sent_has_time", sql`(${t.state} = 'sent') = (${t.sentAt} is not null)`),
  ],
);

/** Every attempt to send a mail: the delivery log. */
export const emailAttempts = pgTable(
  "email_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    emailId: uuid("email_id")
      .notNull()
      .references(() => emailOutbox.id),
    outcome: text("outcome").$type<"sent" | "failed" | "cancelled">().notNull(),
    /** The SMTP server's reply, or why the mail was not sent. */
    detail: text("detail").notNull().default(""),
    durationMs: integer("duration_ms").notNull().default(0),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("email_attempts_email_idx").on(t.emailId, t.id),
    check("email_attempts_outcome_valid", oneOf(t.outcome, ["sent", "failed", "cancelled"])),
  ],
);

/**
 * Addresses that unsubscribed from a kind of mail (by its link), as a keyed
 * hash (PII_HMAC_KEY) of the normalized address: no list of addresses is kept.
 */
export const emailOptOuts = pgTable(
  "email_opt_outs",
  {
    addressDigest: text("address_digest").notNull(),
    kind: text("kind").$type<EmailKind>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.addressDigest, t.kind] }), check("email_opt_outs_kind_valid", oneOf(t.kind, EMAIL_KINDS))],
);
