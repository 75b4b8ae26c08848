-- Each person reads and types times in their own IANA time zone, with
-- weeks starting on their chosen day. NULL: the installation's default.
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE users ADD COLUMN week_start TEXT;

-- Usernames are unique regardless of letter case, and so are e-mail
-- addresses. Accounts that differ only in case from an older account are
-- renamed to "<name>-renamed-<id>" (their password is unchanged); a repeated
-- e-mail address stays with the oldest account and is cleared on the
-- others. Login names are ASCII, so lower() agrees on both databases.
UPDATE users SET username = substr(username, 1, 40) || '-renamed-' || id
WHERE EXISTS (
    SELECT 1 FROM users AS older
    WHERE lower(older.username) = lower(users.username) AND older.id < users.id
);
CREATE UNIQUE INDEX users_username_any_case ON users (lower(username));

UPDATE users SET email = NULL
WHERE email IS NOT NULL AND EXISTS (
    SELECT 1 FROM users AS older
    WHERE lower(older.email) = lower(users.email) AND older.id < users.id
);
CREATE UNIQUE INDEX users_email_any_case ON users (lower(email));
