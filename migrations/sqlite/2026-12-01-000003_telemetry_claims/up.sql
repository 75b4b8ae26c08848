-- Which process of an installation sends what, when several share this
-- database (replicas) or one restarts: a heartbeat is claimed once per
-- interval, first_seen by one holder at a time, by compare-and-set here.
CREATE TABLE telemetry_claims (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    claimed_at TIMESTAMP NOT NULL
);
