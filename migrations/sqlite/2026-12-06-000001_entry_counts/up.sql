-- How many entries each user has, kept by the database itself: a person's
-- entry list says how many there are in all (`X-Total-Count`), and
-- counting their rows cost a walk over their whole history on every
-- request. Triggers keep the number for every way an entry comes, goes or
-- changes hands (the application, a cascade, an anonymisation), in the
-- same transaction as the change.
--
-- A later migration that rebuilds `time_entries` (create, copy, drop,
-- rename) drops these triggers with the old table: it must create them
-- again, after copying the rows.
ALTER TABLE users ADD COLUMN entry_count BIGINT NOT NULL DEFAULT 0;

UPDATE users
   SET entry_count = (SELECT count(*) FROM time_entries WHERE time_entries.user_id = users.id);

CREATE TRIGGER time_entries_count_insert AFTER INSERT ON time_entries
BEGIN
    UPDATE users SET entry_count = entry_count + 1 WHERE id = NEW.user_id;
END;

CREATE TRIGGER time_entries_count_delete AFTER DELETE ON time_entries
BEGIN
    UPDATE users SET entry_count = entry_count - 1 WHERE id = OLD.user_id;
END;

CREATE TRIGGER time_entries_count_move AFTER UPDATE OF user_id ON time_entries
WHEN NEW.user_id <> OLD.user_id
BEGIN
    UPDATE users SET entry_count = entry_count - 1 WHERE id = OLD.user_id;
    UPDATE users SET entry_count = entry_count + 1 WHERE id = NEW.user_id;
END;
