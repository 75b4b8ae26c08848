-- Whether new times overlap a user's entries is asked of the entries that
-- end after the new start (and of the running one), in the order they
-- end: with this index that reads only those, where the start-ordered
-- index read the user's whole history before the new start.
CREATE INDEX time_entries_user_end
    ON time_entries (user_id, end_time, start_time);
