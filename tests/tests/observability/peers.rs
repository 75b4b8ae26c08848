//! Real third-party peers (promtool, a Prometheus server): found on `PATH`,
//! skipped loudly when missing — except under `CI=true`, where a missing
//! peer fails the test.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tt_tests::session::percent_encode;

pub use tt_testkit::{free_port, in_ci, require_tool};

/// A child process killed when dropped.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Prometheus server on loopback scraping `target` (`host:port`) every
/// second, with `bearer` as the scrape credential if given.
pub struct Prometheus {
    pub base: String,
    _child: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    pub fn start(binary: &std::path::Path, target: &str, bearer: Option<&str>) -> Self {
        Self::start_many(binary, &[target], bearer)
    }

    /// A Prometheus server scraping every one of `targets` (static targets
    /// of one job, as for replicas).
    pub fn start_many(binary: &std::path::Path, targets: &[&str], bearer: Option<&str>) -> Self {
        let target = targets.join("', '");
        let dir = tempfile::tempdir().expect("prometheus dir");
        let auth = bearer
            .map(|t| format!("    authorization:\n      type: Bearer\n      credentials: {t}\n"))
            .unwrap_or_default();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: timetracker\n    metrics_path: /metrics\n{auth}\
             \x20   static_configs:\n      - targets: ['{target}']\n"
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write prometheus.yml");
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start prometheus");
        Prometheus {
            base: format!("http://127.0.0.1:{port}"),
            _child: ChildGuard(child),
            _dir: dir,
        }
    }

    /// Runs an instant query until it returns at least one sample or
    /// `timeout` passes; returns the result vector.
    pub fn query_until_found(&self, query: &str, timeout: Duration) -> Vec<serde_json::Value> {
        self.query_until(query, 1, timeout)
    }

    /// Asks Prometheus until `query` returns at least `series` series (a
    /// target restarted on a new port is scraped a little later).
    pub fn query_until(
        &self,
        query: &str,
        series: usize,
        timeout: Duration,
    ) -> Vec<serde_json::Value> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client");
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        while Instant::now() < deadline {
            let resp = client
                .get(format!(
                    "{}/api/v1/query?query={}",
                    self.base,
                    percent_encode(query)
                ))
                .send();
            if let Ok(resp) = resp {
                let body: serde_json::Value = resp.json().unwrap_or_default();
                if let Some(result) = body["data"]["result"]
                    .as_array()
                    .filter(|r| r.len() >= series)
                {
                    return result.clone();
                }
                last = body.to_string();
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("Prometheus never returned {series} series for {query}; last answer: {last}");
    }
}

/// A running Bugsink (Sentry-compatible server) announced by
/// `.ci/peers/bugsink-start` through `TT_BUGSINK_URL`, `TT_BUGSINK_DSN` and
/// `TT_BUGSINK_TOKEN`.
pub struct Bugsink {
    pub url: String,
    pub dsn: String,
    pub token: String,
}

impl Bugsink {
    /// The announced server, or `None` after a loud skip (a panic under CI).
    pub fn from_env() -> Option<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        match (
            var("TT_BUGSINK_URL"),
            var("TT_BUGSINK_DSN"),
            var("TT_BUGSINK_TOKEN"),
        ) {
            (Some(url), Some(dsn), Some(token)) => Some(Bugsink { url, dsn, token }),
            _ => {
                assert!(
                    !in_ci(),
                    "CI=true but no Bugsink is announced (run .ci/peers/bugsink-start and source target/peers/bugsink.env)"
                );
                eprintln!(
                    "\n*** SKIPPED: real Sentry-compatible server test (run .ci/peers/bugsink-start, then `set -a; . target/peers/bugsink.env`) ***\n"
                );
                None
            }
        }
    }

    /// The project id, the last path segment of the DSN.
    pub fn project(&self) -> String {
        self.dsn.rsplit('/').next().unwrap_or_default().to_owned()
    }

    /// GETs a path of Bugsink's canonical API.
    pub fn api(&self, path: &str) -> serde_json::Value {
        reqwest::blocking::Client::new()
            .get(format!("{}/api/canonical/0/{path}", self.url))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(10))
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("Bugsink API {path}: {e}"))
    }
}
