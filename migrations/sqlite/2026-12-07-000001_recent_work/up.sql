-- Each user's project/task combinations with the start of their latest
-- entry, kept by the database: the timer's quick starts ("recently worked
-- on") read a few rows of this table instead of walking the person's
-- latest entries until enough combinations turn up (two hundred rows for
-- someone who works on one project). Triggers keep it for every way an
-- entry comes, goes or changes (the application, a cascade, an
-- anonymisation), in the same transaction as the change. `task_key` is
-- the task's id, 0 for none, so that the key has no NULL in it.
--
-- A later migration that rebuilds `time_entries` (create, copy, drop,
-- rename) drops these triggers with the old table: it must create them
-- again, after copying the rows.
CREATE TABLE recent_work (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL,
    task_key INTEGER NOT NULL,
    last_start TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, project_id, task_key)
) WITHOUT ROWID;

CREATE INDEX recent_work_latest ON recent_work (user_id, last_start);

-- The latest start of one combination, found again when an entry of it
-- goes: one seek.
CREATE INDEX time_entries_user_work ON time_entries (user_id, project_id, task_id, start_time);

INSERT INTO recent_work (user_id, project_id, task_key, last_start)
SELECT user_id, project_id, coalesce(task_id, 0), max(start_time)
  FROM time_entries
 GROUP BY user_id, project_id, coalesce(task_id, 0);

CREATE TRIGGER recent_work_insert AFTER INSERT ON time_entries
BEGIN
    INSERT INTO recent_work (user_id, project_id, task_key, last_start)
    VALUES (NEW.user_id, NEW.project_id, coalesce(NEW.task_id, 0), NEW.start_time)
    ON CONFLICT (user_id, project_id, task_key)
    DO UPDATE SET last_start = max(last_start, excluded.last_start);
END;

CREATE TRIGGER recent_work_delete AFTER DELETE ON time_entries
BEGIN
    DELETE FROM recent_work
     WHERE user_id = OLD.user_id AND project_id = OLD.project_id
       AND task_key = coalesce(OLD.task_id, 0)
       AND NOT EXISTS (SELECT 1 FROM time_entries
                        WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                          AND task_id IS OLD.task_id);
    UPDATE recent_work
       SET last_start = (SELECT max(start_time) FROM time_entries
                          WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                            AND task_id IS OLD.task_id)
     WHERE user_id = OLD.user_id AND project_id = OLD.project_id
       AND task_key = coalesce(OLD.task_id, 0);
END;

-- A change of owner, project, task or start: the old combination as if its
-- entry went, the new one as if it came.
CREATE TRIGGER recent_work_update AFTER UPDATE OF user_id, project_id, task_id, start_time
ON time_entries
WHEN OLD.user_id IS NOT NEW.user_id OR OLD.project_id IS NOT NEW.project_id
  OR OLD.task_id IS NOT NEW.task_id OR OLD.start_time IS NOT NEW.start_time
BEGIN
    DELETE FROM recent_work
     WHERE user_id = OLD.user_id AND project_id = OLD.project_id
       AND task_key = coalesce(OLD.task_id, 0)
       AND NOT EXISTS (SELECT 1 FROM time_entries
                        WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                          AND task_id IS OLD.task_id);
    UPDATE recent_work
       SET last_start = (SELECT max(start_time) FROM time_entries
                          WHERE user_id = OLD.user_id AND project_id = OLD.project_id
                            AND task_id IS OLD.task_id)
     WHERE user_id = OLD.user_id AND project_id = OLD.project_id
       AND task_key = coalesce(OLD.task_id, 0);
    INSERT INTO recent_work (user_id, project_id, task_key, last_start)
    VALUES (NEW.user_id, NEW.project_id, coalesce(NEW.task_id, 0), NEW.start_time)
    ON CONFLICT (user_id, project_id, task_key)
    DO UPDATE SET last_start = max(last_start, excluded.last_start);
END;
