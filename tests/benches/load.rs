//! The load benchmark behind `just bench`: the real release binary, real
//! data, `wrk` on loopback, every comparison side by side in one run.
//!
//! Sections (all by default; name some to run only those):
//! - `footprint`: binary size, exec → first 200 on `/readyz` on a fresh
//!   SQLite data directory, idle RSS;
//! - `overhead`: a realistic request mix against the same binary and data
//!   with everything off, with logs + metrics, with everything on
//!   (detailed analytics to a healthy loopback OTLP receiver, also with
//!   operator tracing), and with the sink refusing connections, answering
//!   503 and never answering — interleaved over several rounds, medians
//!   compared;
//! - `ceiling`: each endpoint against a minimal actix-web handler in the same
//!   run;
//! - `soak`: the mix for ten minutes against a sink that never answers,
//!   sampling the server's RSS;
//! - `consistency`: 50 concurrent clients for ten minutes on SQLite and on
//!   PostgreSQL; afterwards every time entry a client was told about must be
//!   in the database exactly once, and nothing else;
//! - `replicas` (PostgreSQL and nginx): one against three replicas behind
//!   the shipped nginx configuration (requests per second), failed requests
//!   while one replica is stopped (SIGTERM) and another killed (SIGKILL)
//!   under 50 clients (every acknowledged entry checked in the database),
//!   and how long a consent change takes to reach every replica.
//!
//!
//! Not run by default: `serve` (SQLite) and `serve-pg` (PostgreSQL) seed the
//! data, start one pinned server with everything on (healthy sink), print
//! the `wrk` command for each endpoint and the server's pid (for `perf`), and
//! wait until stdin closes — for profiling one endpoint by hand.
//!
//! `--quick` shortens every duration (the CI smoke run); the ratios it
//! prints are then only indicative, while the correctness checks (no 5xx,
//! no socket errors, the database check) still hold.
//!
//! Usage: `cargo bench -p tt-tests --bench load -- [--quick] [--bin PATH] [SECTION…]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Bool};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use serde_json::{Value, json};
use tt_testkit::otlp::{OtlpReceiver, Reply};
use tt_tests::session::Browser;

const MIX_LUA: &str = include_str!("load/mix.lua");
const PASSWORD: &str = "bench-password-123";

// ------------------------------------------------------------------ options

struct Opts {
    quick: bool,
    bin: PathBuf,
    sections: BTreeSet<String>,
    out_dir: PathBuf,
}

const SECTIONS: &[&str] = &[
    "footprint",
    "overhead",
    "ceiling",
    "soak",
    "consistency",
    "replicas",
];

impl Opts {
    fn parse() -> Opts {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        let mut quick = false;
        let mut bin = None;
        let mut sections = BTreeSet::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                // `cargo bench` passes `--bench`; `cargo test` passes nothing.
                "--bench" => {}
                "--quick" => quick = true,
                "--bin" => bin = Some(PathBuf::from(args.next().expect("--bin PATH"))),
                s if SECTIONS.contains(&s) || ["serve", "serve-pg", "train"].contains(&s) => {
                    sections.insert(s.to_owned());
                }
                other => panic!("unknown argument {other:?}; sections: {SECTIONS:?}"),
            }
        }
        if sections.is_empty() {
            sections = SECTIONS.iter().map(|s| (*s).to_owned()).collect();
        }
        let profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        let bin = bin
            .or_else(|| std::env::var_os("TT_BENCH_BIN").map(PathBuf::from))
            .unwrap_or_else(|| target.join(profile).join("timetracker"));
        assert!(
            bin.is_file(),
            "no server binary at {} — build it first (`cargo build --release -p timetracker`, or `just bench`)",
            bin.display()
        );
        Opts {
            quick,
            bin,
            sections,
            out_dir: target.join("bench"),
        }
    }

    fn runs(&self, section: &str) -> bool {
        self.sections.contains(section)
    }

    /// Seconds of each measured load run.
    fn run_secs(&self) -> u64 {
        if self.quick { 1 } else { 3 }
    }

    /// Interleaved rounds per comparison.
    fn rounds(&self) -> usize {
        if self.quick { 1 } else { 15 }
    }

    fn long_secs(&self) -> u64 {
        if self.quick { 15 } else { 600 }
    }
}

// ------------------------------------------------------------------ servers

use tt_testkit::free_port;

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    free_port()
}

/// One server process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(mut self) {
        // SIGTERM for a graceful stop (flushes logs and exporters).
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    /// A panic anywhere in the harness must not leave servers running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Resident set size of a process, in KiB (`VmRSS`, or `VmHWM` for the peak).
fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The CPU servers are pinned to and the CPU the load generator is pinned
/// to, when the machine has two or more: then the two never compete for a
/// core, and a server's throughput measures its own cost per request.
fn pinning() -> Option<(&'static str, &'static str)> {
    // Once the harness runs pinned, its own affinity shows one CPU.
    if std::env::var_os("TT_BENCH_PINNED").is_some() {
        return Some(("0", "1"));
    }
    let cpus = thread::available_parallelism().map_or(1, usize::from);
    (cpus >= 2 && Command::new("taskset").arg("-V").output().is_ok()).then_some(("0", "1"))
}

/// `program args…`, pinned to `cpu` when pinning is possible.
fn pinned(cpu: Option<&str>, program: &Path) -> Command {
    match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpu).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Waits until `base` answers 200 on `/readyz`.
fn wait_ready(probe: &reqwest::blocking::Client, base: &str, child: &mut Child, stderr: &Path) {
    let ready_url = format!("{base}/readyz");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(resp) = probe.get(&ready_url).send()
            && resp.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let err = std::fs::read_to_string(stderr).unwrap_or_default();
            panic!("the server exited ({status}) before it was ready:\n{err}");
        }
        assert!(Instant::now() < deadline, "the server never became ready");
        thread::sleep(Duration::from_millis(1));
    }
}

fn probe_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// Starts the binary with `env`, pinned to the server CPU, waits for
/// `/readyz` and returns it with the time from exec to the first 200. Its
/// standard error goes to `stderr.txt` beside its logs.
fn spawn_server(bin: &Path, env: &BTreeMap<String, String>) -> (Server, Duration) {
    let port = free_port();
    let log_dir = PathBuf::from(&env["LOG_DIR"]);
    std::fs::create_dir_all(&log_dir).unwrap();
    let stderr = log_dir.join("stderr.txt");
    // Built before the clock starts: only the server's start-up counts.
    let probe = probe_client();
    let started = Instant::now();
    let mut child = pinned(pinning().map(|p| p.0), bin)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .env("BIND_ADDR", "127.0.0.1")
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("start the server binary");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&probe, &base, &mut child, &stderr);
    (Server { child, base }, started.elapsed())
}

// ------------------------------------------------------------------ fixture

/// What a load run needs: a data directory with an installation that has
/// both consent levels granted (so only the deployment settings decide
/// what runs), users, a project, and each user's API token and session
/// cookie in the file `mix.lua` reads.
struct Fixture {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    users_file: PathBuf,
    script: PathBuf,
    users: Vec<BenchUser>,
    admin_token: String,
    project_id: i64,
}

#[derive(Clone)]
struct BenchUser {
    id: i64,
    token: String,
    cookie: String,
}

/// Which observability a server runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arm {
    /// No logs, no metrics, no telemetry.
    Off,
    /// JSON file logs and Prometheus metrics; telemetry off.
    LogsMetrics,
    /// Logs, metrics and detailed analytics to a sink behaving as given.
    AllOn(Sink),
    /// Everything, plus request spans to a healthy collector.
    AllOnTracing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sink {
    Healthy,
    Refused,
    Unavailable,
    Hanging,
}

impl Arm {
    fn label(self) -> &'static str {
        match self {
            Arm::Off => "everything off",
            Arm::LogsMetrics => "logs + metrics",
            Arm::AllOn(Sink::Healthy) => "everything on (healthy sink)",
            Arm::AllOnTracing => "everything on + operator tracing",
            Arm::AllOn(Sink::Refused) => "sink refuses connections",
            Arm::AllOn(Sink::Unavailable) => "sink answers 503",
            Arm::AllOn(Sink::Hanging) => "sink never answers",
        }
    }
}

/// A sink for one server run; the receiver (if any) lives as long as this.
struct SinkRun {
    url: String,
    receiver: Option<OtlpReceiver>,
}

fn sink(kind: Sink) -> SinkRun {
    let receiver = match kind {
        Sink::Refused => None,
        Sink::Healthy => Some(OtlpReceiver::start()),
        Sink::Unavailable => Some(OtlpReceiver::answering(Reply::Status(503))),
        Sink::Hanging => Some(OtlpReceiver::answering(Reply::Hang(Duration::from_secs(
            3600,
        )))),
    };
    let url = receiver.as_ref().map_or_else(
        || format!("http://127.0.0.1:{}", closed_port()),
        OtlpReceiver::url,
    );
    SinkRun { url, receiver }
}

/// Copies every file of `from` into a new directory `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

impl Fixture {
    /// A fresh copy `name` of the seeded data directory, so that every
    /// server starts from the same data. SQLite only; on PostgreSQL the one
    /// database is used as is.
    fn data_copy(&self, name: &str) -> PathBuf {
        let pristine = self.dir.path().join("data");
        if self.database_url.is_some() {
            return pristine;
        }
        let copy = self.dir.path().join("runs").join(name);
        let _ = std::fs::remove_dir_all(&copy);
        copy_dir(&pristine, &copy);
        copy
    }

    fn base_env(&self, logs: &str) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let d = self.dir.path();
        env.insert("DATA_DIR".into(), d.join("data").display().to_string());
        env.insert("LOG_DIR".into(), d.join(logs).display().to_string());
        env.insert("CONFIG_DIR".into(), d.join("config").display().to_string());
        env.insert("LOG_FORMAT".into(), "off".into());
        if let Some(url) = &self.database_url {
            env.insert("DATABASE_URL".into(), url.clone());
        }
        env
    }

    /// The settings of `arm`; the returned sink must outlive the server.
    fn env(
        &self,
        arm: Arm,
    ) -> (
        BTreeMap<String, String>,
        Option<SinkRun>,
        Option<OtlpReceiver>,
    ) {
        let mut env = self.base_env(&format!("logs-{arm:?}"));
        let on = |env: &mut BTreeMap<String, String>| {
            env.insert("LOG_LEVEL".into(), "info".into());
            env.insert("METRICS_ENABLED".into(), "true".into());
        };
        match arm {
            Arm::Off => {
                env.insert("LOG_LEVEL".into(), "off".into());
                env.insert("METRICS_ENABLED".into(), "false".into());
                env.insert("ENABLE_TELEMETRY".into(), "false".into());
                (env, None, None)
            }
            Arm::LogsMetrics => {
                on(&mut env);
                env.insert("ENABLE_TELEMETRY".into(), "false".into());
                (env, None, None)
            }
            Arm::AllOn(kind) => {
                on(&mut env);
                let s = sink(kind);
                env.insert("GRAFANA_OTLP_ENDPOINT".into(), s.url.clone());
                (env, Some(s), None)
            }
            Arm::AllOnTracing => {
                on(&mut env);
                let s = sink(Sink::Healthy);
                env.insert("GRAFANA_OTLP_ENDPOINT".into(), s.url.clone());
                let collector = OtlpReceiver::start();
                env.insert("OTEL_EXPORTER_OTLP_ENDPOINT".into(), collector.url());
                (env, Some(s), Some(collector))
            }
        }
    }

    /// Creates the installation (setup with both consents), `n` users with a
    /// token, a session and `history` finished entries each, and a project.
    fn create(opts: &Opts, database_url: Option<String>, n: usize, history: i64) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        let pw = dir.path().join("admin-password");
        std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
        let script = dir.path().join("mix.lua");
        std::fs::write(&script, MIX_LUA).unwrap();
        let mut fx = Fixture {
            users_file: dir.path().join("users.txt"),
            dir,
            database_url,
            script,
            users: Vec::new(),
            admin_token: String::new(),
            project_id: 0,
        };
        let mut env = fx.base_env("logs-setup");
        env.insert(
            "GRAFANA_OTLP_ENDPOINT".into(),
            format!("http://127.0.0.1:{}", closed_port()),
        );
        let out = Command::new(&opts.bin)
            .args(["setup", "--admin-username", "bench-admin"])
            .arg("--admin-password-file")
            .arg(&pw)
            .args(["--base-telemetry", "--detailed-analytics"])
            .env_clear()
            .envs(&env)
            .output()
            .expect("run setup");
        assert!(
            out.status.success(),
            "setup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        let (env, _sink, _) = fx.env(Arm::LogsMetrics);
        let (server, _) = spawn_server(&opts.bin, &env);
        let http = reqwest::blocking::Client::new();
        let login = |user: &str| -> (i64, String) {
            let body: Value = http
                .post(format!("{}/api/v1/auth/login", server.base))
                .json(&json!({"username": user, "password": PASSWORD}))
                .send()
                .unwrap()
                .json()
                .unwrap();
            (
                body["user"]["id"].as_i64().expect("user id"),
                body["token"].as_str().expect("token").to_owned(),
            )
        };
        fx.admin_token = login("bench-admin").1;
        let project: Value = http
            .post(format!("{}/api/v1/projects", server.base))
            .bearer_auth(&fx.admin_token)
            .json(&json!({"name": "Load test"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        fx.project_id = project["id"].as_i64().expect("project id");
        let mut lines = String::new();
        for i in 0..n {
            let name = format!("bench-user-{i}");
            let resp = http
                .post(format!("{}/api/v1/users", server.base))
                .bearer_auth(&fx.admin_token)
                .json(&json!({"username": name, "password": PASSWORD}))
                .send()
                .unwrap();
            assert_eq!(resp.status(), 201, "create user: {}", resp.text().unwrap());
            let (id, token) = login(&name);
            let browser = Browser::new(&server.base);
            let csrf = browser.page("/login").csrf();
            let signed_in = browser.post(
                "/login",
                &[
                    ("csrf_token", &csrf),
                    ("username", &name),
                    ("password", PASSWORD),
                ],
            );
            assert_eq!(signed_in.status, 303, "web login");
            let cookie = browser.session_cookie().expect("a session cookie");
            assert_eq!(
                browser.get("/").status,
                200,
                "the dashboard with the cookie"
            );
            // A history: finished entries over the past weeks, two a day.
            let now = chrono::Utc::now();
            for k in 1..=history {
                let start = now - chrono::Duration::hours(12 * k);
                let resp = http
                    .post(format!("{}/api/v1/time-entries", server.base))
                    .bearer_auth(&token)
                    .json(&json!({
                        "project_id": fx.project_id,
                        "start": start.to_rfc3339(),
                        "end": (start + chrono::Duration::minutes(50)).to_rfc3339(),
                        "notes": "seeded",
                    }))
                    .send()
                    .unwrap();
                assert_eq!(resp.status(), 201, "seed entry: {}", resp.text().unwrap());
            }
            writeln!(lines, "{token} {cookie} {}", fx.project_id).unwrap();
            fx.users.push(BenchUser { id, token, cookie });
        }
        std::fs::write(&fx.users_file, lines).unwrap();
        server.stop();
        fx
    }
}

// ------------------------------------------------------------------ wrk

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
struct WrkResult {
    requests: u64,
    duration_us: u64,
    p50_us: u64,
    p90_us: u64,
    p99_us: u64,
    s2: u64,
    s3: u64,
    s4: u64,
    s5: u64,
    s201: u64,
    connect_errors: u64,
    read_errors: u64,
    write_errors: u64,
    timeouts: u64,
}

impl WrkResult {
    fn rps(&self) -> f64 {
        self.requests as f64 / (self.duration_us as f64 / 1e6)
    }

    fn socket_errors(&self) -> u64 {
        self.connect_errors + self.read_errors + self.write_errors + self.timeouts
    }
}

const WRK_THREADS: u32 = 2;
const WRK_CONNECTIONS: u32 = 32;

fn wrk(fx: &Fixture, base: &str, mix: &str, secs: u64, connections: u32) -> WrkResult {
    let out = pinned(pinning().map(|p| p.1), Path::new("wrk"))
        .arg(format!("-t{WRK_THREADS}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{secs}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(&fx.script)
        .arg(base)
        .arg("--")
        .arg(&fx.users_file)
        .arg(mix)
        .output()
        .expect("run wrk (apt-get install -y wrk)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| {
            panic!(
                "wrk printed no result:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).expect("wrk result JSON")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        f64::midpoint(v[mid - 1], v[mid])
    }
}

// ------------------------------------------------------------------ report

#[derive(Default)]
struct Report {
    text: String,
    json: serde_json::Map<String, Value>,
    failures: Vec<String>,
}

impl Report {
    fn line(&mut self, s: impl AsRef<str>) {
        println!("{}", s.as_ref());
        self.text.push_str(s.as_ref());
        self.text.push('\n');
    }

    fn check(&mut self, ok: bool, what: impl Into<String>) {
        let what = what.into();
        if ok {
            self.line(format!("- ok: {what}"));
        } else {
            self.line(format!("- **FAILED**: {what}"));
            self.failures.push(what);
        }
    }
}

/// A server of one arm, kept running for the whole comparison, with the
/// sinks it sends to.
struct Running {
    server: Server,
    _sink: Option<SinkRun>,
    _collector: Option<OtlpReceiver>,
}

/// Starts one pinned server per arm, each on its own copy of the same data.
fn start_arms(opts: &Opts, fx: &Fixture, arms: &[Arm]) -> Vec<Running> {
    arms.iter()
        .enumerate()
        .map(|(i, arm)| {
            let (mut env, sink, collector) = fx.env(*arm);
            env.insert(
                "DATA_DIR".into(),
                fx.data_copy(&format!("arm-{i}")).display().to_string(),
            );
            let (server, _) = spawn_server(&opts.bin, &env);
            Running {
                server,
                _sink: sink,
                _collector: collector,
            }
        })
        .collect()
}

/// Drives `targets` in interleaved rounds (the order rotating each round)
/// with the same script and returns each target's runs. Load on a shared
/// machine drifts over minutes; short runs side by side see the same
/// drift, and per-round ratios cancel it.
fn interleave(opts: &Opts, fx: &Fixture, targets: &[(&str, &str)]) -> Vec<Vec<WrkResult>> {
    for (base, mix) in targets {
        wrk(fx, base, mix, 2, WRK_CONNECTIONS);
    }
    let mut runs = vec![Vec::new(); targets.len()];
    for round in 0..opts.rounds() {
        for k in 0..targets.len() {
            let i = (k + round) % targets.len();
            let (base, mix) = targets[i];
            runs[i].push(wrk(fx, base, mix, opts.run_secs(), WRK_CONNECTIONS));
        }
    }
    runs
}

struct ArmStats {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    s3: u64,
    s4: u64,
    s5: u64,
    socket_errors: u64,
    requests: u64,
}

fn stats(runs: &[WrkResult]) -> ArmStats {
    ArmStats {
        rps: median(runs.iter().map(WrkResult::rps).collect()),
        p50_ms: median(runs.iter().map(|r| r.p50_us as f64 / 1e3).collect()),
        p99_ms: median(runs.iter().map(|r| r.p99_us as f64 / 1e3).collect()),
        s3: runs.iter().map(|r| r.s3).sum(),
        s4: runs.iter().map(|r| r.s4).sum(),
        s5: runs.iter().map(|r| r.s5).sum(),
        socket_errors: runs.iter().map(WrkResult::socket_errors).sum(),
        requests: runs.iter().map(|r| r.requests).sum(),
    }
}

/// The median over rounds of `a`'s throughput divided by `b`'s in the
/// same round, with the lowest and highest round.
fn paired_ratio(a: &[WrkResult], b: &[WrkResult]) -> (f64, f64, f64) {
    let ratios: Vec<f64> = a.iter().zip(b).map(|(x, y)| x.rps() / y.rps()).collect();
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(0.0, f64::max);
    (median(ratios), lo, hi)
}

fn setup_line(opts: &Opts) -> String {
    let pin = match pinning() {
        Some((server, load)) => format!(
            "servers pinned to CPU {server}, wrk and the harness with its OTLP receivers to CPU {load} (`taskset`), so load and server never share a core"
        ),
        None => "no CPU pinning (one CPU or no `taskset`)".to_owned(),
    };
    format!(
        "wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS}; {pin}; every server warmed up for 2 s, then {} interleaved rounds of {} s per server, the order rotating each round",
        opts.rounds(),
        opts.run_secs()
    )
}

// ------------------------------------------------------------------ sections

fn footprint(opts: &Opts, report: &mut Report) {
    report.line("## Start-up and footprint\n");
    let size = std::fs::metadata(&opts.bin).unwrap().len();
    let runs = if opts.quick { 2 } else { 7 };
    let mut startup = Vec::new();
    let mut idle = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().unwrap();
        let mut env = BTreeMap::new();
        env.insert(
            "DATA_DIR".into(),
            dir.path().join("data").display().to_string(),
        );
        env.insert(
            "LOG_DIR".into(),
            dir.path().join("logs").display().to_string(),
        );
        env.insert(
            "CONFIG_DIR".into(),
            dir.path().join("config").display().to_string(),
        );
        env.insert("LOG_FORMAT".into(), "off".into());
        let (server, took) = spawn_server(&opts.bin, &env);
        startup.push(took.as_secs_f64() * 1e3);
        thread::sleep(Duration::from_secs(2));
        idle.push(mib(rss_kib(server.pid(), "VmRSS:")));
        server.stop();
    }
    let start_ms = median(startup.clone());
    let idle_mib = median(idle);
    report.line(format!(
        "| measure | value |\n|---|---|\n| binary size | {:.1} MiB (`{}`) |\n| exec → first 200 on `/readyz`, fresh SQLite data dir (median of {runs}) | {start_ms:.0} ms (min {:.0}, max {:.0}) |\n| idle RSS 2 s after start-up | {idle_mib:.1} MiB |\n",
        size as f64 / 1048576.0,
        opts.bin.display(),
        startup.iter().copied().fold(f64::INFINITY, f64::min),
        startup.iter().copied().fold(0.0, f64::max),
    ));
    report.json.insert(
        "footprint".into(),
        json!({"binary_bytes": size, "startup_ms": startup, "idle_rss_mib": idle_mib}),
    );
}

fn overhead(opts: &Opts, fx: &Fixture, report: &mut Report) {
    let arms = [
        Arm::Off,
        Arm::LogsMetrics,
        Arm::AllOn(Sink::Healthy),
        Arm::AllOnTracing,
        Arm::AllOn(Sink::Refused),
        Arm::AllOn(Sink::Unavailable),
        Arm::AllOn(Sink::Hanging),
    ];
    let running = start_arms(opts, fx, &arms);
    let targets: Vec<(&str, &str)> = running
        .iter()
        .map(|r| (r.server.base.as_str(), "mix"))
        .collect();
    let runs = interleave(opts, fx, &targets);
    let rss: Vec<f64> = running
        .iter()
        .map(|r| mib(rss_kib(r.server.pid(), "VmRSS:")))
        .collect();
    for r in running {
        r.server.stop();
    }
    let all: Vec<ArmStats> = runs.iter().map(|r| stats(r)).collect();
    report.line(format!(
        "## Observability overhead and sink outages\n\nMix: 40% `GET /api/v1/timer`, 10% timer start, 10% timer stop, 20% `GET /api/v1/time-entries?limit=20`, 20% the dashboard page; {} users with a history of finished entries; one server per configuration, each on its own copy of the same SQLite data; {}. Ratio: the median over rounds of the two servers' throughput in the same round (lowest and highest round in brackets).\n",
        fx.users.len(),
        setup_line(opts)
    ));
    report.line(
        "| configuration | req/s | p50 ms | p99 ms | RSS MiB after | throughput ratio | against |",
    );
    report.line("|---|---:|---:|---:|---:|---:|---|");
    let healthy = 2;
    let mut json_arms = Vec::new();
    for (i, s) in all.iter().enumerate() {
        let (base, against) = match arms[i] {
            Arm::Off => (None, ""),
            Arm::LogsMetrics | Arm::AllOn(Sink::Healthy) | Arm::AllOnTracing => {
                (Some(0), "everything off")
            }
            Arm::AllOn(_) => (Some(healthy), "healthy sink"),
        };
        let ratio = base.map(|b| paired_ratio(&runs[i], &runs[b]));
        report.line(format!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {against} |",
            arms[i].label(),
            s.rps,
            s.p50_ms,
            s.p99_ms,
            rss[i],
            ratio.map_or_else(
                || "—".to_owned(),
                |(m, lo, hi)| format!("{m:.3} ({lo:.2}–{hi:.2})")
            ),
        ));
        json_arms.push(json!({
            "arm": arms[i].label(), "rps": s.rps, "p50_ms": s.p50_ms, "p99_ms": s.p99_ms,
            "rss_mib": rss[i], "ratio": ratio.map(|r| r.0), "against": against,
            "runs_rps": runs[i].iter().map(WrkResult::rps).collect::<Vec<_>>(),
        }));
    }
    report.line("");
    for (i, s) in all.iter().enumerate() {
        // In the mix only timer start (409) and stop (404) may answer 4xx.
        report.check(
            s.s5 == 0
                && s.socket_errors == 0
                && s.requests > 0
                && s.s3 == 0
                && s.s4 * 5 <= s.requests,
            format!(
                "{}: {} requests, {} 3xx, {} 4xx, {} 5xx, {} socket errors",
                arms[i].label(),
                s.requests,
                s.s3,
                s.s4,
                s.s5,
                s.socket_errors
            ),
        );
    }
    report
        .json
        .insert("overhead".into(), Value::Array(json_arms));
    report.line("");
}

/// `load --minimal-server PORT`: the ceiling's minimal actix-web server, a
/// process of its own so it can be pinned like the real one. Every request
/// answers `200 null`.
fn run_minimal_server(port: u16) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| {
            App::new().default_service(web::to(|| async {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body("null")
            }))
        })
        .bind(("127.0.0.1", port))
        .unwrap()
        .run()
        .await
        .unwrap();
    });
}

fn spawn_minimal_server(dir: &Path) -> Server {
    let port = free_port();
    let stderr = dir.join("minimal-stderr.txt");
    let mut child = pinned(pinning().map(|p| p.0), &std::env::current_exe().unwrap())
        .arg("--minimal-server")
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&probe_client(), &base, &mut child, &stderr);
    Server { child, base }
}

fn ceiling(opts: &Opts, fx: &Fixture, db_label: &str, report: &mut Report) {
    let endpoints = [
        ("timer", "`GET /api/v1/timer`"),
        ("entries", "`GET /api/v1/time-entries?limit=20`"),
        ("page", "`GET /` (dashboard page)"),
        ("mix", "the mix"),
    ];
    let tt = start_arms(opts, fx, &[Arm::AllOn(Sink::Healthy)]);
    let minimal = spawn_minimal_server(fx.dir.path());
    let mut targets = Vec::new();
    for (mix, _) in endpoints {
        targets.push((tt[0].server.base.as_str(), mix));
        targets.push((minimal.base.as_str(), mix));
    }
    let runs = interleave(opts, fx, &targets);
    report.line(format!(
        "## Ceiling on {db_label}: each endpoint against a minimal actix-web handler\n\nTimeTracker on {db_label} with everything on (healthy sink) against a minimal actix-web server (same worker count, answering `200 null` to everything), both under the same pinning and the same wrk script; {}.\n",
        setup_line(opts)
    ));
    report.line("| endpoint | TimeTracker req/s | p50 ms | p99 ms | minimal handler req/s | share of the ceiling |");
    report.line("|---|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    let mut checks = Vec::new();
    for (e, (mix, label)) in endpoints.iter().enumerate() {
        let (t, m) = (stats(&runs[2 * e]), stats(&runs[2 * e + 1]));
        let (share, _, _) = paired_ratio(&runs[2 * e], &runs[2 * e + 1]);
        report.line(format!(
            "| {label} | {:.0} | {:.2} | {:.2} | {:.0} | {:.1}% |",
            t.rps,
            t.p50_ms,
            t.p99_ms,
            m.rps,
            100.0 * share
        ));
        // A single endpoint answers 200 to every request, or the run
        // measured error pages; the mix may see start/stop conflicts.
        let clean = if *mix == "mix" {
            t.s3 == 0 && t.s4 * 5 <= t.requests
        } else {
            t.s3 + t.s4 == 0
        };
        checks.push((
            clean && t.s5 + t.socket_errors == 0,
            format!(
                "{db_label} {mix}: {} 3xx, {} 4xx, {} 5xx, {} socket errors",
                t.s3, t.s4, t.s5, t.socket_errors
            ),
        ));
        rows.push(json!({"database": db_label, "endpoint": mix, "rps": t.rps, "p50_ms": t.p50_ms, "p99_ms": t.p99_ms, "ceiling_rps": m.rps, "share": share}));
    }
    report.line("");
    for (ok, what) in checks {
        report.check(ok, what);
    }
    minimal.stop();
    for r in tt {
        r.server.stop();
    }
    let key = format!("ceiling_{}", db_label.to_lowercase());
    report.json.insert(key, Value::Array(rows));
    report.line("");
}

/// `url` over plain TCP. libpq prefers TLS whenever the server offers it,
/// and a distribution's PostgreSQL often does (Debian's, with its snakeoil
/// certificate), while the official container image of the shipped Compose
/// files does not: the load runs measure the deployment we ship. (TLS on
/// loopback cost the server a fifth of its CPU on the timer read.)
fn without_tls(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}sslmode=disable")
}

/// `load train`: the workload a profile-guided build learns from
/// (`.ci/pgo-build`), run against its instrumented binary. On SQLite,
/// and on PostgreSQL when `TEST_DATABASE_URL` is set: the fixture's
/// set-up (setup, users, logins, entries), a walk over every page and every
/// API read without a path parameter as a user and as an admin, then the
/// ceiling's four workloads. Every answer below 500, or the run fails: a
/// profile of error paths would teach the compiler the wrong thing.
fn train(opts: &Opts) {
    let secs = if opts.quick { 1 } else { 4 };
    let pg = tt_tests::postgres_base_url().map(|admin| tt_tests::PgDatabase::create(&admin));
    if pg.is_none() {
        eprintln!(
            "*** train: SQLite only (set TEST_DATABASE_URL to train the PostgreSQL paths too) ***"
        );
    }
    let databases = std::iter::once(None).chain(pg.as_ref().map(|p| Some(without_tls(&p.url))));
    for database in databases {
        let name = if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let fx = Fixture::create(opts, database, 20, 50);
        let running = start_arms(opts, &fx, &[Arm::AllOn(Sink::Healthy)]);
        let base = running[0].server.base.clone();
        let walked = walk(&fx, &base);
        for mix in ["timer", "entries", "page", "mix"] {
            let r = wrk(&fx, &base, mix, secs, WRK_CONNECTIONS);
            assert!(
                r.s5 == 0 && r.socket_errors() == 0,
                "train {name} {mix}: {r:?}"
            );
        }
        println!("trained on {name}: {walked} pages and API reads, then the four workloads");
        for r in running {
            r.server.stop();
        }
    }
}

/// Every web page and every API read without a path parameter, a few times
/// each, as the first user and as the admin; returns how many were read.
fn walk(fx: &Fixture, base: &str) -> usize {
    let admin = Browser::new(base);
    let csrf = admin.page("/login").csrf();
    let signed_in = admin.post(
        "/login",
        &[
            ("csrf_token", &csrf),
            ("username", "bench-admin"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(signed_in.status, 303, "the admin's web login");
    let admin_cookie = admin.session_cookie().expect("the admin's session cookie");
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let spec: Value = http
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let api: Vec<String> = spec["paths"]
        .as_object()
        .expect("the OpenAPI document's paths")
        .iter()
        .filter(|(path, ops)| !path.contains('{') && ops.get("get").is_some())
        .map(|(path, _)| path.clone())
        .collect();
    const PAGES: &[&str] = &[
        "/",
        "/timer",
        "/entries",
        "/reports",
        "/projects",
        "/tasks",
        "/clients",
        "/invoices",
        "/profile",
        "/profile/tokens",
        "/profile/password",
        "/help",
        "/admin/users",
        "/admin/company",
        "/admin/telemetry",
    ];
    let user = &fx.users[0];
    let mut walked = 0;
    for _ in 0..5 {
        for path in &api {
            for token in [&user.token, &fx.admin_token] {
                let status = http
                    .get(format!("{base}{path}"))
                    .bearer_auth(token)
                    .send()
                    .unwrap()
                    .status();
                assert!(status.as_u16() < 500, "GET {path}: {status}");
                walked += 1;
            }
        }
        for path in PAGES {
            for cookie in [&user.cookie, &admin_cookie] {
                let status = http
                    .get(format!("{base}{path}"))
                    .header("Cookie", format!("tt_session={cookie}"))
                    .send()
                    .unwrap()
                    .status();
                assert!(status.as_u16() < 500, "GET {path}: {status}");
                walked += 1;
            }
        }
    }
    walked
}

/// The `serve` and `serve-pg` sections: one server with everything on, kept
/// until stdin closes, for profiling by hand.
fn serve(opts: &Opts) {
    let pg = opts.runs("serve-pg").then(|| {
        let admin = tt_tests::postgres_base_url().expect("serve-pg needs TEST_DATABASE_URL");
        tt_tests::PgDatabase::create(&admin)
    });
    let fx = Fixture::create(opts, pg.as_ref().map(|p| without_tls(&p.url)), 50, 100);
    let tt = start_arms(opts, &fx, &[Arm::AllOn(Sink::Healthy)]);
    let base = &tt[0].server.base;
    println!("server pid {} at {base}", tt[0].server.pid());
    for mix in ["timer", "entries", "page", "mix"] {
        println!(
            "wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d10s -s {} {base} -- {} {mix}",
            fx.script.display(),
            fx.users_file.display()
        );
    }
    println!("close stdin to stop");
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
    for r in tt {
        r.server.stop();
    }
}

/// Max of the RSS samples in the first and in the second half of the run.
fn halves(samples: &[(u64, u64)]) -> (u64, u64) {
    let half = samples.len() / 2;
    let max = |s: &[(u64, u64)]| s.iter().map(|x| x.1).max().unwrap_or(0);
    (max(&samples[..half.max(1)]), max(&samples[half..]))
}

fn soak(opts: &Opts, fx: &Fixture, report: &mut Report) {
    let secs = opts.long_secs();
    // The outage server and a healthy twin, flooded at the same time with
    // half the connections each, so their memory can be compared.
    let arms = [Arm::AllOn(Sink::Hanging), Arm::AllOn(Sink::Healthy)];
    let running = start_arms(opts, fx, &arms);
    let pids: Vec<u32> = running.iter().map(|r| r.server.pid()).collect();
    let step = if opts.quick { 1 } else { 10 };
    let done = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(vec![Vec::new(), Vec::new()]));
    let sampler = {
        let (done, samples, pids) = (Arc::clone(&done), Arc::clone(&samples), pids.clone());
        thread::spawn(move || {
            let t0 = Instant::now();
            while !done.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_secs(step));
                let mut s = samples.lock().unwrap();
                for (i, pid) in pids.iter().enumerate() {
                    s[i].push((t0.elapsed().as_secs(), rss_kib(*pid, "VmRSS:")));
                }
            }
        })
    };
    let results: Vec<WrkResult> = thread::scope(|scope| {
        let handles: Vec<_> = running
            .iter()
            .map(|r| {
                let base = r.server.base.clone();
                scope.spawn(move || wrk(fx, &base, "mix", secs, WRK_CONNECTIONS / 2))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    done.store(true, Ordering::SeqCst);
    sampler.join().unwrap();
    let outage_base = running[0].server.base.clone();
    let metrics = reqwest::blocking::get(format!("{outage_base}/metrics"))
        .and_then(|r| r.text())
        .unwrap_or_default();
    let peaks: Vec<u64> = pids.iter().map(|p| rss_kib(*p, "VmHWM:")).collect();
    let sink_requests = running[0]
        ._sink
        .as_ref()
        .and_then(|s| s.receiver.as_ref())
        .map_or(0, OtlpReceiver::request_count);
    for r in running {
        r.server.stop();
    }
    let samples = samples.lock().unwrap().clone();
    assert!(!samples[0].is_empty(), "no RSS sample was taken");
    let outcomes: Vec<String> = metrics
        .lines()
        .filter(|l| l.starts_with("tt_telemetry_events_total{"))
        .map(str::to_owned)
        .collect();
    report.line(format!(
        "## Sink outage flood: {secs} s of the mix against a sink that never answers\n\nTwo servers flooded at the same time, {} connections each, both pinned to the server CPU: one whose sink accepts connections and never answers, and a healthy twin.\n",
        WRK_CONNECTIONS / 2
    ));
    report.line("| server | req/s | p99 ms | 5xx | socket errors | RSS max 1st half MiB | RSS max 2nd half MiB | RSS at end MiB | peak MiB |");
    report.line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (i, name) in ["sink never answers", "healthy sink"].iter().enumerate() {
        let (h1, h2) = halves(&samples[i]);
        report.line(format!(
            "| {name} | {:.0} | {:.1} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            results[i].rps(),
            results[i].p99_us as f64 / 1e3,
            results[i].s5,
            results[i].socket_errors(),
            mib(h1),
            mib(h2),
            mib(samples[i].last().map_or(0, |x| x.1)),
            mib(peaks[i]),
        ));
    }
    let points: Vec<String> = samples[0]
        .iter()
        .zip(&samples[1])
        .step_by((samples[0].len() / 12).max(1))
        .map(|(a, b)| format!("{} s: {:.1} / {:.1}", a.0, mib(a.1), mib(b.1)))
        .collect();
    report.line(format!(
        "\nRSS over time, outage / healthy (MiB): {}.\n\nThe dead sink saw {sink_requests} requests (each held until the exporter's timeout). Telemetry outcomes of the outage server at the end:\n",
        points.join(", ")
    ));
    report.line("```");
    for o in &outcomes {
        report.line(o);
    }
    report.line("```\n");
    for (i, r) in results.iter().enumerate() {
        report.check(
            r.s5 == 0 && r.socket_errors() == 0 && r.s3 == 0 && r.s4 * 5 <= r.requests,
            format!(
                "{}: {} requests, {} 5xx, {} socket errors",
                arms[i].label(),
                r.requests,
                r.s5,
                r.socket_errors()
            ),
        );
    }
    if !opts.quick {
        let (h1, h2) = halves(&samples[0]);
        let (_, healthy2) = halves(&samples[1]);
        // Bounded: the second half grows no more than 10% (+8 MiB slack for
        // allocator noise) over the first, and the outage costs no more
        // than the bounded telemetry queue over the healthy twin.
        report.check(
            h2 <= h1 + h1 / 10 + 8 * 1024,
            format!(
                "outage server's RSS levels off: second-half max {:.1} MiB vs first-half max {:.1} MiB",
                mib(h2),
                mib(h1)
            ),
        );
        report.check(
            h2 <= healthy2 + 16 * 1024,
            format!(
                "the outage costs at most 16 MiB over the healthy twin ({:.1} vs {:.1} MiB)",
                mib(h2),
                mib(healthy2)
            ),
        );
    }
    report.json.insert(
        "soak".into(),
        json!({"secs": secs,
               "outage": {"rps": results[0].rps(), "p99_ms": results[0].p99_us as f64 / 1e3, "rss_samples_kib": samples[0], "peak_kib": peaks[0]},
               "healthy": {"rps": results[1].rps(), "p99_ms": results[1].p99_us as f64 / 1e3, "rss_samples_kib": samples[1], "peak_kib": peaks[1]},
               "outcomes": outcomes}),
    );
    report.line("");
}

// ------------------------------------------------------------------ consistency

#[derive(Default)]
struct ClientLog {
    created: Vec<(i64, i64)>, // (user id, entry id) from every 201
    stopped: Vec<i64>,
    requests: u64,
    by_status: BTreeMap<u16, u64>,
    transport_errors: Vec<String>,
    /// Answers no correct server gives (e.g. 401 for a valid token).
    unexpected: Vec<String>,
    latencies_us: Vec<u32>,
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Bool)]
    running: bool,
}

const ENTRY_ROWS: &str = "SELECT CAST(id AS BIGINT) AS id, CAST(user_id AS BIGINT) AS user_id, \
     (end_time IS NULL) AS running FROM time_entries";

/// The rows `sql` selects in the fixture's database.
fn query_fixture<T>(fx: &Fixture, sql: &str) -> Vec<T>
where
    T: diesel::QueryableByName<diesel::pg::Pg>
        + diesel::QueryableByName<diesel::sqlite::Sqlite>
        + 'static,
{
    match &fx.database_url {
        Some(url) => {
            let mut c = diesel::PgConnection::establish(url).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
        None => {
            let path = fx.dir.path().join("data").join("timetracker.db");
            let mut c = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
    }
}

/// Every row of `time_entries` in the fixture's database.
fn entry_rows(fx: &Fixture) -> Vec<EntryRow> {
    query_fixture(fx, ENTRY_ROWS)
}

#[derive(diesel::QueryableByName)]
struct Miscounted {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Users whose entry count, as the database keeps it, differs from their
/// rows in `time_entries`.
const MISCOUNTED: &str = "SELECT CAST(count(*) AS BIGINT) AS n FROM users \
     WHERE entry_count <> (SELECT count(*) FROM time_entries t WHERE t.user_id = users.id)";

fn miscounted_users(fx: &Fixture) -> i64 {
    query_fixture::<Miscounted>(fx, MISCOUNTED)
        .first()
        .map_or(-1, |r| r.n)
}

/// Rows of `recent_work`, as the database keeps it, that differ from each
/// user's combinations and latest starts in `time_entries`.
fn recent_work_differences(fx: &Fixture) -> i64 {
    query_fixture::<Miscounted>(fx, tt_testkit::RECENT_WORK_DIFF)
        .first()
        .map_or(-1, |r| r.n)
}

/// One client: its own connection, one user, the mix plus manual entries,
/// until `deadline`; every request and answer accounted for.
fn client(base: &str, user: &BenchUser, project: i64, seq: usize, deadline: Instant) -> ClientLog {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut log = ClientLog::default();
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ (seq as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
    // Manual entries go into the past (an entry may end at most a day from
    // now), each client in its own stretch of about 69 days.
    let epoch = chrono::DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z").unwrap();
    let mut n = 0i64;
    while Instant::now() < deadline {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let pick = rng % 100;
        let url = |p: &str| format!("{base}{p}");
        let (rb, kind) = if pick < 35 {
            (http.get(url("/api/v1/timer")), "timer")
        } else if pick < 50 {
            (
                http.post(url("/api/v1/timer/start"))
                    .json(&json!({"project_id": project})),
                "start",
            )
        } else if pick < 65 {
            (http.post(url("/api/v1/timer/stop")), "stop")
        } else if pick < 80 {
            (http.get(url("/api/v1/time-entries?limit=20")), "entries")
        } else if pick < 90 {
            (
                http.get(url("/"))
                    .header("Cookie", format!("tt_session={}", user.cookie)),
                "page",
            )
        } else {
            // A manual entry in a slot no other client uses.
            n += 1;
            let start = epoch + chrono::Duration::minutes((seq as i64) * 100_000 + n * 2);
            let end = start + chrono::Duration::minutes(1);
            (
                http.post(url("/api/v1/time-entries")).json(&json!({
                    "project_id": project,
                    "start": start.to_rfc3339(),
                    "end": end.to_rfc3339(),
                })),
                "create",
            )
        };
        let rb = if kind == "page" {
            rb
        } else {
            rb.bearer_auth(&user.token)
        };
        let t = Instant::now();
        log.requests += 1;
        match rb.send() {
            Err(e) => log.transport_errors.push(format!("{kind}: {e}")),
            Ok(resp) => {
                let status = resp.status().as_u16();
                *log.by_status.entry(status).or_default() += 1;
                let body = match resp.bytes() {
                    Ok(b) => b,
                    Err(e) => {
                        log.transport_errors.push(format!("{kind} body: {e}"));
                        continue;
                    }
                };
                log.latencies_us
                    .push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                let id = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v["id"].as_i64());
                match (kind, status, id) {
                    ("start" | "create", 201, Some(id)) => log.created.push((user.id, id)),
                    ("stop", 200, Some(id)) => log.stopped.push(id),
                    // A timer already running, or none to stop: expected
                    // when five clients share a user.
                    ("start", 409, _) | ("stop", 404, _) => {}
                    ("timer" | "entries" | "page", 200, _) => {}
                    _ => log.unexpected.push(format!("{kind} → {status}")),
                }
            }
        }
    }
    log
}

fn consistency(opts: &Opts, db_label: &str, database_url: Option<String>, report: &mut Report) {
    const CLIENTS: usize = 50;
    const USERS: usize = 10;
    let secs = opts.long_secs();
    let fx = Fixture::create(opts, database_url, USERS, 20);
    let seeded: BTreeSet<i64> = entry_rows(&fx).iter().map(|r| r.id).collect();
    let (env, _sink, _) = fx.env(Arm::AllOn(Sink::Healthy));
    let (server, _) = spawn_server(&opts.bin, &env);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let logs: Vec<ClientLog> = thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let user = fx.users[i % USERS].clone();
                let base = server.base.clone();
                let project = fx.project_id;
                s.spawn(move || client(&base, &user, project, i, deadline))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    server.stop();

    // Only what the load created: the seeded history is left out.
    let rows: Vec<EntryRow> = entry_rows(&fx)
        .into_iter()
        .filter(|r| !seeded.contains(&r.id))
        .collect();
    let miscounted = miscounted_users(&fx);
    let recent_diff = recent_work_differences(&fx);
    let requests: u64 = logs.iter().map(|l| l.requests).sum();
    let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
    for l in &logs {
        for (s, n) in &l.by_status {
            *by_status.entry(*s).or_default() += n;
        }
    }
    let s5: u64 = by_status
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    let transport: Vec<&String> = logs.iter().flat_map(|l| &l.transport_errors).collect();
    let created: Vec<(i64, i64)> = logs.iter().flat_map(|l| l.created.clone()).collect();
    let created_ids: BTreeSet<i64> = created.iter().map(|c| c.1).collect();
    let duplicated_answers = created.len() - created_ids.len();
    let db: BTreeMap<i64, &EntryRow> = rows.iter().map(|r| (r.id, r)).collect();
    let lost: Vec<i64> = created_ids
        .iter()
        .filter(|id| !db.contains_key(id))
        .copied()
        .collect();
    let unexplained: Vec<i64> = db
        .keys()
        .filter(|id| !created_ids.contains(id))
        .copied()
        .collect();
    let wrong_owner = created
        .iter()
        .filter(|(user, id)| db.get(id).is_some_and(|r| r.user_id != *user))
        .count();
    let stopped_still_running = logs
        .iter()
        .flat_map(|l| &l.stopped)
        .filter(|id| db.get(id).is_some_and(|r| r.running))
        .count();
    let mut running_per_user: BTreeMap<i64, usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.running) {
        *running_per_user.entry(r.user_id).or_default() += 1;
    }
    let mut lat: Vec<u32> = logs.iter().flat_map(|l| l.latencies_us.clone()).collect();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .map_or(0.0, |v| f64::from(*v) / 1e3)
    };
    report.line(format!(
        "## Consistency under load: {db_label}\n\n{CLIENTS} concurrent clients (5 per user, so timer starts race), {secs} s, everything on. {requests} requests ({:.0} req/s), p50 {:.1} ms, p99 {:.1} ms. Status counts: {by_status:?}. {} entries created (timer starts and manual entries answered 201), {} rows in `time_entries`.\n",
        requests as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        created_ids.len(),
        rows.len(),
    ));
    let unexpected: Vec<&String> = logs.iter().flat_map(|l| &l.unexpected).take(5).collect();
    let stopped: usize = logs.iter().map(|l| l.stopped.len()).sum();
    report.check(s5 == 0, format!("{db_label}: zero 5xx ({s5})"));
    report.check(
        unexpected.is_empty(),
        format!("{db_label}: only expected answers (first unexpected: {unexpected:?})"),
    );
    report.check(
        !created_ids.is_empty() && stopped > 0,
        format!(
            "{db_label}: the load did write ({} entries created, {stopped} timers stopped)",
            created_ids.len()
        ),
    );
    report.check(
        transport.is_empty(),
        format!("{db_label}: zero transport errors ({transport:?})"),
    );
    report.check(
        lost.is_empty(),
        format!("{db_label}: no lost entry (answered 201, missing: {lost:?})"),
    );
    report.check(
        unexplained.is_empty() && duplicated_answers == 0,
        format!(
            "{db_label}: no duplicated entry ({} rows nobody was told about, {duplicated_answers} ids answered twice)",
            unexplained.len()
        ),
    );
    report.check(
        wrong_owner == 0 && stopped_still_running == 0,
        format!(
            "{db_label}: every entry belongs to its creator ({wrong_owner} wrong) and every stopped timer is stopped ({stopped_still_running} still running)"
        ),
    );
    report.check(
        running_per_user.values().all(|n| *n <= 1),
        format!("{db_label}: at most one running timer per user ({running_per_user:?})"),
    );
    report.check(
        miscounted == 0,
        format!(
            "{db_label}: every user's entry count equals their rows ({miscounted} users differ)"
        ),
    );
    report.check(
        recent_diff == 0,
        format!(
            "{db_label}: the kept recent work equals each user's combinations and latest starts ({recent_diff} rows differ)"
        ),
    );
    report.line("");
    report.json.insert(
        format!("consistency_{db_label}"),
        json!({"clients": CLIENTS, "secs": secs, "requests": requests, "rps": requests as f64 / elapsed,
               "p50_ms": pct(0.5), "p99_ms": pct(0.99), "status": by_status, "created": created_ids.len(),
               "rows": rows.len(), "lost": lost.len(), "unexplained": unexplained.len()}),
    );
}

// ------------------------------------------------------------------ main

// ------------------------------------------------------------------ replicas

/// Requests per second and non-2xx answers of `wrk` reading one list with
/// `connections` connections for `secs` seconds.
fn wrk_reads(url: &str, token: &str, secs: u64, connections: u32) -> (f64, u64) {
    let out = Command::new("wrk")
        .args(["-t", "2", "-c", &connections.to_string(), "-d"])
        .arg(format!("{secs}s"))
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(url)
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"));
    let non_2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (rps, non_2xx)
}

/// A running cluster of `n` replicas behind nginx on a fresh database,
/// set up with an admin, a project and `clients` users with tokens.
struct BenchCluster {
    replicas: Vec<tt_tests::cluster::Replica>,
    lb: tt_tests::cluster::Nginx,
    admin: String,
    project: i64,
    tokens: Vec<String>,
    db_url: String,
    _receiver: OtlpReceiver,
    _pg: tt_tests::PgDatabase,
    _dir: tempfile::TempDir,
}

fn bench_cluster(
    opts: &Opts,
    pg_admin: &str,
    nginx: &Path,
    n: usize,
    clients: usize,
) -> BenchCluster {
    use tt_tests::cluster::{Nginx, ports, replicas, token};
    let pg = tt_tests::PgDatabase::create(pg_admin);
    let dir = tempfile::tempdir().unwrap();
    let receiver = OtlpReceiver::start();
    let mut rs = replicas(Some(&opts.bin), dir.path(), &pg.url, n, |e| {
        e.var("LOGIN_MAX_FAILURES", "1000")
            .var("GRAFANA_OTLP_ENDPOINT", receiver.url())
    });
    rs[0].env.setup("admin", PASSWORD, false, false);
    for r in &mut rs {
        r.process = Some(r.env.serve());
    }
    let lb = Nginx::start(nginx, &ports(&rs));
    let admin = token(&lb.base, "admin", PASSWORD);
    let http = tt_tests::cluster::client();
    let post = |path: &str, body: Value| -> Value {
        let r = http
            .post(format!("{}{path}", lb.base))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "POST {path}");
        r.json().unwrap()
    };
    let project = post("/api/v1/projects", json!({"name": "Bench"}))["id"]
        .as_i64()
        .unwrap();
    let tokens = (0..clients)
        .map(|i| {
            let name = format!("client{i}");
            post(
                "/api/v1/users",
                json!({"username": name, "password": PASSWORD}),
            );
            token(&lb.base, &name, PASSWORD)
        })
        .collect();
    BenchCluster {
        replicas: rs,
        lb,
        admin,
        project,
        tokens,
        db_url: pg.url.clone(),
        _receiver: receiver,
        _pg: pg,
        _dir: dir,
    }
}

/// Throughput of one against three replicas behind nginx, failed requests
/// while one replica is stopped (SIGTERM) and another killed (SIGKILL)
/// under 50 clients, and how long a consent change takes to reach every
/// replica with the default refresh interval.
fn replicas_section(opts: &Opts, report: &mut Report) {
    report.line("## Replicas behind nginx (PostgreSQL)\n");
    let Some(pg_admin) = tt_tests::postgres_base_url() else {
        report.line("*** SKIPPED: replicas (set TEST_DATABASE_URL) ***\n");
        return;
    };
    let Some(nginx) = tt_tests::cluster::nginx_path() else {
        report
            .line("*** SKIPPED: replicas (nginx not installed: apt-get install nginx-light) ***\n");
        return;
    };
    let secs = if opts.quick { 3 } else { 20 };
    let clients = if opts.quick { 10 } else { 50 };
    let mut rps = Vec::new();
    for n in [1, 3] {
        let c = bench_cluster(opts, &pg_admin, &nginx, n, 1);
        let url = format!("{}/api/v1/time-entries?limit=20", c.lb.base);
        let (r, errors) = wrk_reads(&url, &c.tokens[0], secs, clients as u32);
        report.line(format!(
            "- {n} replica(s): {r:.0} requests/s reading an entry list through nginx, {clients} connections, {secs} s"
        ));
        report.check(
            errors == 0,
            format!("no non-2xx answer with {n} replica(s) ({errors})"),
        );
        rps.push(r);
        let _ = &c.admin;
    }
    report.json.insert(
        "replicas_throughput".into(),
        json!({"one": rps[0], "three": rps[1]}),
    );

    // Stop one, kill another, under 50 writing and reading clients.
    let mut c = bench_cluster(opts, &pg_admin, &nginx, 3, clients);
    let stop = AtomicBool::new(false);
    let run = Duration::from_secs(if opts.quick { 6 } else { 30 });
    let outcomes: Vec<tt_tests::cluster::Outcome> = thread::scope(|s| {
        let workers: Vec<_> = c
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (stop, base, project) = (&stop, &c.lb.base, c.project);
                s.spawn(move || tt_tests::cluster::run_client(base, t, project, i, stop))
            })
            .collect();
        thread::sleep(run / 3);
        c.replicas[1].restart_gracefully();
        thread::sleep(run / 3);
        c.replicas[2].kill_and_restart();
        thread::sleep(run / 3);
        stop.store(true, Ordering::SeqCst);
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let writes = outcomes.iter().filter(|o| o.write).count();
    let acked: Vec<_> = outcomes.iter().filter(|o| o.acked.is_some()).collect();
    let failed_writes = outcomes
        .iter()
        .filter(|o| o.write && o.failure.is_some())
        .count();
    let failed_reads = outcomes
        .iter()
        .filter(|o| !o.write && o.failure.is_some())
        .count();
    let mut conn = tt_persistence::establish(&c.db_url).unwrap();
    use diesel::QueryDsl;
    use tt_persistence::schema::time_entries;
    let notes: Vec<String> = time_entries::table
        .select(time_entries::notes)
        .load(&mut conn)
        .unwrap();
    let distinct: BTreeSet<&String> = notes.iter().collect();
    let stored_ok = acked
        .iter()
        .all(|o| notes.iter().filter(|n| **n == o.notes).count() == 1);
    report.line(format!(
        "- kills under {clients} clients for {} s: {} requests ({writes} writes, {} acknowledged); \
         failed: {failed_writes} writes, {failed_reads} reads",
        run.as_secs(),
        outcomes.len(),
        acked.len()
    ));
    report.check(stored_ok, "every acknowledged entry stored exactly once");
    report.check(distinct.len() == notes.len(), "no entry stored twice");
    report.check(failed_reads == 0, "no read failed (nginx resends reads)");
    report.json.insert(
        "replicas_kills".into(),
        json!({"requests": outcomes.len(), "writes": writes, "failed_writes": failed_writes, "failed_reads": failed_reads}),
    );

    // Consent propagation with the default refresh interval (5 s).
    let bases: Vec<String> = c.replicas.iter().map(|r| r.base()).collect();
    let http = tt_tests::cluster::client();
    let set = |base: &str, on: bool| {
        let r = http
            .put(format!("{base}/api/v1/admin/telemetry"))
            .bearer_auth(&c.admin)
            .json(&json!({"detailed": on}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    };
    let get = |base: &str| -> Value {
        http.get(format!("{base}/api/v1/admin/telemetry"))
            .bearer_auth(&c.admin)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let mut times = Vec::new();
    for (i, on) in [true, false, true]
        .into_iter()
        .enumerate()
        .take(if opts.quick { 1 } else { 3 })
    {
        let t0 = Instant::now();
        set(&bases[i % 3], on);
        for base in &bases {
            while get(base)["detailed"]["stored_choice"] != on {
                assert!(
                    t0.elapsed() < Duration::from_secs(30),
                    "consent never reached {base}"
                );
                thread::sleep(Duration::from_millis(20));
            }
        }
        times.push(t0.elapsed().as_secs_f64());
    }
    report.line(format!(
        "- a consent change reached every replica after {} s (INSTALLATION_REFRESH_SECONDS=5)\n",
        times
            .iter()
            .map(|t| format!("{t:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    report
        .json
        .insert("replicas_consent_seconds".into(), json!(times));
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|m| m.trim().to_owned()))
        .unwrap_or_default();
    let wrk = Command::new("wrk")
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default();
    // Counted from /proc/cpuinfo: the harness itself runs pinned to one
    // CPU, so its available parallelism says 1.
    let cpus = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    format!("{cpus} × {cpu}, {mem} RAM; {wrk}")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--minimal-server") {
        run_minimal_server(args[2].parse().expect("--minimal-server PORT"));
        return;
    }
    // The harness (its OTLP receivers, its clients) runs on the load
    // generator's CPU, away from the servers'.
    if let Some((_, load_cpu)) = pinning()
        && std::env::var_os("TT_BENCH_PINNED").is_none()
    {
        let status = Command::new("taskset")
            .arg("-c")
            .arg(load_cpu)
            .arg(std::env::current_exe().unwrap())
            .args(&args[1..])
            .env("TT_BENCH_PINNED", "1")
            .status()
            .expect("re-run the harness under taskset");
        std::process::exit(status.code().unwrap_or(1));
    }
    let opts = Opts::parse();
    tt_tests::init_tls();
    let mut report = Report::default();
    report.line(format!(
        "# Load benchmark{}\n\nMachine: {}. Binary: `{}`.\n",
        if opts.quick { " (quick smoke run)" } else { "" },
        machine(),
        opts.bin.display()
    ));
    if opts.runs("serve") || opts.runs("serve-pg") {
        serve(&opts);
        return;
    }
    if opts.runs("train") {
        train(&opts);
        return;
    }
    if opts.runs("footprint") {
        footprint(&opts, &mut report);
    }
    if opts.runs("overhead") || opts.runs("ceiling") || opts.runs("soak") {
        let fx = Fixture::create(&opts, None, 50, if opts.quick { 10 } else { 100 });
        if opts.runs("overhead") {
            overhead(&opts, &fx, &mut report);
        }
        if opts.runs("ceiling") {
            ceiling(&opts, &fx, "SQLite", &mut report);
        }
        if opts.runs("soak") {
            soak(&opts, &fx, &mut report);
        }
    }
    if opts.runs("ceiling") {
        match tt_tests::postgres_base_url() {
            Some(admin) => {
                let pg = tt_tests::PgDatabase::create(&admin);
                let fx = Fixture::create(
                    &opts,
                    Some(without_tls(&pg.url)),
                    50,
                    if opts.quick { 10 } else { 100 },
                );
                ceiling(&opts, &fx, "PostgreSQL", &mut report);
            }
            None => {
                report.line("*** SKIPPED: the ceiling on PostgreSQL (set TEST_DATABASE_URL) ***\n")
            }
        }
    }
    if opts.runs("consistency") {
        consistency(&opts, "SQLite", None, &mut report);
        match tt_tests::postgres_base_url() {
            Some(admin) => {
                let pg = tt_tests::PgDatabase::create(&admin);
                consistency(&opts, "PostgreSQL", Some(without_tls(&pg.url)), &mut report);
            }
            None => {
                report.line("*** SKIPPED: consistency on PostgreSQL (set TEST_DATABASE_URL) ***\n")
            }
        }
    }
    if opts.runs("replicas") {
        replicas_section(&opts, &mut report);
    }
    std::fs::create_dir_all(&opts.out_dir).unwrap();
    let name = if opts.quick { "load-quick" } else { "load" };
    std::fs::write(opts.out_dir.join(format!("{name}.md")), &report.text).unwrap();
    std::fs::write(
        opts.out_dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&Value::Object(report.json.clone())).unwrap(),
    )
    .unwrap();
    println!(
        "\nwritten: {}",
        opts.out_dir.join(format!("{name}.md")).display()
    );
    if !report.failures.is_empty() {
        eprintln!("\n{} check(s) FAILED:", report.failures.len());
        for f in &report.failures {
            eprintln!("  - {f}");
        }
        std::process::exit(1);
    }
}
