-- Browser sessions live on the server: the cookie carries only a random
-- key, of which the database keeps the SHA-256. Logging out, changing a
-- password, deactivating or deleting an account deletes the rows, so a
-- copied cookie dies with them — on every replica at once.
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    browser TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- An administrator's reset makes the user choose a new password at the
-- next sign-in.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- API tokens are named, may expire, and remember (to the minute) when they
-- were last used.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT 'API token';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
