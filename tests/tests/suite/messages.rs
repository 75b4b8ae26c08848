//! Messages name fields the way the forms label them ("Hourly rate",
//! "End date", "Project"), never by an internal name (`hourly_rate`,
//! `to`, `project_id`), and the JSON API and the web pages say the same
//! words for the same input.

use std::path::{Path, PathBuf};

use tt_tests::session::{Browser, Page};
use tt_tests::{TestApp, json, spawn_app};

const PASSWORD: &str = "a-long-password";

/// The text of the first form problem or error flash on a page.
fn shown(page: &Page) -> String {
    for open in [
        "<p class=\"form-error\" role=\"alert\">",
        "<div class=\"flash flash-error\" role=\"alert\">",
    ] {
        if let Some(i) = page.body.find(open) {
            let rest = &page.body[i + open.len()..];
            let end = rest.find('<').unwrap_or(rest.len());
            return unescape(rest[..end].trim());
        }
    }
    panic!("no message on the page ({}):\n{}", page.status, page.body);
}

fn unescape(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The API's `message`, as the web shows it (first letter capitalised).
fn api_message(status: u16, body: &serde_json::Value) -> String {
    assert!((400..500).contains(&status), "{status}: {body}");
    let m = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message: {body}"));
    let mut c = m.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A word made of lower-case letters joined by `_` (`hourly_rate`), or a
/// bare `to:`/`from:` prefix: what a person should never read.
fn leaks_a_field_name(message: &str) -> bool {
    let snake = message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| {
            let lower = w.chars().skip(1).collect::<String>();
            w.contains('_')
                && w.starts_with(|c: char| c.is_ascii_alphabetic())
                && lower
                    .split('_')
                    .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
        });
    snake || message.starts_with("to:") || message.starts_with("from:") || message.contains(" to: ")
}

fn assert_human(what: &str, message: &str) {
    // The values a field accepts (`in_progress`) are what the API takes.
    let words = message.split("one of:").next().unwrap_or(message);
    assert!(
        !leaks_a_field_name(words),
        "{what}: the message names an internal field: {message:?}"
    );
}

fn browser(app: &TestApp, username: &str) -> Browser {
    let b = Browser::new(&app.base);
    b.sign_in(username, PASSWORD);
    b
}

fn id(v: &serde_json::Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

#[test]
fn the_leak_detector_sees_leaks() {
    for leak in [
        "Hourly_rate: must be a decimal",
        "to: must not be before from",
        "from: expected a date as YYYY-MM-DD",
        "project_id: no such project",
        "Give a task_id",
    ] {
        assert!(leaks_a_field_name(leak), "{leak}");
    }
    for fine in [
        "Hourly rate: must be a non-negative decimal with at most 2 decimals",
        "End date: must not be before the start date",
        "Project: no such project",
    ] {
        assert!(!leaks_a_field_name(fine), "{fine}");
    }
    // An accepted value in a list of values is not a field name.
    assert_human(
        "",
        "Status: must be one of: todo, in_progress, review, done",
    );
}

/// Bad input walked through the API and the matching web form: the same
/// words on both, every one of them human.
#[test]
fn api_and_web_name_fields_alike() {
    let app = spawn_app();
    app.create_user("boss", PASSWORD, true);
    app.create_user("alice", PASSWORD, false);
    let admin = app.login("boss", PASSWORD);
    let alice = app.login("alice", PASSWORD);
    let web_admin = browser(&app, "boss");
    let web_alice = browser(&app, "alice");

    let pid = id(&admin.post_ok("/api/v1/projects", &json!({"name": "Open"}), 201));
    let other = id(&admin.post_ok("/api/v1/projects", &json!({"name": "Other"}), 201));
    let foreign_task = id(&admin.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": other, "name": "Elsewhere"}),
        201,
    ));
    let (p, t) = (pid.to_string(), foreign_task.to_string());

    // (what, API answer, web page, the words both must say)
    let cases: Vec<(&str, (u16, serde_json::Value), Page, &str)> = vec![
        (
            "project with a bad hourly rate",
            admin.post(
                "/api/v1/projects",
                &json!({"name": "P", "hourly_rate": "12,50"}),
            ),
            web_admin.submit("/projects", &[("name", "P"), ("hourly_rate", "12,50")]),
            "Hourly rate: must be a non-negative decimal with at most 2 decimals",
        ),
        (
            "client with a bad hourly rate",
            admin.post(
                "/api/v1/clients",
                &json!({"name": "C", "default_hourly_rate": "-5"}),
            ),
            web_admin.submit("/clients", &[("name", "C"), ("default_hourly_rate", "-5")]),
            "Hourly rate: must be a non-negative decimal with at most 2 decimals",
        ),
        (
            "client with a bad e-mail address",
            admin.post("/api/v1/clients", &json!({"name": "C", "email": "nope"})),
            web_admin.submit("/clients", &[("name", "C"), ("email", "nope")]),
            "E-mail: is not a valid e-mail address",
        ),
        (
            "client with an unknown currency",
            admin.post("/api/v1/clients", &json!({"name": "C", "currency": "XYZ"})),
            web_admin.submit("/clients", &[("name", "C"), ("currency", "XYZ")]),
            "Currency: must be an ISO 4217 currency code such as EUR, USD or JPY",
        ),
        (
            "entry on an unknown project",
            alice.post(
                "/api/v1/time-entries",
                &json!({"project_id": 999_999, "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T10:00:00Z"}),
            ),
            web_alice.submit(
                "/entries",
                &[
                    ("project_id", "999999"),
                    ("date", "2026-03-02"),
                    ("start_time", "09:00"),
                    ("end_time", "10:00"),
                ],
            ),
            "Project: no such project",
        ),
        (
            "entry with a task of another project",
            alice.post(
                "/api/v1/time-entries",
                &json!({"project_id": pid, "task_id": foreign_task, "start": "2026-03-03T09:00:00Z", "end": "2026-03-03T10:00:00Z"}),
            ),
            web_alice.submit(
                "/entries",
                &[
                    ("project_id", &p),
                    ("task_id", &t),
                    ("date", "2026-03-03"),
                    ("start_time", "09:00"),
                    ("end_time", "10:00"),
                ],
            ),
            "Task: the task belongs to another project",
        ),
        (
            "task with a badly written due date",
            admin.post(
                "/api/v1/tasks",
                &json!({"project_id": pid, "name": "T", "due_date": "31.12.2026"}),
            ),
            web_admin.submit(
                "/tasks",
                &[("project_id", &p), ("name", "T"), ("due_date", "31.12.2026")],
            ),
            "Due date: expected a date as YYYY-MM-DD",
        ),
        (
            "report ending before it starts",
            admin.get("/api/v1/reports/summary?from=2026-03-10&to=2026-03-01"),
            web_admin.get("/reports?from=2026-03-10&to=2026-03-01"),
            "End date: must not be before the start date",
        ),
        (
            "report from a date that is no date",
            admin.get("/api/v1/reports/summary?from=2026-13-01&to=2026-03-01"),
            web_admin.get("/reports?from=2026-13-01&to=2026-03-01"),
            "Start date: expected a date as YYYY-MM-DD",
        ),
        (
            "an unknown time zone",
            alice.put("/api/v1/me/calendar", &json!({"time_zone": "Mars/Olympus"})),
            {
                web_alice.submit("/profile/calendar", &[("time_zone", "Mars/Olympus")]);
                web_alice.get("/profile")
            },
            "Time zone: is not a time zone name such as Europe/Berlin or America/New_York",
        ),
        (
            "a user name that is too short",
            admin.post(
                "/api/v1/users",
                &json!({"username": "al", "password": "a-long-enough-password"}),
            ),
            web_admin.submit(
                "/admin/users",
                &[
                    ("username", "al"),
                    ("password", "a-long-enough-password"),
                    ("role", "user"),
                ],
            ),
            "Username: must be 3 to 64 characters",
        ),
        (
            "a user name that is taken",
            admin.post(
                "/api/v1/users",
                &json!({"username": "ALICE", "password": "a-long-enough-password"}),
            ),
            web_admin.submit(
                "/admin/users",
                &[
                    ("username", "ALICE"),
                    ("password", "a-long-enough-password"),
                    ("role", "user"),
                ],
            ),
            "Username: is already taken (letter case does not make a name different)",
        ),
    ];
    for (what, (status, body), page, expected) in &cases {
        let api = api_message(*status, body);
        let web = shown(page);
        assert_human(what, &api);
        assert_human(what, &web);
        assert_eq!((*what, api.as_str()), (*what, *expected), "API");
        assert_eq!((*what, web.as_str()), (*what, *expected), "web");
    }

    // Inputs only one surface takes: still human.
    let api_only = [
        alice.get("/api/v1/time-entries?from=2026-03-10&to=2026-03-01"),
        alice.post(
            "/api/v1/time-entries",
            &json!({"project_id": pid, "start": "2026-03-02T10:00:00Z", "end": "2026-03-02T09:00:00Z"}),
        ),
        admin.post(
            "/api/v1/tasks",
            &json!({"project_id": pid, "name": "T", "status": "later"}),
        ),
        alice.post("/api/v1/me/tokens", &json!({"name": "", "expires_in_days": 0})),
        alice.post("/api/v1/me/tokens", &json!({"name": "ci", "expires_in_days": 0})),
    ];
    for (status, body) in &api_only {
        assert_human("API", &api_message(*status, body));
    }
    let web_only = [
        web_alice.submit(
            "/entries",
            &[
                ("project_id", &p),
                ("date", "2026-03-02"),
                ("start_time", "9 o'clock"),
                ("end_time", "10:00"),
            ],
        ),
        web_alice.submit(
            "/entries",
            &[
                ("project_id", &p),
                ("date", "1900-01-01"),
                ("start_time", "09:00"),
                ("end_time", "10:00"),
            ],
        ),
        web_alice.submit("/timer/start", &[("project_id", "")]),
        web_alice.get("/entries?from=2026-03-10&to=2026-03-01"),
    ];
    for page in &web_only {
        assert_human("web", &shown(page));
    }
}

/// Every field name that code hands to a message has a label in
/// `tt_domain::field_label`: the source is read for the calls that name
/// a field, so a new field without a label fails here.
#[test]
fn every_field_named_in_a_message_has_a_label() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        "crates/tt-domain/src",
        "crates/tt-app/src",
        "crates/tt-http/src",
        "bins/timetracker/src",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    // Calls whose first argument is a field name, and the enum macro.
    let callers = [
        "invalid_field(",
        "conflict_field(",
        "DomainError::invalid(",
        "field_message(",
        "input::id(",
        "id_of(",
        "input::date(",
        "input::opt_date(",
        "input::time_of_day(",
        "input::id_text(",
        "input::required_id_text(",
        "check_year(",
        ".instant(",
        "parse_fixed(raw, 2, ",
        "field: \"",
        " as \"",
    ];
    let (mut seen, mut missing) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for caller in callers {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(caller) {
                rest = &rest[i + caller.len()..];
                let arg = if caller.ends_with('"') {
                    rest
                } else {
                    let arg = rest.trim_start();
                    // `parse_fixed(raw, 2, MAX, "field")`: the last argument.
                    let arg = if caller.starts_with("parse_fixed") {
                        arg.split_once(", ").map_or(arg, |(_, a)| a)
                    } else {
                        arg
                    };
                    let Some(a) = arg.strip_prefix('"') else {
                        continue;
                    };
                    a
                };
                let Some(name) = arg.split('"').next() else {
                    continue;
                };
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    continue;
                }
                seen += 1;
                if tt_domain::field_label(name) == "Value" {
                    missing.push(format!("{name} ({})", file.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields without a label in tt_domain::field_label: {missing:#?}"
    );
    assert!(
        seen > 40,
        "only {seen} field names found: is the scan broken?"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
