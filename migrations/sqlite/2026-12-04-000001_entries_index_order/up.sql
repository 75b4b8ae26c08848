-- Lists show a user's entries newest first, ties broken by id. With the id
-- right after the start in the index, the index is already in that order:
-- the first page, the latest entries and the recent work stop after the
-- rows they show instead of sorting every entry that shares a start. The
-- other columns keep the totals and counts on the index alone. Replaces
-- the index on (user_id, start_time, end_time, project_id, task_id).
CREATE INDEX time_entries_user_order
    ON time_entries (user_id, start_time, id, end_time, project_id, task_id);
DROP INDEX time_entries_user_start_cover;
