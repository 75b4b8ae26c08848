ALTER TABLE time_entries DROP COLUMN updated_at;
ALTER TABLE time_entries DROP COLUMN updated_by;
