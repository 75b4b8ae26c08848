//! tt-telemetry's integration tests, in one binary, against a real OTLP
//! receiver and a catalog of test events declared as any application would
//! (`common`). Tests that install process-wide state run in a child process
//! of their own (`common::run_isolated`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod consent_and_privacy;
mod faults;
mod local_log;
mod metrics;
mod otel_env;
mod transport_and_modes;
