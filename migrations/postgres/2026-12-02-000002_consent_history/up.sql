-- Every change of a telemetry consent level: who, when, from what to what,
-- and through which surface (setup, admin page, API, command line, a
-- deployment setting). Kept durably; never updated.
CREATE TABLE consent_changes (
    id BIGSERIAL PRIMARY KEY,
    changed_at TIMESTAMP NOT NULL,
    level TEXT NOT NULL,
    -- NULL: no choice had been made before.
    from_granted BOOLEAN,
    to_granted BOOLEAN NOT NULL,
    surface TEXT NOT NULL,
    -- The account that made the change; NULL for a deployment setting.
    actor_user_id BIGINT,
    -- Who, as recorded at the time (user:7, setup-cli, DO_NOT_TRACK=1).
    actor TEXT NOT NULL
);
CREATE INDEX consent_changes_actor ON consent_changes (actor_user_id);
CREATE INDEX consent_changes_level ON consent_changes (level, id);
