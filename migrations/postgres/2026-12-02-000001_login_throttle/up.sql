-- Login throttling shared by every replica on this database: one row per
-- throttled key (a SHA-256 of the client address, or of the username and
-- the address; never the plain values), holding the instant the key's
-- allowance is used up to (the theoretical arrival time of the generic
-- cell rate algorithm), in milliseconds since the epoch. A row whose
-- instant has passed has fully recovered and may be deleted.
CREATE TABLE login_throttle (
    bucket TEXT PRIMARY KEY,
    used_until_ms BIGINT NOT NULL
);
CREATE INDEX login_throttle_used_until ON login_throttle (used_until_ms);
