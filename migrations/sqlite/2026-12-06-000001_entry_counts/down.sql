DROP TRIGGER time_entries_count_move;
DROP TRIGGER time_entries_count_delete;
DROP TRIGGER time_entries_count_insert;
ALTER TABLE users DROP COLUMN entry_count;
