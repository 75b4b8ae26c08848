//! Test support shared by every suite of the workspace, written once:
//!
//! - [`in_ci`]: whether this run is CI's, where nothing may be skipped;
//! - [`postgres_base_url`] and [`PgDatabase`]: a throw-away PostgreSQL
//!   database per test, or a loud skip (a failure under CI);
//! - [`otlp`]: a real OTLP/HTTP receiver decoding every request;
//! - [`sentry`]: a Sentry envelope receiver keeping every body;
//! - [`http`]: the API client ([`http::Api`]) and the HTML-form browser
//!   ([`http::Browser`]) every suite uses;
//! - [`webdriver`]: a real-browser session (chromedriver over WebDriver);
//! - [`require_tool`], [`free_port`], [`eventually`].
//!
//! A dev-dependency only: no crate of the product depends on it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations,
    reason = "test support: a failed expectation is a failed test"
)]

pub mod http;
pub mod otlp;
pub mod sentry;
pub mod webdriver;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};

/// Whether this is a CI run (`CI=true` or `CI=1`): a test that needs a
/// peer fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The PostgreSQL server for tests (`TEST_DATABASE_URL`), or `None` after
/// a loud message when PostgreSQL tests should be skipped. Under CI, or
/// with `TT_REQUIRE_POSTGRES=1`, a missing URL fails instead.
pub fn postgres_base_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let required = in_ci() || std::env::var("TT_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "PostgreSQL is required here (CI or TT_REQUIRE_POSTGRES=1) but TEST_DATABASE_URL is not set"
            );
            eprintln!(
                "\n*** SKIPPED: PostgreSQL test (set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres to run it) ***\n"
            );
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A throw-away PostgreSQL database, dropped with this value.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl PgDatabase {
    /// Creates a uniquely named empty database on the server of
    /// `admin_url`.
    pub fn create(admin_url: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("tt_test_{}_{}_{}", std::process::id(), n, nanos);
        let mut conn = diesel::PgConnection::establish(admin_url).expect("connect to PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create db");
        let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        let url = url.to_string();
        PgDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url,
        }
    }

    /// A fresh database on `TEST_DATABASE_URL`'s server, or `None` after
    /// a loud skip (see [`postgres_base_url`]).
    pub fn try_create() -> Option<Self> {
        postgres_base_url().map(|url| Self::create(&url))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// The path of `tool`, or `None` after a loud skip message (a panic under
/// CI).
pub fn require_tool(tool: &str, install: &str, what: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            !in_ci(),
            "CI=true but `{tool}` is missing ({install}); {what} cannot run"
        );
        eprintln!("\n*** SKIPPED: {what} ({tool} not found; {install}) ***\n");
    }
    found
}

/// A free loopback port (bound, read back and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Polls `f` every 10 ms until it is true (`true`) or `timeout` passes
/// (`false`).
pub fn eventually(timeout: Duration, f: impl Fn() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Rows of `recent_work` that differ from the combinations and latest
/// starts in `time_entries` (missing, extra, another start), on either
/// backend: a query with one column `n`.
pub const RECENT_WORK_DIFF: &str = "SELECT CAST(\
     (SELECT count(*) FROM (SELECT user_id, project_id, coalesce(task_id, 0), max(start_time) \
        FROM time_entries GROUP BY user_id, project_id, coalesce(task_id, 0) \
      EXCEPT SELECT user_id, project_id, task_key, last_start FROM recent_work) AS missing) + \
     (SELECT count(*) FROM (SELECT user_id, project_id, task_key, last_start FROM recent_work \
      EXCEPT SELECT user_id, project_id, coalesce(task_id, 0), max(start_time) \
        FROM time_entries GROUP BY user_id, project_id, coalesce(task_id, 0)) AS extra) \
     AS BIGINT) AS n";
