-- Every move of the configuration revision notifies the channel
-- certgate_revision, delivered when the moving transaction commits, so
-- that gateways listening reload at once instead of at their next poll.
CREATE FUNCTION certgate_revision_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('certgate_revision', NEW.n::text);
    RETURN NEW;
END;
$$;

CREATE TRIGGER config_revision_notify AFTER UPDATE ON config_revision
    FOR EACH ROW EXECUTE FUNCTION certgate_revision_notify();
