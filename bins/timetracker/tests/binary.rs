//! The real `timetracker` binary, run as an operator runs it: one test
//! binary for the command line (`cli`) and the telemetry commands and their
//! documents (`telemetry_cli`).

mod cli;
mod telemetry_cli;
