DROP TRIGGER time_entries_count_move ON time_entries;
DROP TRIGGER time_entries_count ON time_entries;
DROP FUNCTION time_entries_count();
ALTER TABLE users DROP COLUMN entry_count;
