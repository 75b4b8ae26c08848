//! Operator observability, black-box: the JSON access log (and what must
//! never be in it), request ids, `/metrics` (bounded labels, the bearer
//! token, `promtool`, a real Prometheus scrape), Sentry reports through a
//! loopback envelope receiver, and request spans for the operator's own
//! OpenTelemetry collector.
//!
//! The metrics registry is process-wide while every test starts its own app,
//! so metric assertions look at deltas and presence, never at exact totals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "observability/peers.rs"]
pub(crate) mod peers;
#[path = "observability/tracing.rs"]
mod tracing;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use timetracker::Background;
use tt_tests::{Db, TestApp, json, spawn_app_with, test_settings};

use tt_testkit::sentry::Receiver;

// ------------------------------------------------------------------ helpers

/// Every JSON line the app has written to its log directory so far.
fn log_lines(app: &TestApp) -> Vec<Value> {
    log_text(app)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The raw contents of every log file (the `app.jsonl` symlink skipped, it
/// points at one of them).
fn log_text(app: &TestApp) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(&app.settings.log_dir).expect("log dir") {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file()
            && entry.file_name().to_string_lossy().starts_with("app.")
        {
            text.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    text
}

/// Waits (the file is written by a background thread) for the access line
/// of the request with id `request_id`.
fn access_line(app: &TestApp, request_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<Value> = log_lines(app)
            .into_iter()
            .filter(|l| l["target"] == "tt_http::access" && l["fields"]["request_id"] == request_id)
            .collect();
        match found.len() {
            1 => return found.into_iter().next().unwrap(),
            0 if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            n => panic!("{n} access lines for request {request_id}"),
        }
    }
}

fn get_with_id(app: &TestApp, path: &str, request_id: &str) -> reqwest::blocking::Response {
    app.http
        .get(app.url(path))
        .header("X-Request-ID", request_id)
        .send()
        .unwrap()
}

fn metrics_text(app: &TestApp) -> String {
    let resp = app.http.get(app.url("/metrics")).send().unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().unwrap()
}

/// The value of the sample whose line starts with `series` (name and
/// labels exactly as rendered), if present.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

/// Series of `tt_http_requests_total`, as their label sets.
fn request_series(metrics: &str) -> BTreeSet<String> {
    metrics
        .lines()
        .filter(|l| l.starts_with("tt_http_requests_total{"))
        .filter_map(|l| l.rsplit_once(' ').map(|(s, _)| s.to_owned()))
        .collect()
}

fn sqlite_app(adjust: impl FnOnce(&mut timetracker::Settings)) -> TestApp {
    spawn_app_with(Db::Sqlite, |s| {
        s.log_level = "info".into();
        adjust(s);
    })
    .expect("sqlite app")
}

/// Breaks the `projects` table behind the app's back, so listing projects
/// fails inside the handler with a real database error.
fn break_projects_table(app: &TestApp) {
    use diesel::{Connection, RunQueryDsl};
    let url = app.settings.database_url();
    let path = url.strip_prefix("sqlite://").unwrap_or(&url);
    let mut conn = diesel::SqliteConnection::establish(path).unwrap();
    diesel::sql_query("ALTER TABLE projects RENAME TO projects_moved_away")
        .execute(&mut conn)
        .unwrap();
}

// --------------------------------------------------------------- access log

#[test]
fn each_request_writes_one_access_line_with_the_route_template() {
    let app = sqlite_app(|_| {});
    let api = app.user("obsuser", false);
    let uid = api.get("/api/v1/me").1["id"].as_i64().unwrap();
    let resp = api
        .request(Method::GET, "/api/v1/projects/987654")
        .header("X-Request-ID", "obs-template-1")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 404);

    let line = access_line(&app, "obs-template-1");
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["fields"]["message"], "request", "{line}");
    let f = &line["fields"];
    assert_eq!(f["method"], "GET");
    assert_eq!(f["route"], "/api/v1/projects/{id}", "{line}");
    assert_eq!(f["status"], 404);
    assert_eq!(f["user_id"], uid, "{line}");
    assert_eq!(f["error_code"], "not_found");
    assert!(f["duration_ms"].as_f64().unwrap() >= 0.0, "{line}");
    assert!(
        line["timestamp"].as_str().unwrap().starts_with("20"),
        "{line}"
    );
    assert!(f.get("client_ip").is_none(), "{line}");

    // Anonymous requests have no user id; unmatched paths share one route.
    get_with_id(&app, "/no/such/page/42", "obs-template-2");
    let line = access_line(&app, "obs-template-2");
    assert_eq!(line["fields"]["route"], tt_http::UNMATCHED_ROUTE, "{line}");
    assert!(line["fields"].get("user_id").is_none(), "{line}");
    assert!(!line.to_string().contains("/no/such/page"), "{line}");

    // The newest file is reachable as logs/app.jsonl.
    let link = app
        .settings
        .log_dir
        .join(timetracker::observability::LOG_FILE);
    assert!(link.is_symlink(), "{} should be a symlink", link.display());
    assert!(
        std::fs::read_to_string(&link)
            .unwrap()
            .contains("obs-template-1")
    );
}

#[test]
fn request_ids_are_echoed_when_well_formed_and_replaced_otherwise() {
    let app = sqlite_app(|_| {});
    let resp = get_with_id(&app, "/healthz", "client-id.1_2-3");
    assert_eq!(resp.headers()["x-request-id"], "client-id.1_2-3");
    access_line(&app, "client-id.1_2-3");

    for bad in ["has space", "quote\"d", &"x".repeat(65), "semi;colon"] {
        let resp = get_with_id(&app, "/healthz", bad);
        let echoed = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(echoed, bad);
        assert_eq!(echoed.len(), 32, "{echoed}");
        assert!(echoed.bytes().all(|b| b.is_ascii_hexdigit()), "{echoed}");
        access_line(&app, &echoed);
    }
    let resp = app.http.get(app.url("/healthz")).send().unwrap();
    assert_eq!(resp.headers()["x-request-id"].len(), 32);
}

#[test]
fn server_errors_are_logged_with_their_cause_chain() {
    let app = sqlite_app(|_| {});
    let api = app.user("obsbroken", false);
    break_projects_table(&app);
    let resp = api
        .request(Method::GET, "/api/v1/projects")
        .header("X-Request-ID", "obs-broken-1")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 500);
    let body = resp.text().unwrap();
    assert!(
        !body.contains("projects"),
        "details must not reach the client: {body}"
    );

    let line = access_line(&app, "obs-broken-1");
    assert_eq!(line["level"], "ERROR", "{line}");
    assert_eq!(line["fields"]["status"], 500);
    assert_eq!(line["fields"]["route"], "/api/v1/projects");
    let error = line["fields"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("no such table"),
        "cause chain missing: {line}"
    );
    // The handler's own error line carries the request id through its span.
    let lines = log_lines(&app);
    assert!(
        lines.iter().any(|l| l["target"] != "tt_http::access"
            && l["span"]["request_id"] == "obs-broken-1"
            && l["level"] == "ERROR"),
        "no in-request error line tagged with the request id"
    );
}

#[test]
fn client_addresses_are_logged_only_when_asked_for() {
    let app = sqlite_app(|s| s.log_client_ip = true);
    get_with_id(&app, "/healthz", "obs-ip-1");
    assert_eq!(
        access_line(&app, "obs-ip-1")["fields"]["client_ip"],
        "127.0.0.1"
    );
}

#[test]
fn an_unwritable_log_directory_stops_start_up_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let mut settings = test_settings(dir.path(), None);
    settings.log_dir = blocker.join("logs");
    let err = Background::start(&settings).expect_err("must not start");
    let text = format!("{err:#}");
    assert!(text.contains("LOG_DIR"), "{text}");
    assert!(text.contains("a-file"), "{text}");
}

/// Planted values that must never reach a log file. Each contains `cnry`,
/// which no generated id or number can contain.
const PASSWORD: &str = "Cnry-Password-0001";
const SECOND_PASSWORD: &str = "Cnry-Password-0002";
const EMAIL: &str = "cnry.person@example.org";
const NOTE: &str = "cnry note about a dentist appointment";
const COOKIE: &str = "tt_session=cnry-cookie-value";
const BEARER: &str = "tt_cnry_not_a_real_token";
const API_KEY: &str = "cnry-api-key";

/// Every API route (ids filled in), for driving with planted values.
const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("PUT", "/api/v1/users/1"),
    ("GET", "/api/v1/clients"),
    ("POST", "/api/v1/clients"),
    ("GET", "/api/v1/clients/1"),
    ("PUT", "/api/v1/clients/1"),
    ("DELETE", "/api/v1/clients/999"),
    ("GET", "/api/v1/projects"),
    ("POST", "/api/v1/projects"),
    ("GET", "/api/v1/projects/1"),
    ("PUT", "/api/v1/projects/1"),
    ("DELETE", "/api/v1/projects/999"),
    ("GET", "/api/v1/tasks"),
    ("POST", "/api/v1/tasks"),
    ("GET", "/api/v1/tasks/1"),
    ("PUT", "/api/v1/tasks/1"),
    ("DELETE", "/api/v1/tasks/999"),
    ("GET", "/api/v1/comments"),
    ("POST", "/api/v1/comments"),
    ("GET", "/api/v1/comments/1"),
    ("PUT", "/api/v1/comments/1"),
    ("DELETE", "/api/v1/comments/999"),
    ("GET", "/api/v1/timer"),
    ("POST", "/api/v1/timer/start"),
    ("POST", "/api/v1/timer/stop"),
    ("GET", "/api/v1/time-entries"),
    ("POST", "/api/v1/time-entries"),
    ("GET", "/api/v1/time-entries/1"),
    ("PUT", "/api/v1/time-entries/1"),
    ("DELETE", "/api/v1/time-entries/999"),
    ("GET", "/api/v1/invoices"),
    ("POST", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices/1"),
    ("PUT", "/api/v1/invoices/1/status"),
    ("DELETE", "/api/v1/invoices/999"),
    ("GET", "/api/v1/reports/summary"),
    ("GET", "/api/v1/reports/entries.csv"),
    ("GET", "/api/v1/admin/telemetry"),
    ("PUT", "/api/v1/admin/telemetry"),
    ("GET", "/metrics"),
];

/// The web UI's pages and forms.
const WEB_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/help"),
    ("POST", "/timer/start"),
    ("POST", "/timer/stop"),
    ("GET", "/entries"),
    ("POST", "/entries"),
    ("GET", "/entries/1/edit"),
    ("POST", "/entries/1/edit"),
    ("POST", "/entries/999/delete"),
    ("GET", "/clients"),
    ("POST", "/clients"),
    ("GET", "/clients/1/edit"),
    ("POST", "/clients/1/edit"),
    ("POST", "/clients/1/archive"),
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/1"),
    ("GET", "/projects/1/edit"),
    ("POST", "/projects/1/edit"),
    ("GET", "/tasks"),
    ("POST", "/tasks"),
    ("GET", "/tasks/1"),
    ("POST", "/tasks/1"),
    ("POST", "/tasks/999/delete"),
    ("POST", "/comments"),
    ("POST", "/comments/999/delete"),
    ("GET", "/invoices"),
    ("POST", "/invoices"),
    ("GET", "/invoices/1"),
    ("GET", "/invoices/1/print"),
    ("POST", "/invoices/1/status"),
    ("POST", "/invoices/999/delete"),
    ("GET", "/reports"),
    ("GET", "/reports/entries.csv"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/2"),
    ("GET", "/setup"),
    ("GET", "/static/app.css"),
];

/// A JSON body carrying every planted value under the field names the API
/// actually reads.
fn canary_json() -> Value {
    json!({
        "username": "cnryname", "password": PASSWORD, "email": EMAIL,
        "name": "cnry client name", "notes": NOTE, "body": NOTE,
        "description": NOTE, "project_id": 1, "role": "user",
    })
}

fn canary_form() -> String {
    format!(
        "username=cnryname&password={PASSWORD}&email={}&notes={}&body={}&name=cnry+name&csrf_token=cnry-csrf",
        EMAIL.replace('@', "%40"),
        NOTE.replace(' ', "+"),
        NOTE.replace(' ', "+"),
    )
}

#[test]
fn no_secret_or_personal_value_reaches_the_log() {
    let app = spawn_app_with(Db::Sqlite, |s| s.log_level = "debug".into()).unwrap();
    let admin = app.user("obsadmin", true);

    // Real personal data and credentials, through the real flows.
    admin.post_ok(
        "/api/v1/users",
        &json!({"username": "cnryperson", "password": SECOND_PASSWORD, "email": EMAIL, "role": "user"}),
        201,
    );
    let person = app.login("cnryperson", SECOND_PASSWORD);
    let real_token = person.token.clone().unwrap();
    let client = admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "cnry client ltd", "email": EMAIL}),
        201,
    );
    let project = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "cnry project", "client_id": client["id"], "description": NOTE}),
        201,
    );
    person.post_ok(
        "/api/v1/timer/start",
        &json!({"project_id": project["id"], "notes": NOTE}),
        201,
    );
    let (status, _) = person.post("/api/v1/timer/stop", &json!({}));
    assert!(status < 300, "stop: {status}");
    person.post_ok(
        "/api/v1/comments",
        &json!({"project_id": project["id"], "body": NOTE}),
        201,
    );
    // Failed logins, validation errors echoing input, malformed JSON.
    let (s, _) = app.anonymous().post(
        "/api/v1/auth/login",
        &json!({"username": "cnryperson", "password": PASSWORD}),
    );
    assert_eq!(s, 401);
    let (s, _) = admin.post(
        "/api/v1/clients",
        &json!({"name": "x", "email": "cnry-not-an-email"}),
    );
    assert_eq!(s, 422);
    let resp = admin
        .request(Method::POST, "/api/v1/clients")
        .header("Content-Type", "application/json")
        .body(format!("{{\"name\": \"{NOTE}"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);

    // Every route, with planted values in headers, query, path and body.
    let routes = API_ROUTES.iter().chain(WEB_ROUTES);
    for (i, (method, path)) in routes.enumerate() {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let query = format!("?q={}&email={}", "cnry-query", EMAIL.replace('@', "%40"));
        let token = if i % 2 == 0 { &real_token } else { BEARER };
        let mut req = app
            .http
            .request(method.clone(), app.url(&format!("{path}{query}")))
            .header("Authorization", format!("Bearer {token}"))
            .header("Cookie", COOKIE)
            .header("X-Api-Key", API_KEY)
            .header("User-Agent", "cnry-agent/1.0")
            .header("Referer", "https://cnry-referrer.example/")
            .header("X-Forwarded-For", "203.0.113.77")
            .header("X-Request-ID", "cnry has spaces so is replaced");
        if method != Method::GET {
            req = if path.starts_with("/api/") {
                req.json(&canary_json())
            } else {
                req.header("Content-Type", "application/x-www-form-urlencoded")
                    .body(canary_form())
            };
        }
        let resp = req.send().unwrap();
        let _ = resp.text();
    }
    // Unmatched paths carrying personal data.
    for path in ["/cnry-path/cnry.person@example.org", "/api/v1/cnry-unknown"] {
        app.http.get(app.url(path)).send().unwrap();
    }

    // Wait for the log to catch up with a last, marked request.
    get_with_id(&app, "/healthz", "obs-canary-end");
    access_line(&app, "obs-canary-end");

    let text = log_text(&app);
    assert!(text.lines().count() > API_ROUTES.len(), "too few log lines");
    let lower = text.to_lowercase();
    for planted in [
        "cnry",
        PASSWORD,
        SECOND_PASSWORD,
        EMAIL,
        "example.org",
        NOTE,
        COOKIE,
        BEARER,
        real_token.as_str(),
        API_KEY,
        "203.0.113.77",
    ] {
        assert!(
            !lower.contains(&planted.to_lowercase()),
            "the log contains {planted:?}:\n{}",
            text.lines()
                .filter(|l| l.to_lowercase().contains(&planted.to_lowercase()))
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    for line in log_lines(&app) {
        if line["target"] == "tt_http::access" {
            assert!(line["fields"].get("client_ip").is_none(), "{line}");
            assert!(!line.to_string().contains("127.0.0.1"), "{line}");
        }
    }
}

// ------------------------------------------------------------------ metrics

#[test]
fn metrics_count_requests_by_route_template_with_a_latency_histogram() {
    let app = sqlite_app(|_| {});
    let before = metrics_text(&app);
    let ok = r#"tt_http_requests_total{method="GET",route="/healthz",status="200"}"#;
    let start = sample(&before, ok).unwrap_or(0.0);
    for _ in 0..3 {
        app.http.get(app.url("/healthz")).send().unwrap();
    }
    let api = app.user("obsmetrics", false);
    api.get("/api/v1/projects/424242");
    let after = metrics_text(&app);

    assert!(sample(&after, ok).unwrap() >= start + 3.0, "{after}");
    assert!(
        sample(
            &after,
            r#"tt_http_requests_total{method="GET",route="/api/v1/projects/{id}",status="404"}"#
        )
        .is_some(),
        "{after}"
    );
    assert!(
        after.contains(
            r#"tt_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.005"}"#
        ),
        "latency must be a histogram with buckets: {after}"
    );
    assert!(after.contains("# TYPE tt_http_request_duration_seconds histogram"));
    let build = if timetracker::Settings::official_build() {
        "official"
    } else {
        "self-hosted"
    };
    assert_eq!(
        sample(
            &after,
            &format!(
                "tt_build_info{{version=\"{}\",build=\"{build}\"}}",
                timetracker::VERSION
            )
        ),
        Some(1.0),
        "{after}"
    );
    for gauge in [
        "tt_active_timers",
        "tt_db_pool_connections_in_use",
        "tt_db_pool_connections_idle",
        "tt_db_pool_connections_max",
    ] {
        assert!(sample(&after, gauge).is_some(), "{gauge} missing: {after}");
        assert!(
            after.contains(&format!("# HELP {gauge} ")),
            "{gauge} has no HELP"
        );
    }
    for name in [
        "tt_http_requests_total",
        "tt_http_request_duration_seconds",
        "tt_build_info",
    ] {
        assert!(
            after.contains(&format!("# HELP {name} ")),
            "{name} has no HELP"
        );
    }
    // No label anywhere could identify a user.
    for forbidden in ["user=", "user_id=", "username=", "email=", "ip="] {
        assert!(!after.contains(forbidden), "label {forbidden} in {after}");
    }
}

#[test]
fn active_timers_gauge_follows_the_database() {
    let app = sqlite_app(|_| {});
    let api = app.user("obstimer", true);
    let project = api.post_ok("/api/v1/projects", &json!({"name": "Gauge"}), 201);
    api.post_ok(
        "/api/v1/timer/start",
        &json!({"project_id": project["id"]}),
        201,
    );
    // The gauge is process-wide and set at scrape time from the scraped
    // app's database (exactly one timer runs here); another test's scrape
    // can slip in between, hence a few tries.
    let scraped =
        |want: f64| (0..20).any(|_| sample(&metrics_text(&app), "tt_active_timers") == Some(want));
    assert!(
        scraped(1.0),
        "tt_active_timers never showed the running timer"
    );
    api.post("/api/v1/timer/stop", &json!({}));
    assert!(scraped(0.0), "tt_active_timers never dropped back to 0");
}

#[test]
fn a_thousand_random_paths_add_no_series() {
    let app = sqlite_app(|_| {});
    // Settle the series this test's own requests create.
    app.http.get(app.url("/warm-up/unmatched")).send().unwrap();
    app.http.get(app.url("/api/v1/warm-up")).send().unwrap();
    let before = request_series(&metrics_text(&app));
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..1000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let path = if i % 2 == 0 {
            format!("/scan/{seed:x}/{i}")
        } else {
            format!("/api/v1/{seed:x}")
        };
        let resp = app.http.get(app.url(&path)).send().unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    let after = metrics_text(&app);
    let series = request_series(&after);
    // Other tests in this process may add a few series of real routes
    // meanwhile; a thousand paths must not add anything like a thousand.
    let new = series.difference(&before).count();
    assert!(new < 20, "{new} new series after 1,000 random paths");
    let unmatched = series
        .iter()
        .filter(|s| s.contains(r#"route="unmatched""#))
        .count();
    assert!(
        (1..=10).contains(&unmatched),
        "{unmatched} unmatched series"
    );
    let routes: BTreeSet<&str> = series
        .iter()
        .filter_map(|s| s.split("route=\"").nth(1)?.split('"').next())
        .collect();
    assert!(
        routes.len() < 150,
        "{} distinct routes: {routes:?}",
        routes.len()
    );
    assert!(
        routes
            .iter()
            .all(|r| *r == "unmatched" || r.starts_with('/')),
        "{routes:?}"
    );
    assert!(!after.contains("/scan/"), "a raw path leaked into a label");
    assert!(
        !after.contains(&format!("{seed:x}")),
        "a raw path leaked into a label"
    );
}

#[test]
fn metrics_token_is_required_when_set() {
    let app = sqlite_app(|s| s.metrics_token = Some(SecretString::from("obs-metrics-token")));
    let get = |auth: Option<&str>| {
        let mut req = app.http.get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send().unwrap()
    };
    let denied = get(None);
    assert_eq!(denied.status(), 401);
    assert!(
        denied.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(get(Some("Bearer wrong-token")).status(), 401);
    assert_eq!(get(Some("Basic b2JzOm9icw==")).status(), 401);
    let ok = get(Some("Bearer obs-metrics-token"));
    assert_eq!(ok.status(), 200);
    assert!(ok.text().unwrap().contains("tt_http_requests_total"));
}

#[test]
fn metrics_can_be_switched_off() {
    let app = sqlite_app(|s| s.metrics_enabled = false);
    let resp = app.http.get(app.url("/metrics")).send().unwrap();
    assert_eq!(resp.status(), 404);
    // Requests are still served and logged.
    let resp = get_with_id(&app, "/readyz", "no-metrics");
    assert_eq!(resp.status(), 200);
    assert_eq!(access_line(&app, "no-metrics")["fields"]["status"], 200);
}

#[test]
fn promtool_accepts_the_metrics() {
    let Some(promtool) = peers::require_tool(
        "promtool",
        "apt-get install -y --no-install-recommends prometheus",
        "promtool check metrics",
    ) else {
        return;
    };
    let app = sqlite_app(|_| {});
    let api = app.user("obspromtool", false);
    api.get("/api/v1/projects");
    app.http.get(app.url("/no/such/thing")).send().unwrap();
    let text = metrics_text(&app);
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed ({}):\n{}{}\n--- metrics ---\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_real_prometheus_scrapes_the_app() {
    let Some(prometheus) = peers::require_tool(
        "prometheus",
        "apt-get install -y --no-install-recommends prometheus",
        "a real Prometheus scrape",
    ) else {
        return;
    };
    let app = sqlite_app(|s| s.metrics_token = Some(SecretString::from("obs-scrape-token")));
    for _ in 0..3 {
        app.http.get(app.url("/healthz")).send().unwrap();
    }
    let target = app.base.trim_start_matches("http://").to_owned();
    let server = peers::Prometheus::start(&prometheus, &target, Some("obs-scrape-token"));
    let up = server.query_until_found(r#"up{job="timetracker"} == 1"#, Duration::from_secs(90));
    assert_eq!(up[0]["metric"]["instance"], target.as_str());
    let healthz = server.query_until_found(
        r#"tt_http_requests_total{job="timetracker",route="/healthz",status="200"}"#,
        Duration::from_secs(30),
    );
    let value: f64 = healthz[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!(value >= 3.0, "{healthz:?}");
    server.query_until_found(
        r#"histogram_quantile(0.9, sum by (le) (rate(tt_http_request_duration_seconds_bucket{job="timetracker"}[1m])))"#,
        Duration::from_secs(30),
    );
}

// ------------------------------------------------------------------- Sentry

#[test]
fn server_errors_reach_sentry_without_personal_data() {
    let receiver = Receiver::start();
    let dsn = receiver.dsn();
    let app = sqlite_app(|s| {
        s.sentry_dsn = Some(SecretString::from(dsn));
        s.sentry_traces_rate = 1.0;
        s.sentry_environment = Some("obs-test".into());
    });
    let api = app.user("obssentry", false);
    let uid = api.get("/api/v1/me").1["id"].as_i64().unwrap();
    let token = api.token.clone().unwrap();
    break_projects_table(&app);
    let resp = api
        .request(Method::GET, "/api/v1/projects")
        .header("Cookie", COOKIE)
        .header("From", EMAIL)
        .header("X-Api-Key", API_KEY)
        .header("User-Agent", "cnry-agent/1.0")
        .header("X-Forwarded-For", "203.0.113.77")
        .header("Host", "cnry-host.example")
        .header("X-Request-ID", "obs-sentry-1")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 500);

    let event = receiver
        .wait_for(Duration::from_secs(20), |b| b.contains(r#""type":"event""#))
        .expect("no event reached the receiver");
    assert!(
        event.contains(&format!(r#""user":{{"id":"{uid}"}}"#)),
        "{event}"
    );
    assert!(event.contains(r#""request_id":"obs-sentry-1""#), "{event}");
    assert!(event.contains(r#""route":"/api/v1/projects""#), "{event}");
    assert!(
        event.contains(&format!("timetracker@{}", timetracker::VERSION)),
        "{event}"
    );
    assert!(event.contains(r#""environment":"obs-test""#), "{event}");
    // The transaction (traces rate 1.0) goes through the same scrubbing.
    let transaction = receiver
        .wait_for(Duration::from_secs(20), |b| {
            b.contains(r#""type":"transaction""#)
        })
        .expect("no transaction reached the receiver");

    let hostname = timetracker::installation::hostname();
    for body in [&event, &transaction] {
        let lower = body.to_lowercase();
        for planted in [
            "cnry",
            EMAIL,
            "example.org",
            COOKIE,
            token.as_str(),
            API_KEY,
            "203.0.113.77",
            "authorization",
            "x-api-key",
            "cookie",
            "server_name",
            "remote_addr",
        ] {
            assert!(
                !lower.contains(&planted.to_lowercase()),
                "{planted:?} sent to Sentry: {body}"
            );
        }
        if hostname.len() >= 4 {
            assert!(
                !body.contains(&hostname),
                "the host name was sent to Sentry: {body}"
            );
        }
    }
}

#[test]
fn without_a_dsn_nothing_is_sent() {
    let receiver = Receiver::start();
    let app = sqlite_app(|s| s.sentry_dsn = Some(SecretString::from("")));
    let api = app.user("obsnodsn", false);
    break_projects_table(&app);
    assert_eq!(api.get("/api/v1/projects").0, 500);
    std::thread::sleep(Duration::from_secs(2));
    drop(app);
    assert!(receiver.bodies().is_empty(), "{:?}", receiver.bodies());
}

#[test]
fn an_embedded_dsn_sends_only_with_detailed_consent() {
    use tt_consent::ConsentLevel;
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let installation = std::sync::Arc::new(
        tt_installation::Installation::open_in_dir(
            dir.path(),
            tt_consent::DeployerPolicy::Unset,
            true,
        )
        .unwrap(),
    );
    installation.complete_setup(false, false, "test").unwrap();
    let settings = timetracker::Settings::default();
    let capture = |embedded: bool, message: &str| {
        let options = timetracker::observability::sentry_options(
            &settings,
            &receiver.dsn(),
            embedded,
            installation.clone(),
        )
        .unwrap();
        let client = std::sync::Arc::new(sentry::Client::from(options));
        let hub = sentry::Hub::new(
            Some(client.clone()),
            std::sync::Arc::new(sentry::Scope::default()),
        );
        hub.capture_message(message, sentry::Level::Error);
        client.close(Some(Duration::from_secs(5)));
    };

    capture(true, "embedded-without-consent");
    capture(false, "operator-dsn-always");
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |b| b
                .contains("operator-dsn-always"))
            .is_some()
    );
    assert!(
        receiver
            .bodies()
            .iter()
            .all(|b| !b.contains("embedded-without-consent")),
        "an embedded DSN sent without consent"
    );

    installation
        .set_consent(ConsentLevel::Detailed, true, "user:1")
        .unwrap();
    capture(true, "embedded-with-consent");
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |b| b
                .contains("embedded-with-consent"))
            .is_some()
    );

    installation
        .set_consent(ConsentLevel::Detailed, false, "user:1")
        .unwrap();
    capture(true, "embedded-after-withdrawal");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        receiver
            .bodies()
            .iter()
            .all(|b| !b.contains("embedded-after-withdrawal")),
        "an embedded DSN sent after consent was withdrawn"
    );
}

#[test]
fn a_real_sentry_compatible_server_groups_the_errors() {
    let Some(bugsink) = peers::Bugsink::from_env() else {
        return;
    };
    let marker = format!(
        "bugsink-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let app = sqlite_app(|s| {
        s.sentry_dsn = Some(SecretString::from(bugsink.dsn.clone()));
        s.sentry_traces_rate = 0.0;
    });
    let api = app.user("obsbugsink", false);
    let token = api.token.clone().unwrap();
    break_projects_table(&app);
    for n in 1..=2 {
        let resp = api
            .request(Method::GET, "/api/v1/projects")
            .header("Cookie", COOKIE)
            .header("From", EMAIL)
            .header("X-Request-ID", format!("{marker}-{n}"))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 500);
    }
    // Stopping the app flushes its Sentry queue.
    drop(app);

    let deadline = Instant::now() + Duration::from_secs(30);
    let (issue, events) = loop {
        let issues = bugsink.api(&format!("issues/?project={}", bugsink.project()));
        let found = issues["results"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|issue| {
                let id = issue["id"].as_str()?;
                let events: Vec<Value> = bugsink.api(&format!("events/?issue={id}"))["results"]
                    .as_array()?
                    .iter()
                    .filter_map(|e| e["id"].as_str())
                    .map(|e| bugsink.api(&format!("events/{e}/")))
                    .filter(|e| {
                        e["data"]["tags"]["request_id"]
                            .as_str()
                            .is_some_and(|r| r.starts_with(&marker))
                    })
                    .collect();
                (events.len() == 2).then(|| (issue.clone(), events))
            });
        if let Some(found) = found {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "Bugsink never grouped both events into one issue"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(issue["calculated_value"], "internal error", "{issue}");
    for event in events {
        let data = event["data"].to_string();
        for planted in [EMAIL, COOKIE, token.as_str(), "example.org"] {
            assert!(
                !data.contains(planted),
                "{planted:?} stored by Bugsink: {data}"
            );
        }
        assert_eq!(event["data"]["tags"]["route"], "/api/v1/projects", "{data}");
        assert!(event["data"]["user"]["id"].is_string(), "{data}");
    }
}
