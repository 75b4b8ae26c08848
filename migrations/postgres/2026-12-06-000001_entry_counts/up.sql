-- How many entries each user has, kept by the database itself: a person's
-- entry list says how many there are in all (`X-Total-Count`), and
-- counting their rows cost a walk over their whole history on every
-- request. Triggers keep the number for every way an entry comes, goes or
-- changes hands (the application, a cascade, an anonymisation), in the
-- same transaction as the change; the row update locks the user's row,
-- which every change of a user's entries locks first
-- (`locks::user_timeline`).
--
-- No entry may change while the counts are taken (a replica still running
-- the previous version keeps writing during a rolling upgrade): the locks
-- wait for writers in flight and hold new ones until this commits. Users
-- first, as those writers lock them, so that neither waits on the other
-- crosswise.
LOCK TABLE users IN ACCESS EXCLUSIVE MODE;
LOCK TABLE time_entries IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE users ADD COLUMN entry_count BIGINT NOT NULL DEFAULT 0;

UPDATE users
   SET entry_count = (SELECT count(*) FROM time_entries WHERE time_entries.user_id = users.id);

-- The schema search path is fixed when the function is created, so that a
-- session with another one (an operator's psql) updates the same table.
CREATE FUNCTION time_entries_count() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE users SET entry_count = entry_count - 1 WHERE id = OLD.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE users SET entry_count = entry_count + 1 WHERE id = NEW.user_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER time_entries_count AFTER INSERT OR DELETE ON time_entries
    FOR EACH ROW EXECUTE FUNCTION time_entries_count();

CREATE TRIGGER time_entries_count_move AFTER UPDATE OF user_id ON time_entries
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION time_entries_count();
