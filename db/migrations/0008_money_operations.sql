CREATE TABLE "agency_statements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agency_code" text NOT NULL,
	"business_date" date NOT NULL,
	"collected" integer NOT NULL,
	"refunded" integer NOT NULL,
	"fees" integer NOT NULL,
	"net" integer NOT NULL,
	"lines" jsonb NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agency_statements_agency_day_unique" UNIQUE("agency_code","business_date"),
	CONSTRAINT "agency_statements_net_consistent" CHECK ("agency_statements"."net" = "agency_statements"."collected" - "agency_statements"."refunded" - "agency_statements"."fees")
);
--> statement-breakpoint
CREATE TABLE "reconciliation_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"business_date" date NOT NULL,
	"file_id" uuid NOT NULL,
	"outcome" text NOT NULL,
	"state" text NOT NULL,
	"order_id" uuid,
	"refund_id" uuid,
	"settlement_line_id" bigint,
	"expected" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"found" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resolved_by" uuid,
	"resolution_note" text,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reconciliation_items_outcome_valid" CHECK ("reconciliation_items"."outcome" in ('matched', 'paid_not_settled', 'settled_not_paid', 'amount_differs', 'fee_differs', 'refund_not_settled')),
	CONSTRAINT "reconciliation_items_state_valid" CHECK ("reconciliation_items"."state" in ('matched', 'open', 'resolved')),
	CONSTRAINT "reconciliation_items_matched_state" CHECK (("reconciliation_items"."outcome" = 'matched') = ("reconciliation_items"."state" = 'matched')),
	CONSTRAINT "reconciliation_items_resolved_consistent" CHECK (("reconciliation_items"."state" = 'resolved') = ("reconciliation_items"."resolved_at" is not null and "reconciliation_items"."resolved_by" is not null and "reconciliation_items"."resolution_note" is not null))
);
--> statement-breakpoint
CREATE TABLE "refund_steps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"refund_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"step" text NOT NULL,
	"role" text NOT NULL,
	"staff_id" uuid NOT NULL,
	"acting_for" uuid,
	"decision" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"signed_act_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refund_steps_position_unique" UNIQUE("refund_id","position"),
	CONSTRAINT "refund_steps_decision_valid" CHECK ("refund_steps"."decision" in ('approve', 'reject')),
	CONSTRAINT "refund_steps_role_valid" CHECK ("refund_steps"."role" in ('handler', 'reviewer', 'accounting_head', 'agency_head', 'releaser')),
	CONSTRAINT "refund_steps_note_length" CHECK (char_length("refund_steps"."note") <= 500)
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" text NOT NULL,
	"order_id" uuid NOT NULL,
	"bill_id" uuid NOT NULL,
	"agency_code" text NOT NULL,
	"refund_case_id" uuid,
	"amount" integer NOT NULL,
	"refundable_as_seen" integer NOT NULL,
	"reason" text NOT NULL,
	"reason_text" text DEFAULT '' NOT NULL,
	"steps" jsonb NOT NULL,
	"state" text DEFAULT 'in_approval' NOT NULL,
	"requested_by" uuid,
	"operator" text,
	"provider_refund_id" text,
	"released_at" timestamp with time zone,
	"refunded_at" timestamp with time zone,
	"next_check_at" timestamp with time zone,
	"check_attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refunds_number_unique" UNIQUE("number"),
	CONSTRAINT "refunds_number_format" CHECK ("refunds"."number" ~ '^RF[0-9]{8}[0-9A-Z]{6}$'),
	CONSTRAINT "refunds_amount_positive" CHECK ("refunds"."amount" > 0),
	CONSTRAINT "refunds_amount_within_refundable" CHECK ("refunds"."amount" <= "refunds"."refundable_as_seen"),
	CONSTRAINT "refunds_reason_valid" CHECK ("refunds"."reason" in ('duplicate_payment', 'paid_elsewhere', 'bill_cancelled', 'amount_corrected', 'payer_request', 'other')),
	CONSTRAINT "refunds_reason_text_length" CHECK (char_length("refunds"."reason_text") <= 500),
	CONSTRAINT "refunds_state_valid" CHECK ("refunds"."state" in ('in_approval', 'releasing', 'unknown', 'refunded', 'provider_refused', 'rejected', 'stale', 'withdrawn')),
	CONSTRAINT "refunds_requested_by_someone" CHECK (("refunds"."requested_by" is null) <> ("refunds"."operator" is null)),
	CONSTRAINT "refunds_refunded_at_when_refunded" CHECK (("refunds"."state" = 'refunded') = ("refunds"."refunded_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "settlement_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider" text NOT NULL,
	"business_date" date NOT NULL,
	"origin" text NOT NULL,
	"file_name" text NOT NULL,
	"sha256" text NOT NULL,
	"content" text NOT NULL,
	"line_count" integer NOT NULL,
	"uploaded_by" uuid,
	"superseded_at" timestamp with time zone,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_files_provider_valid" CHECK ("settlement_files"."provider" in ('line_pay', 'ecpay')),
	CONSTRAINT "settlement_files_origin_valid" CHECK ("settlement_files"."origin" in ('fetched', 'uploaded'))
);
--> statement-breakpoint
CREATE TABLE "settlement_lines" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"file_id" uuid NOT NULL,
	"line_number" integer NOT NULL,
	"kind" text NOT NULL,
	"merchant_order_number" text NOT NULL,
	"provider_transaction_id" text NOT NULL,
	"provider_refund_id" text,
	"amount" integer NOT NULL,
	"fee" integer DEFAULT 0 NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "settlement_lines_file_line_unique" UNIQUE("file_id","line_number"),
	CONSTRAINT "settlement_lines_kind_valid" CHECK ("settlement_lines"."kind" in ('payment', 'refund'))
);
--> statement-breakpoint
ALTER TABLE "write_off_notices" DROP CONSTRAINT "write_off_notices_order_bill_kind_unique";--> statement-breakpoint
ALTER TABLE "payment_events" DROP CONSTRAINT "payment_events_kind_valid";--> statement-breakpoint
ALTER TABLE "payment_events" DROP CONSTRAINT "payment_events_source_valid";--> statement-breakpoint
ALTER TABLE "write_off_notices" DROP CONSTRAINT "write_off_notices_kind_valid";--> statement-breakpoint
ALTER TABLE "write_off_notices" ALTER COLUMN "order_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "write_off_notices" ALTER COLUMN "bill_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "refund_approval_chain" jsonb DEFAULT '["reviewer","releaser"]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "payment_events" ADD COLUMN "refund_id" uuid;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "refunded_amount" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Orders refunded before partial refunds existed were refunded in full.
UPDATE "payment_orders" SET "refunded_amount" = "total_amount" WHERE "state" = 'refunded';--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "provider_fee" integer;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD COLUMN "refund_id" uuid;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD COLUMN "statement_id" uuid;--> statement-breakpoint
ALTER TABLE "agency_statements" ADD CONSTRAINT "agency_statements_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_file_id_settlement_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."settlement_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_settlement_line_id_settlement_lines_id_fk" FOREIGN KEY ("settlement_line_id") REFERENCES "public"."settlement_lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_resolved_by_staff_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund_steps" ADD CONSTRAINT "refund_steps_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund_steps" ADD CONSTRAINT "refund_steps_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund_steps" ADD CONSTRAINT "refund_steps_acting_for_staff_id_fk" FOREIGN KEY ("acting_for") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund_steps" ADD CONSTRAINT "refund_steps_signed_act_id_signed_acts_id_fk" FOREIGN KEY ("signed_act_id") REFERENCES "public"."signed_acts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_bill_id_bills_id_fk" FOREIGN KEY ("bill_id") REFERENCES "public"."bills"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_refund_case_id_refund_cases_id_fk" FOREIGN KEY ("refund_case_id") REFERENCES "public"."refund_cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_requested_by_staff_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_files" ADD CONSTRAINT "settlement_files_uploaded_by_staff_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "settlement_lines" ADD CONSTRAINT "settlement_lines_file_id_settlement_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."settlement_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reconciliation_items_day_idx" ON "reconciliation_items" USING btree ("business_date","provider","state");--> statement-breakpoint
CREATE INDEX "reconciliation_items_order_idx" ON "reconciliation_items" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "refunds_agency_state_idx" ON "refunds" USING btree ("agency_code","state","created_at");--> statement-breakpoint
CREATE INDEX "refunds_order_idx" ON "refunds" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "refunds_bill_idx" ON "refunds" USING btree ("bill_id");--> statement-breakpoint
CREATE INDEX "refunds_recovery_idx" ON "refunds" USING btree ("next_check_at");--> statement-breakpoint
CREATE INDEX "refunds_refunded_at_idx" ON "refunds" USING btree ("refunded_at");--> statement-breakpoint
CREATE UNIQUE INDEX "settlement_files_current_unique" ON "settlement_files" USING btree ("provider","business_date") WHERE "settlement_files"."superseded_at" is null;--> statement-breakpoint
CREATE INDEX "settlement_lines_order_idx" ON "settlement_lines" USING btree ("merchant_order_number");--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_statement_id_agency_statements_id_fk" FOREIGN KEY ("statement_id") REFERENCES "public"."agency_statements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_order_bill_kind_unique" UNIQUE NULLS NOT DISTINCT("order_id","bill_id","kind","refund_id","statement_id");--> statement-breakpoint
ALTER TABLE "agencies" ADD CONSTRAINT "agencies_refund_chain_not_empty" CHECK (jsonb_typeof("agencies"."refund_approval_chain") = 'array' and jsonb_array_length("agencies"."refund_approval_chain") > 0);--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_refund_has_refund" CHECK (("payment_events"."kind" = 'refund') = ("payment_events"."refund_id" is not null));--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_kind_valid" CHECK ("payment_events"."kind" in ('transition', 'provider_call', 'provider_answer', 'notification_rejected', 'simulated_payment', 'refund'));--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_source_valid" CHECK ("payment_events"."source" in ('payer', 'provider_return', 'provider_notification', 'recovery_job', 'system', 'operator', 'staff'));--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_refunded_within_total" CHECK ("payment_orders"."refunded_amount" between 0 and "payment_orders"."total_amount");--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_refunded_in_full" CHECK (("payment_orders"."state" = 'refunded') = ("payment_orders"."refunded_amount" = "payment_orders"."total_amount"));--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_fee_not_negative" CHECK ("payment_orders"."provider_fee" is null or "payment_orders"."provider_fee" >= 0);--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_subject_consistent" CHECK (case when "write_off_notices"."kind" = 'statement.ready' then "write_off_notices"."statement_id" is not null and "write_off_notices"."order_id" is null and "write_off_notices"."bill_id" is null
        else "write_off_notices"."statement_id" is null and "write_off_notices"."order_id" is not null and "write_off_notices"."bill_id" is not null
          and ("write_off_notices"."kind" in ('bill.payment_refunded', 'bill.payment_partially_refunded')) = ("write_off_notices"."refund_id" is not null or "write_off_notices"."kind" = 'bill.payment_refunded') end);--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_kind_valid" CHECK ("write_off_notices"."kind" in ('bill.paid', 'bill.payment_refunded', 'bill.payment_partially_refunded', 'statement.ready'));