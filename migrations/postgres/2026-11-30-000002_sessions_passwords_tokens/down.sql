ALTER TABLE api_tokens DROP COLUMN last_used_at;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE api_tokens DROP COLUMN name;
ALTER TABLE users DROP COLUMN must_change_password;
DROP TABLE sessions;
