//! Replicas of the real binary as an operator runs them: stopped with
//! SIGTERM while requests are in flight, and three of them behind nginx on
//! one PostgreSQL database, stopped and killed under load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "replicas/cluster.rs"]
mod cluster;
#[path = "replicas/drain.rs"]
mod drain;
use super::observability::peers;
