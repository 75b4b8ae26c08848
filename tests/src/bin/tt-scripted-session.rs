//! Runs the scripted session of every tracked action against a running
//! TimeTracker, for checks that drive the real binary (`.ci/otelsink-check`).
//!
//! ```text
//! tt-scripted-session --run RUN --print-admin       # admin username, password
//! tt-scripted-session --run RUN --print-canaries    # one canary per line
//! tt-scripted-session --run RUN --base http://127.0.0.1:8080
//!                                                   # the session; prints the
//!                                                   # events it should emit
//! ```
//!
//! The administrator (`--print-admin`) must exist before the session runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;

use tt_tests::session::{Canaries, scripted_session};

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(run) = value("--run") else {
        eprintln!(
            "usage: tt-scripted-session --run RUN (--print-admin | --print-canaries | --base URL)"
        );
        return ExitCode::FAILURE;
    };
    let canaries = Canaries::with_run(&run);
    if args.iter().any(|a| a == "--print-admin") {
        println!("{}", canaries.admin());
        println!("{}", canaries.admin_password());
    } else if args.iter().any(|a| a == "--print-canaries") {
        for c in canaries.all() {
            println!("{c}");
        }
    } else if let Some(base) = value("--base") {
        let report = scripted_session(&base, &canaries);
        for event in &report.events {
            println!("{event}");
        }
        eprintln!(
            "scripted session done: {} event kinds, {} page templates",
            report.events.len(),
            report.pages.len()
        );
    } else {
        eprintln!("nothing to do: give --print-admin, --print-canaries or --base URL");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
