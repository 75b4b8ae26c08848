DROP INDEX users_email_any_case;
DROP INDEX users_username_any_case;
ALTER TABLE users DROP COLUMN week_start;
ALTER TABLE users DROP COLUMN time_zone;
