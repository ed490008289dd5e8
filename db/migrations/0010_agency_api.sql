CREATE TABLE "agency_api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"agency_code" text NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"secret_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" uuid,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "agency_api_keys_id_format" CHECK ("agency_api_keys"."id" ~ '^[a-z][a-z0-9-]{1,31}[.][a-z2-7]{16}$'),
	CONSTRAINT "agency_api_keys_label_length" CHECK (char_length("agency_api_keys"."label") <= 60)
);
--> statement-breakpoint
CREATE TABLE "agency_api_nonces" (
	"key_id" text NOT NULL,
	"nonce" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "agency_api_nonces_key_id_nonce_pk" PRIMARY KEY("key_id","nonce")
);
--> statement-breakpoint
CREATE TABLE "agency_webhook_endpoints" (
	"agency_code" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" uuid,
	CONSTRAINT "agency_webhook_endpoints_url_http" CHECK ("agency_webhook_endpoints"."url" ~ '^https?://')
);
--> statement-breakpoint
CREATE TABLE "agency_webhook_secrets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"agency_code" text NOT NULL,
	"secret_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" uuid,
	"retires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "lookup_tallies" (
	"day" date NOT NULL,
	"way" text NOT NULL,
	"bill_type_code" text DEFAULT '' NOT NULL,
	"outcome" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "lookup_tallies_day_way_bill_type_code_outcome_pk" PRIMARY KEY("day","way","bill_type_code","outcome"),
	CONSTRAINT "lookup_tallies_way_valid" CHECK ("lookup_tallies"."way" in ('lookup', 'qr_link', 'scan')),
	CONSTRAINT "lookup_tallies_outcome_format" CHECK ("lookup_tallies"."outcome" ~ '^[a-z_]{1,40}$'),
	CONSTRAINT "lookup_tallies_count_positive" CHECK ("lookup_tallies"."count" > 0)
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ALTER COLUMN "notice_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "agencies" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "bill_types" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "agency_code" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "kind" text DEFAULT 'notice' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "requested_by" uuid;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD COLUMN "feed_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "agency_api_keys" ADD CONSTRAINT "agency_api_keys_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_api_keys" ADD CONSTRAINT "agency_api_keys_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_api_nonces" ADD CONSTRAINT "agency_api_nonces_key_id_agency_api_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."agency_api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_webhook_endpoints" ADD CONSTRAINT "agency_webhook_endpoints_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_webhook_endpoints" ADD CONSTRAINT "agency_webhook_endpoints_updated_by_staff_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_webhook_secrets" ADD CONSTRAINT "agency_webhook_secrets_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agency_webhook_secrets" ADD CONSTRAINT "agency_webhook_secrets_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agency_api_keys_agency_idx" ON "agency_api_keys" USING btree ("agency_code");--> statement-breakpoint
CREATE INDEX "agency_api_nonces_expires_idx" ON "agency_api_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "agency_webhook_secrets_agency_idx" ON "agency_webhook_secrets" USING btree ("agency_code","created_at");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_agency_code_agencies_code_fk" FOREIGN KEY ("agency_code") REFERENCES "public"."agencies"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_requested_by_staff_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_agency_idx" ON "webhook_deliveries" USING btree ("agency_code","attempted_at");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_kind_valid" CHECK ("webhook_deliveries"."kind" in ('notice', 'redelivery', 'ping'));--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_ping_has_no_notice" CHECK (("webhook_deliveries"."kind" = 'ping') = ("webhook_deliveries"."notice_id" is null));--> statement-breakpoint
-- Written by hand: drizzle-kit has no triggers. Earlier deliveries name their notice's agency.
UPDATE "webhook_deliveries" d SET "agency_code" = n."agency_code" FROM "write_off_notices" n WHERE n."id" = d."notice_id";--> statement-breakpoint
-- Earlier notices enter the feed in the order they were written.
UPDATE "write_off_notices" n SET "feed_seq" = numbered.seq
FROM (SELECT "id", row_number() OVER (PARTITION BY "agency_code" ORDER BY "created_at", "id") AS seq FROM "write_off_notices") numbered
WHERE numbered."id" = n."id";--> statement-breakpoint
-- Each notice is numbered under a lock on its agency held to the end of its
-- transaction: the feed's order is the order of commits, so a cursor never
-- skips a notice that committed late.
CREATE FUNCTION write_off_notices_feed_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(727150003, hashtext(NEW.agency_code));
  SELECT coalesce(max(feed_seq), 0) + 1 INTO NEW.feed_seq FROM write_off_notices WHERE agency_code = NEW.agency_code;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER write_off_notices_feed_seq BEFORE INSERT ON write_off_notices FOR EACH ROW EXECUTE FUNCTION write_off_notices_feed_seq();--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_agency_feed_seq_unique" UNIQUE("agency_code","feed_seq");
