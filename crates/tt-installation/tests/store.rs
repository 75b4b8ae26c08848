//! tt-installation's integration tests, in one binary: the store's
//! behaviour (`installation`), unreadable files (`corrupt_files`) and
//! writers killed mid-save (`crash_safety`, which re-runs this binary as
//! the writer).

mod corrupt_files;
mod crash_safety;
mod installation;
