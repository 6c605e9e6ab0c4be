-- Custom migration: drizzle cannot express triggers. The audit tables are append-only by contract (the code has no
-- UPDATE path for them); this makes the database refuse any change too, so an audit row, once written, is what
-- happened. The one exception is retention: a transaction that sets gpuscope.audit_retention = 'on' (the
-- maintenance tick, for rows past retention.apiAuditDays) may DELETE. TRUNCATE and DROP are not row triggers.
CREATE FUNCTION gpuscope_reject_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('gpuscope.audit_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER action_audit_append_only BEFORE UPDATE OR DELETE ON action_audit
  FOR EACH ROW EXECUTE FUNCTION gpuscope_reject_audit_change();
--> statement-breakpoint
CREATE TRIGGER api_audit_append_only BEFORE UPDATE OR DELETE ON api_audit
  FOR EACH ROW EXECUTE FUNCTION gpuscope_reject_audit_change();
