-- Each user's project/task combinations with the start of their latest
-- entry, kept by the database: the timer's quick starts ("recently worked
-- on") read a few rows of this table instead of walking the person's
-- latest entries until enough combinations turn up (two hundred rows for
-- someone who works on one project). Triggers keep it for every way an
-- entry comes, goes or changes (the application, a cascade, an
-- anonymisation), in the same transaction as the change. `task_key` is
-- the task's id, 0 for none, so that the key has no NULL in it.
--
-- Under READ COMMITTED two transactions may remove entries of one
-- combination at once: each locks the combination's row and reads its
-- start before it looks for the latest remaining entry, and that look, a
-- statement of its own, sees what the other committed. Adding an entry is
-- an upsert that keeps the later start. The row is locked after the entry
-- (and after the owner's user row, which the application locks first).
--
-- No entry may change while the table is filled (a replica still running
-- the previous version keeps writing during a rolling upgrade): users
-- first, as those writers lock them (`SELECT … FOR UPDATE`, which this
-- mode blocks; plain reads go on), then the entries.
LOCK TABLE users IN EXCLUSIVE MODE;
LOCK TABLE time_entries IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE recent_work (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id BIGINT NOT NULL,
    task_key BIGINT NOT NULL,
    last_start TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, project_id, task_key)
);

CREATE INDEX recent_work_latest ON recent_work (user_id, last_start);

-- The latest start of one combination, found again when an entry of it
-- goes: one seek.
CREATE INDEX time_entries_user_work ON time_entries (user_id, project_id, task_id, start_time);

INSERT INTO recent_work (user_id, project_id, task_key, last_start)
SELECT user_id, project_id, coalesce(task_id, 0), max(start_time)
  FROM time_entries
 GROUP BY user_id, project_id, coalesce(task_id, 0);

CREATE FUNCTION recent_work_keep() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    kept TIMESTAMP;
    latest TIMESTAMP;
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT last_start INTO kept FROM recent_work
         WHERE user_id = OLD.user_id AND project_id = OLD.project_id
           AND task_key = coalesce(OLD.task_id, 0)
           FOR UPDATE;
        -- Only the entry that holds the kept start changes it. A statement
        -- removing many entries of one combination (deleting a user) runs
        -- these triggers after all its rows are gone: one look finds none
        -- left and removes the row, and the other entries find no row.
        IF kept IS NOT NULL AND OLD.start_time >= kept THEN
            IF OLD.task_id IS NULL THEN
                SELECT max(start_time) INTO latest FROM time_entries
                 WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                   AND task_id IS NULL;
            ELSE
                SELECT max(start_time) INTO latest FROM time_entries
                 WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                   AND task_id = OLD.task_id;
            END IF;
            IF latest IS NULL THEN
                DELETE FROM recent_work
                 WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                   AND task_key = coalesce(OLD.task_id, 0);
            ELSE
                UPDATE recent_work SET last_start = latest
                 WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                   AND task_key = coalesce(OLD.task_id, 0);
            END IF;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- A start no later than the kept one writes nothing (many entries
        -- moved to one user in one statement leave one row version, not one
        -- per entry).
        INSERT INTO recent_work (user_id, project_id, task_key, last_start)
        VALUES (NEW.user_id, NEW.project_id, coalesce(NEW.task_id, 0), NEW.start_time)
        ON CONFLICT (user_id, project_id, task_key)
        DO UPDATE SET last_start = EXCLUDED.last_start
         WHERE recent_work.last_start < EXCLUDED.last_start;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER recent_work_keep AFTER INSERT OR DELETE ON time_entries
    FOR EACH ROW EXECUTE FUNCTION recent_work_keep();

-- A change of owner, project, task or start: the old combination as if its
-- entry went, the new one as if it came.
CREATE TRIGGER recent_work_move AFTER UPDATE OF user_id, project_id, task_id, start_time
    ON time_entries
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id
                       OR OLD.project_id IS DISTINCT FROM NEW.project_id
                       OR OLD.task_id IS DISTINCT FROM NEW.task_id
                       OR OLD.start_time IS DISTINCT FROM NEW.start_time)
    EXECUTE FUNCTION recent_work_keep();
