//! Every black-box suite of the application, in one test binary (one link
//! of the whole application instead of one per suite). Each module is a
//! suite; run one with a filter, e.g. `cargo test -p tt-tests --test
//! black_box web_ui::`.

mod browser;
mod deploy_config;
mod docs;
mod observability;
mod replicas;
mod setup_privacy;
mod suite;
mod telemetry_e2e;
mod web_ui;
