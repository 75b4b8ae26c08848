-- Who last changed an entry and when: an administrator correcting an
-- employee's time is recorded on the entry (and shown beside it).
ALTER TABLE time_entries ADD COLUMN updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE time_entries ADD COLUMN updated_at TIMESTAMP;
