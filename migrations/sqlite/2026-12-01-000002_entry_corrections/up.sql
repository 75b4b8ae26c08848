-- Who last changed an entry and when: an administrator correcting an
-- employee's time is recorded on the entry (and shown beside it). Deleting
-- the user who corrected clears it (in the deletion itself: a column added
-- here cannot carry a foreign key SQLite could drop again).
ALTER TABLE time_entries ADD COLUMN updated_by INTEGER;
ALTER TABLE time_entries ADD COLUMN updated_at TIMESTAMP;
