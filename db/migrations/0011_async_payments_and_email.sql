CREATE TABLE "email_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email_id" uuid NOT NULL,
	"outcome" text NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"duration_ms" integer DEFAULT 0 NOT NULL,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_attempts_outcome_valid" CHECK ("email_attempts"."outcome" in ('sent', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "email_opt_outs" (
	"address_digest" text NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_opt_outs_address_digest_kind_pk" PRIMARY KEY("address_digest","kind"),
	CONSTRAINT "email_opt_outs_kind_valid" CHECK ("email_opt_outs"."kind" in ('receipt', 'refund_notice', 'code_reminder', 'due_reminder', 'overdue_reminder', 'contact_reply'))
);
--> statement-breakpoint
CREATE TABLE "email_outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"to_address" text NOT NULL,
	"locale" text NOT NULL,
	"subject" text NOT NULL,
	"text_body" text NOT NULL,
	"html_body" text NOT NULL,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"message_id" text,
	"sent_at" timestamp with time zone,
	"order_id" uuid,
	"bill_id" uuid,
	"member_id" uuid,
	"feedback_message_id" uuid,
	"refund_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_outbox_dedupe_key_unique" UNIQUE("dedupe_key"),
	CONSTRAINT "email_outbox_kind_valid" CHECK ("email_outbox"."kind" in ('receipt', 'refund_notice', 'code_reminder', 'due_reminder', 'overdue_reminder', 'contact_reply')),
	CONSTRAINT "email_outbox_state_valid" CHECK ("email_outbox"."state" in ('queued', 'sent', 'failed', 'cancelled')),
	CONSTRAINT "email_outbox_sent_has_time" CHECK (("email_outbox"."state" = 'sent') = ("email_outbox"."sent_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "bill_types" DROP CONSTRAINT "bill_types_payment_tools_valid";--> statement-breakpoint
ALTER TABLE "payment_events" DROP CONSTRAINT "payment_events_from_state_valid";--> statement-breakpoint
ALTER TABLE "payment_events" DROP CONSTRAINT "payment_events_to_state_valid";--> statement-breakpoint
ALTER TABLE "payment_orders" DROP CONSTRAINT "payment_orders_state_valid";--> statement-breakpoint
ALTER TABLE "payment_orders" DROP CONSTRAINT "payment_orders_tool_valid";--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "email_kinds" text[] DEFAULT '{receipt,refund_notice,code_reminder,due_reminder,overdue_reminder}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "locale" text DEFAULT 'zh-TW' NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "reminders_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "payment_instructions" jsonb;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "payer_email" text;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "payer_locale" text DEFAULT 'zh-TW' NOT NULL;--> statement-breakpoint
ALTER TABLE "email_attempts" ADD CONSTRAINT "email_attempts_email_id_email_outbox_id_fk" FOREIGN KEY ("email_id") REFERENCES "public"."email_outbox"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_bill_id_bills_id_fk" FOREIGN KEY ("bill_id") REFERENCES "public"."bills"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_feedback_message_id_feedback_messages_id_fk" FOREIGN KEY ("feedback_message_id") REFERENCES "public"."feedback_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_attempts_email_idx" ON "email_attempts" USING btree ("email_id","id");--> statement-breakpoint
CREATE INDEX "email_outbox_due_idx" ON "email_outbox" USING btree ("state","next_attempt_at");--> statement-breakpoint
CREATE INDEX "email_outbox_order_idx" ON "email_outbox" USING btree ("order_id");--> statement-breakpoint
ALTER TABLE "bill_types" ADD CONSTRAINT "bill_types_payment_tools_valid" CHECK (cardinality("bill_types"."payment_tools") > 0 and "bill_types"."payment_tools" <@ array['line_pay', 'credit_card', 'jko_pay', 'easy_wallet', 'icash_pay', 'pi_wallet', 'ipass_money', 'px_pay_plus', 'taiwan_pay', 'atm_transfer', 'store_code', 'store_barcode']::text[]);--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_locale_valid" CHECK ("members"."locale" in ('zh-TW', 'en'));--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_email_length" CHECK ("members"."email" is null or char_length("members"."email") between 3 and 254);--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_email_kinds_valid" CHECK ("members"."email_kinds" <@ array['receipt', 'refund_notice', 'code_reminder', 'due_reminder', 'overdue_reminder']::text[]);--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_from_state_valid" CHECK ("payment_events"."from_state" in ('created', 'pending', 'unknown', 'awaiting_payment', 'paid', 'failed', 'cancelled', 'expired', 'refunded'));--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_to_state_valid" CHECK ("payment_events"."to_state" in ('created', 'pending', 'unknown', 'awaiting_payment', 'paid', 'failed', 'cancelled', 'expired', 'refunded'));--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_payer_locale_valid" CHECK ("payment_orders"."payer_locale" in ('zh-TW', 'en'));--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_payer_email_format" CHECK ("payment_orders"."payer_email" is null or char_length("payment_orders"."payer_email") <= 254);--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_awaiting_has_instructions" CHECK ("payment_orders"."state" <> 'awaiting_payment' or "payment_orders"."payment_instructions" is not null);--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_state_valid" CHECK ("payment_orders"."state" in ('created', 'pending', 'unknown', 'awaiting_payment', 'paid', 'failed', 'cancelled', 'expired', 'refunded'));--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_tool_valid" CHECK ("payment_orders"."payment_tool" in ('line_pay', 'credit_card', 'jko_pay', 'easy_wallet', 'icash_pay', 'pi_wallet', 'ipass_money', 'px_pay_plus', 'taiwan_pay', 'atm_transfer', 'store_code', 'store_barcode'));