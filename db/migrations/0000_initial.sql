CREATE TABLE "agencies" (
	"code" text PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"kind" text NOT NULL,
	"phone" text,
	"website_url" text,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agencies_code_format" CHECK ("agencies"."code" ~ '^[a-z][a-z0-9-]{1,31}$'),
	CONSTRAINT "agencies_kind_valid" CHECK ("agencies"."kind" in ('city_government', 'utility_company'))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"request_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "audit_log_actor_type_valid" CHECK ("audit_log"."actor_type" in ('member', 'agency', 'operator', 'system'))
);
--> statement-breakpoint
CREATE TABLE "bill_types" (
	"code" text PRIMARY KEY NOT NULL,
	"agency_code" text NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"category" text NOT NULL,
	"subject_kind" text NOT NULL,
	"collection_item_code" text NOT NULL,
	"write_off_prefix" text DEFAULT '' NOT NULL,
	"write_off_length" integer NOT NULL,
	"write_off_charset" text NOT NULL,
	"write_off_check" text NOT NULL,
	"write_off_hint_zh" text NOT NULL,
	"write_off_hint_en" text NOT NULL,
	"payment_tools" text[] NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bill_types_collection_item_code_unique" UNIQUE("collection_item_code"),
	CONSTRAINT "bill_types_code_format" CHECK ("bill_types"."code" ~ '^[a-z][a-z0-9-]{1,39}$'),
	CONSTRAINT "bill_types_category_valid" CHECK ("bill_types"."category" in ('fine', 'government_fee', 'parking', 'utility', 'school')),
	CONSTRAINT "bill_types_subject_kind_valid" CHECK ("bill_types"."subject_kind" in ('vehicle_plate', 'water_account', 'electricity_account', 'gas_account', 'case_number', 'student_number')),
	CONSTRAINT "bill_types_collection_item_code_format" CHECK ("bill_types"."collection_item_code" ~ '^[0-9A-Z]{3}$'),
	CONSTRAINT "bill_types_write_off_prefix_format" CHECK ("bill_types"."write_off_prefix" ~ '^[A-Z]{0,4}$'),
	CONSTRAINT "bill_types_write_off_length_range" CHECK (write_off_length between 6 and 16),
	CONSTRAINT "bill_types_write_off_charset_valid" CHECK ("bill_types"."write_off_charset" in ('digits', 'alphanumeric')),
	CONSTRAINT "bill_types_write_off_check_valid" CHECK ("bill_types"."write_off_check" in ('none', 'mod10-137', 'mod11-27')),
	CONSTRAINT "bill_types_payment_tools_valid" CHECK (cardinality("bill_types"."payment_tools") > 0 and "bill_types"."payment_tools" <@ array['line_pay', 'credit_card', 'jko_pay', 'easy_wallet', 'icash_pay', 'pi_wallet', 'ipass_money', 'px_pay_plus', 'taiwan_pay']::text[])
);
--> statement-breakpoint
CREATE TABLE "bills" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"bill_type_code" text NOT NULL,
	"write_off_number" text NOT NULL,
	"payer_name" text NOT NULL,
	"payer_national_id_hash" text,
	"subject" text NOT NULL,
	"amount" integer NOT NULL,
	"issued_on" date NOT NULL,
	"due_date" date NOT NULL,
	"period" text NOT NULL,
	"status" text DEFAULT 'unpaid' NOT NULL,
	"paid_at" timestamp with time zone,
	"paid_channel" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bills_bill_type_write_off_number_unique" UNIQUE("bill_type_code","write_off_number"),
	CONSTRAINT "bills_write_off_number_format" CHECK ("bills"."write_off_number" ~ '^[0-9A-Z]{6,16}$'),
	CONSTRAINT "bills_amount_positive" CHECK ("bills"."amount" > 0 and "bills"."amount" <= 999999999),
	CONSTRAINT "bills_status_valid" CHECK ("bills"."status" in ('unpaid', 'paid', 'written_off', 'cancelled')),
	CONSTRAINT "bills_due_after_issue" CHECK ("bills"."due_date" >= "bills"."issued_on"),
	CONSTRAINT "bills_period_format" CHECK ("bills"."period" ~ '^[0-9A-Z]{4}$'),
	CONSTRAINT "bills_payer_national_id_hash_format" CHECK ("bills"."payer_national_id_hash" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "bills_paid_fields_consistent" CHECK (("bills"."status" in ('paid', 'written_off')) = ("bills"."paid_at" is not null and "bills"."paid_channel" is not null)),
	CONSTRAINT "bills_paid_channel_valid" CHECK ("bills"."paid_channel" in ('portal', 'convenience_store', 'bank', 'agency_counter', 'auto_debit'))
);
--> statement-breakpoint
CREATE TABLE "feedback_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reference" text NOT NULL,
	"topic" text NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"phone" text,
	"message" text NOT NULL,
	"locale" text NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "feedback_messages_reference_unique" UNIQUE("reference"),
	CONSTRAINT "feedback_messages_topic_valid" CHECK ("feedback_messages"."topic" in ('bill_question', 'payment_problem', 'website', 'accessibility', 'suggestion', 'other')),
	CONSTRAINT "feedback_messages_message_length" CHECK (char_length("feedback_messages"."message") between 10 and 2000),
	CONSTRAINT "feedback_messages_name_length" CHECK (char_length("feedback_messages"."name") between 1 and 50),
	CONSTRAINT "feedback_messages_email_format" CHECK ("feedback_messages"."email" ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);
--> statement-breakpoint
CREATE TABLE "member_bindings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"member_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"value_ciphertext" text NOT NULL,
	"value_hash" text NOT NULL,
	"value_masked" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "member_bindings_member_kind_value_unique" UNIQUE("member_id","kind","value_hash"),
	CONSTRAINT "member_bindings_kind_valid" CHECK ("member_bindings"."kind" in ('vehicle_plate', 'water_account', 'electricity_account')),
	CONSTRAINT "member_bindings_label_length" CHECK (char_length("member_bindings"."label") <= 30)
);
--> statement-breakpoint
CREATE TABLE "members" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"issuer" text NOT NULL,
	"subject" text NOT NULL,
	"display_name" text NOT NULL,
	"national_id_hash" text,
	"identity_verified" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_login_at" timestamp with time zone,
	CONSTRAINT "members_issuer_subject_unique" UNIQUE("issuer","subject"),
	CONSTRAINT "members_national_id_hash_format" CHECK ("members"."national_id_hash" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "members_verified_has_id" CHECK (not "members"."identity_verified" or "members"."national_id_hash" is not null)
);
--> statement-breakpoint
CREATE TABLE "payment_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"from_state" text,
	"to_state" text,
	"source" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_events_kind_valid" CHECK ("payment_events"."kind" in ('transition', 'provider_call', 'provider_answer', 'notification_rejected')),
	CONSTRAINT "payment_events_source_valid" CHECK ("payment_events"."source" in ('payer', 'provider_return', 'provider_notification', 'recovery_job', 'system', 'operator')),
	CONSTRAINT "payment_events_from_state_valid" CHECK ("payment_events"."from_state" in ('created', 'pending', 'unknown', 'paid', 'failed', 'cancelled', 'expired', 'refunded')),
	CONSTRAINT "payment_events_to_state_valid" CHECK ("payment_events"."to_state" in ('created', 'pending', 'unknown', 'paid', 'failed', 'cancelled', 'expired', 'refunded')),
	CONSTRAINT "payment_events_transition_has_state" CHECK ("payment_events"."kind" <> 'transition' or "payment_events"."to_state" is not null)
);
--> statement-breakpoint
CREATE TABLE "payment_order_items" (
	"order_id" uuid NOT NULL,
	"bill_id" uuid NOT NULL,
	"amount" integer NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "payment_order_items_order_id_bill_id_pk" PRIMARY KEY("order_id","bill_id"),
	CONSTRAINT "payment_order_items_amount_positive" CHECK ("payment_order_items"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reference" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"member_id" uuid,
	"payment_tool" text NOT NULL,
	"provider" text NOT NULL,
	"provider_transaction_id" text,
	"state" text DEFAULT 'created' NOT NULL,
	"total_amount" integer NOT NULL,
	"currency" text DEFAULT 'TWD' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"next_check_at" timestamp with time zone,
	"check_attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_orders_reference_unique" UNIQUE("reference"),
	CONSTRAINT "payment_orders_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "payment_orders_provider_transaction_unique" UNIQUE("provider","provider_transaction_id"),
	CONSTRAINT "payment_orders_reference_format" CHECK ("payment_orders"."reference" ~ '^[0-9A-Z]{8,20}$'),
	CONSTRAINT "payment_orders_state_valid" CHECK ("payment_orders"."state" in ('created', 'pending', 'unknown', 'paid', 'failed', 'cancelled', 'expired', 'refunded')),
	CONSTRAINT "payment_orders_provider_valid" CHECK ("payment_orders"."provider" in ('line_pay', 'ecpay')),
	CONSTRAINT "payment_orders_tool_valid" CHECK ("payment_orders"."payment_tool" in ('line_pay', 'credit_card', 'jko_pay', 'easy_wallet', 'icash_pay', 'pi_wallet', 'ipass_money', 'px_pay_plus', 'taiwan_pay')),
	CONSTRAINT "payment_orders_total_positive" CHECK ("payment_orders"."total_amount" > 0),
	CONSTRAINT "payment_orders_currency_twd" CHECK ("payment_orders"."currency" = 'TWD'),
	CONSTRAINT "payment_orders_paid_at_when_paid" CHECK (("payment_orders"."state" in ('paid', 'refunded')) = ("payment_orders"."paid_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" text NOT NULL,
	"order_id" uuid NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "receipts_number_unique" UNIQUE("number"),
	CONSTRAINT "receipts_order_id_unique" UNIQUE("order_id"),
	CONSTRAINT "receipts_number_format" CHECK ("receipts"."number" ~ '^[0-9A-Z-]{8,24}$')
);
--> statement-breakpoint
ALTER TABLE "bill_types" ADD CONSTRAINT "bill_types_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bills" ADD CONSTRAINT "bills_bill_type_code_bill_types_code_fk" FOREIGN KEY ("bill_type_code") REFERENCES "public"."bill_types"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "member_bindings" ADD CONSTRAINT "member_bindings_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_order_items" ADD CONSTRAINT "payment_order_items_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_order_items" ADD CONSTRAINT "payment_order_items_bill_id_bills_id_fk" FOREIGN KEY ("bill_id") REFERENCES "public"."bills"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receipts" ADD CONSTRAINT "receipts_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "bills_subject_idx" ON "bills" USING btree ("subject");--> statement-breakpoint
CREATE INDEX "bills_payer_national_id_hash_idx" ON "bills" USING btree ("payer_national_id_hash");--> statement-breakpoint
CREATE INDEX "member_bindings_value_hash_idx" ON "member_bindings" USING btree ("value_hash");--> statement-breakpoint
CREATE INDEX "payment_events_order_idx" ON "payment_events" USING btree ("order_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_events_state_entered_once" ON "payment_events" USING btree ("order_id","to_state") WHERE "payment_events"."kind" = 'transition';--> statement-breakpoint
CREATE UNIQUE INDEX "payment_order_items_one_active_order_per_bill" ON "payment_order_items" USING btree ("bill_id") WHERE "payment_order_items"."released_at" is null;--> statement-breakpoint
CREATE INDEX "payment_orders_recovery_idx" ON "payment_orders" USING btree ("next_check_at");--> statement-breakpoint
CREATE INDEX "payment_orders_member_idx" ON "payment_orders" USING btree ("member_id","created_at");