CREATE INDEX time_entries_user_start_cover
    ON time_entries (user_id, start_time, end_time, project_id, task_id);
DROP INDEX time_entries_user_order;
