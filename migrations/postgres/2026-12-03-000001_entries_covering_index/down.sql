CREATE INDEX time_entries_user_start ON time_entries (user_id, start_time);
DROP INDEX time_entries_user_start_cover;
