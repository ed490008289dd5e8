ALTER TABLE "write_off_notices" DROP CONSTRAINT "write_off_notices_order_bill_unique";--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD COLUMN "kind" text DEFAULT 'bill.paid' NOT NULL;--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_order_bill_kind_unique" UNIQUE("order_id","bill_id","kind");--> statement-breakpoint
ALTER TABLE "write_off_notices" ADD CONSTRAINT "write_off_notices_kind_valid" CHECK ("write_off_notices"."kind" in ('bill.paid', 'bill.payment_refunded'));