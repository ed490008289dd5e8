CREATE TABLE "case_change_feeds" (
	"feed" text PRIMARY KEY NOT NULL,
	"cursor" text NOT NULL,
	"read_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bills" DROP CONSTRAINT "bills_source_valid";--> statement-breakpoint
ALTER TABLE "email_opt_outs" DROP CONSTRAINT "email_opt_outs_kind_valid";--> statement-breakpoint
ALTER TABLE "email_outbox" DROP CONSTRAINT "email_outbox_kind_valid";--> statement-breakpoint
ALTER TABLE "lookup_tallies" DROP CONSTRAINT "lookup_tallies_way_valid";--> statement-breakpoint
ALTER TABLE "members" DROP CONSTRAINT "members_email_kinds_valid";--> statement-breakpoint
ALTER TABLE "payment_orders" DROP CONSTRAINT "payment_orders_entry_channel_valid";--> statement-breakpoint
ALTER TABLE "members" ALTER COLUMN "email_kinds" SET DEFAULT '{receipt,refund_notice,code_reminder,due_reminder,overdue_reminder,case_status}'::text[];--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "case_applicant_digest" text;--> statement-breakpoint
CREATE INDEX "members_case_applicant_digest_idx" ON "members" USING btree ("case_applicant_digest");--> statement-breakpoint
ALTER TABLE "bills" ADD CONSTRAINT "bills_source_valid" CHECK ("bills"."source" in ('water', 'power', 'parking', 'ecounter'));--> statement-breakpoint
ALTER TABLE "email_opt_outs" ADD CONSTRAINT "email_opt_outs_kind_valid" CHECK ("email_opt_outs"."kind" in ('receipt', 'refund_notice', 'code_reminder', 'due_reminder', 'overdue_reminder', 'contact_reply', 'case_status'));--> statement-breakpoint
ALTER TABLE "email_outbox" ADD CONSTRAINT "email_outbox_kind_valid" CHECK ("email_outbox"."kind" in ('receipt', 'refund_notice', 'code_reminder', 'due_reminder', 'overdue_reminder', 'contact_reply', 'case_status'));--> statement-breakpoint
ALTER TABLE "lookup_tallies" ADD CONSTRAINT "lookup_tallies_way_valid" CHECK ("lookup_tallies"."way" in ('lookup', 'qr_link', 'scan', 'case_query'));--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_case_applicant_digest_format" CHECK ("members"."case_applicant_digest" ~ '^[0-9a-f]{64}$');--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_case_applicant_needs_verified" CHECK ("members"."case_applicant_digest" is null or "members"."identity_verified");--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_email_kinds_valid" CHECK ("members"."email_kinds" <@ array['receipt', 'refund_notice', 'code_reminder', 'due_reminder', 'overdue_reminder', 'case_status']::text[]);--> statement-breakpoint
ALTER TABLE "payment_orders" ADD CONSTRAINT "payment_orders_entry_channel_valid" CHECK ("payment_orders"."entry_channel" in ('lookup', 'qr_link', 'scan', 'member', 'case'));