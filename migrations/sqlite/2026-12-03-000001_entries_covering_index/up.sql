-- The dashboard's day and week totals, the entry count and the recent
-- project/task choices read only these columns of a user's entries, in
-- start order: an index holding them all answers without visiting a row.
-- It replaces the index on (user_id, start_time), which it extends.
CREATE INDEX time_entries_user_start_cover
    ON time_entries (user_id, start_time, end_time, project_id, task_id);
DROP INDEX time_entries_user_start;
