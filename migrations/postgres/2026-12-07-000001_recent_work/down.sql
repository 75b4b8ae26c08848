DROP TRIGGER recent_work_move ON time_entries;
DROP TRIGGER recent_work_keep ON time_entries;
DROP FUNCTION recent_work_keep();
DROP INDEX time_entries_user_work;
DROP TABLE recent_work;
