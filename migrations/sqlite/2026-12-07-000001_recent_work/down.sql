DROP TRIGGER recent_work_update;
DROP TRIGGER recent_work_delete;
DROP TRIGGER recent_work_insert;
DROP INDEX time_entries_user_work;
DROP TABLE recent_work;
