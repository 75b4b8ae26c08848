//! Black-box suites against the real application on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod bad_input;
mod concurrency;
mod consent;
mod csv_exports;
mod daily_use;
mod files;
mod invoice_documents;
mod invoices;
mod messages;
mod migrations;
mod openapi;
mod privacy_rights;
mod reports;
mod sessions;
mod surfaces;
mod time_zones;
