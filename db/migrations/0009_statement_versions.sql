ALTER TABLE "agency_statements" DROP CONSTRAINT "agency_statements_agency_day_unique";--> statement-breakpoint
ALTER TABLE "agency_statements" ADD COLUMN "reconciliation" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "agency_statements" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "agency_statements" ADD COLUMN "superseded_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "agency_statements_current_unique" ON "agency_statements" USING btree ("agency_code","business_date") WHERE "agency_statements"."superseded_at" is null;--> statement-breakpoint
CREATE INDEX "payment_orders_paid_idx" ON "payment_orders" USING btree ("paid_at");--> statement-breakpoint
ALTER TABLE "agency_statements" ADD CONSTRAINT "agency_statements_agency_day_version_unique" UNIQUE("agency_code","business_date","version");--> statement-breakpoint
ALTER TABLE "agency_statements" ADD CONSTRAINT "agency_statements_version_positive" CHECK ("agency_statements"."version" >= 1);--> statement-breakpoint
ALTER TABLE "agency_statements" ADD CONSTRAINT "agency_statements_sha256_format" CHECK ("agency_statements"."sha256" ~ '^[0-9a-f]{64}$');