ALTER TABLE "audit_log" ALTER COLUMN "seq" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "seq" DROP NOT NULL;--> statement-breakpoint
-- The audit chain is made when the entry's transaction commits (docs/decisions/032), not when the
-- entry is written: the chain's lock is then held only while the database commits, never while
-- the transaction waits for its client's next statement. Written by hand: drizzle-kit has no triggers.
-- On insert: the chain's fields are the database's, whatever the statement said.
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.seq := NULL;
  NEW.prev_hash := '';
  NEW.hash := '';
  RETURN NEW;
END $$;--> statement-breakpoint
-- At commit, for each entry in the order written: the next seq, the previous entry's hash, its own.
-- The lock is held to the end of the commit, so the chain's order is the order of commits.
CREATE FUNCTION audit_log_chain_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE entry audit_log; last_seq bigint; last_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(727150002);
  SELECT * INTO entry FROM audit_log WHERE id = NEW.id;
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
  entry.seq := coalesce(last_seq, 0) + 1;
  entry.prev_hash := coalesce(last_hash, repeat('0', 64));
  entry.hash := encode(sha256(convert_to(entry.prev_hash || audit_entry_text(entry), 'UTF8')), 'hex');
  PERFORM set_config('audit_log.chaining', 'on', true);
  UPDATE audit_log SET seq = entry.seq, prev_hash = entry.prev_hash, hash = entry.hash WHERE id = NEW.id;
  PERFORM set_config('audit_log.chaining', 'off', true);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE CONSTRAINT TRIGGER audit_log_chain_at_commit AFTER INSERT ON audit_log DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_log_chain_at_commit();--> statement-breakpoint
-- Still append-only: the one update allowed is the chaining of an entry not yet chained (inside the
-- transaction writing it), its own fields untouched. A chained entry can never be changed.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- OLD and NEW exist only for an UPDATE of a row (not for DELETE, not for TRUNCATE's statement trigger).
  IF TG_OP = 'UPDATE' THEN
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND current_setting('audit_log.chaining', true) = 'on'
       AND (NEW.id, NEW.occurred_at, NEW.actor_type, NEW.actor_id, NEW.action, NEW.target_type, NEW.target_id, NEW.request_id, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.occurred_at, OLD.actor_type, OLD.actor_id, OLD.action, OLD.target_type, OLD.target_id, OLD.request_id, OLD.details) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
