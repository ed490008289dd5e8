CREATE TABLE "webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"notice_id" uuid NOT NULL,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"url" text NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "write_off_notices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"bill_id" uuid NOT NULL,
	"agency_code" text NOT NULL,
	"payload" jsonb NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "write_off_notices_order_bill_unique" UNIQUE("order_id","bill_id"),
	CONSTRAINT "write_off_notices_state_valid" CHECK ("write_off_notices"."state" in ('pending', 'delivered')),
	CONSTRAINT "write_off_notices_delivered_consistent" CHECK (("write_off_notices"."state" = 'delivered') = ("write_off_notices"."delivered_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "provider_payment_url" text;--> statement-breakpoint
ALTER TABLE "payment_orders" ADD COLUMN "refunded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_notice_id_write_off_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."write_off_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_order_id_payment_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."payment_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_bill_id_bills_id_fk" FOREIGN KEY ("bill_id") REFERENCES "public"."bills"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_notice_idx" ON "webhook_deliveries" USING btree ("notice_id","attempted_at");--> statement-breakpoint
CREATE INDEX "write_off_notices_due_idx" ON "write_off_notices" USING btree ("state","next_attempt_at");