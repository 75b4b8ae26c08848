DROP INDEX time_entries_user_end;
