//! tt-persistence's own tests, on real databases: connections and readers
//! (SQLite), and the schema's invariants and the transactions the
//! application relies on, on SQLite and PostgreSQL.

#![allow(clippy::expect_used, reason = "a failed expectation is a failed test")]

mod connections;
mod invariants;
mod reads;
