CREATE TABLE "refund_cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"bill_id" uuid NOT NULL,
	"amount" integer NOT NULL,
	"reason" text NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	CONSTRAINT "refund_cases_order_bill_unique" UNIQUE("order_id","bill_id"),
	CONSTRAINT "refund_cases_amount_positive" CHECK ("refund_cases"."amount" > 0),
	CONSTRAINT "refund_cases_reason_valid" CHECK ("refund_cases"."reason" in ('bill_settled_elsewhere', 'source_reports_other_payment', 'bill_paid_by_another_order')),
	CONSTRAINT "refund_cases_state_valid" CHECK ("refund_cases"."state" in ('open', 'refunded', 'closed')),
	CONSTRAINT "refund_cases_closed_consistent" CHECK (("refund_cases"."state" = 'open') = ("refund_cases"."closed_at" is null))
);
--> statement-breakpoint
ALTER TABLE "payment_events" DROP CONSTRAINT "payment_events_kind_valid";--> statement-breakpoint
ALTER TABLE "bills" ADD COLUMN "source" text;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "held_until" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD COLUMN "last_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD COLUMN "leased_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "refund_cases" ADD CONSTRAINT "refund_cases_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund_cases" ADD CONSTRAINT "refund_cases_bill_id_bills_id_fk" FOREIGN KEY ("bill_id") REFERENCES "public"."bills"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "refund_cases_state_idx" ON "refund_cases" USING btree ("state","created_at");--> statement-breakpoint
CREATE INDEX "refund_cases_bill_idx" ON "refund_cases" USING btree ("bill_id");--> statement-breakpoint
CREATE INDEX "write_off_notices_agency_pending_idx" ON "write_off_notices" USING btree ("agency_code","state");--> statement-breakpoint
ALTER TABLE "bills" ADD CONSTRAINT "bills_source_valid" CHECK ("bills"."source" in ('water', 'power', 'parking'));--> statement-breakpoint
ALTER TABLE "payment_events" ADD CONSTRAINT "payment_events_kind_valid" CHECK ("payment_events"."kind" in ('transition', 'provider_call', 'provider_answer', 'notification_rejected', 'simulated_payment'));