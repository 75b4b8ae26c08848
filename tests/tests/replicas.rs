//! Replicas of the real binary as an operator runs them: stopped with
//! SIGTERM while requests are in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "replicas/drain.rs"]
mod drain;
