//! Bad input always gets a clear 4xx JSON error, never a 500.

use reqwest::Method;
use tt_tests::{Db, json, spawn_app, spawn_app_with};

#[test]
fn malformed_wrong_types_huge_and_unknown() {
    let app = spawn_app();
    let admin = app.user("boss", true);
    let send_raw = |method: Method, path: &str, ctype: &str, body: Vec<u8>| {
        let resp = admin
            .request(method, path)
            .header("content-type", ctype)
            .body(body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp.json().unwrap_or(serde_json::Value::Null);
        (status, v)
    };
    // Malformed JSON.
    let (s, b) = send_raw(
        Method::POST,
        "/api/v1/clients",
        "application/json",
        b"{\"name\": ".to_vec(),
    );
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("malformed_json"))
    );
    // Wrong types and unknown fields.
    let (s, b) = admin.post("/api/v1/clients", &json!({"name": 42}));
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
    assert_eq!(
        admin
            .post("/api/v1/clients", &json!({"name": "A", "colour": "red"}))
            .0,
        422
    );
    assert_eq!(
        admin
            .post("/api/v1/timer/start", &json!({"project_id": "seven"}))
            .0,
        422
    );
    // Invalid values.
    assert_eq!(admin.post("/api/v1/clients", &json!({"name": "  "})).0, 422);
    assert_eq!(
        admin
            .post(
                "/api/v1/clients",
                &json!({"name": "A", "default_hourly_rate": "-5"})
            )
            .0,
        422
    );
    assert_eq!(
        admin
            .post(
                "/api/v1/clients",
                &json!({"name": "A", "email": "not-an-email"})
            )
            .0,
        422
    );
    assert_eq!(
        admin
            .post("/api/v1/timer/start", &json!({"project_id": 0}))
            .0,
        422
    );
    assert_eq!(
        admin
            .post("/api/v1/timer/start", &json!({"project_id": 424242}))
            .0,
        422
    );
    // Wrong content type.
    let (s, _) = send_raw(
        Method::POST,
        "/api/v1/clients",
        "text/plain",
        b"{}".to_vec(),
    );
    assert_eq!(s, 415);
    // 1 MB+ body.
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(1_100_000));
    let (s, b) = send_raw(
        Method::POST,
        "/api/v1/clients",
        "application/json",
        huge.into_bytes(),
    );
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // Unknown ids, non-numeric ids, unknown routes.
    assert_eq!(admin.get("/api/v1/projects/999999").0, 404);
    assert_eq!(admin.get("/api/v1/projects/abc").0, 404);
    assert_eq!(admin.get("/api/v1/projects/-1").0, 404);
    assert_eq!(admin.get("/api/v1/projects/99999999999999999999999").0, 404);
    let (s, b) = admin.get("/api/v1/nothing-here");
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    // Bad query strings.
    assert_eq!(admin.get("/api/v1/time-entries?limit=abc").0, 400);
    assert_eq!(admin.get("/api/v1/time-entries?limit=0").0, 422);
    assert_eq!(admin.get("/api/v1/reports/summary?from=yesterday").0, 422);
    // Nothing was created by any of that.
    assert_eq!(admin.get("/api/v1/clients").1.as_array().unwrap().len(), 0);
    // Malformed Authorization headers.
    for value in [
        "Bearer",
        "Basic Zm9vOmJhcg==",
        "Bearer ",
        &format!("Bearer {}", "x".repeat(5000)),
    ] {
        let resp = app
            .http
            .get(app.url("/api/v1/me"))
            .header("authorization", value)
            .send()
            .unwrap();
        assert_eq!(resp.status(), 401, "{value:.20}");
    }
}

#[test]
fn login_is_rate_limited() {
    let app = spawn_app_with(Db::Sqlite, |s| s.login_max_failures = 3).unwrap();
    app.create_user("alice", "correct-password", false);
    let anon = app.anonymous();
    for _ in 0..3 {
        assert_eq!(
            anon.post(
                "/api/v1/auth/login",
                &json!({"username": "alice", "password": "wrong-one"})
            )
            .0,
            401
        );
    }
    // Now even the right password is refused for a while, with Retry-After.
    let resp = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": "correct-password"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some());
}

/// Parallel guesses cannot slip past the limit: each attempt is counted
/// before its password is checked.
#[test]
fn parallel_guesses_are_counted_before_checking() {
    let app = spawn_app_with(Db::Sqlite, |s| s.login_max_failures = 5).unwrap();
    app.create_user("alice", "correct-password", false);
    let barrier = std::sync::Barrier::new(30);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..30)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    app.anonymous()
                        .post(
                            "/api/v1/auth/login",
                            &json!({"username": "alice", "password": "wrong-one"}),
                        )
                        .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");
}

tt_tests::on_both_backends!(parallel_guesses_over_three_replicas_are_limited_as_one);

/// Guesses spread over three replicas of one database, fired in parallel,
/// are limited exactly as if one server saw them all; a replica started
/// afterwards (a restart) still refuses.
fn parallel_guesses_over_three_replicas_are_limited_as_one(app: &tt_tests::TestApp) {
    let mut app_settings = app.settings.clone();
    app_settings.login_max_failures = 5;
    // The app under test runs with the suite's generous limit; these three
    // replicas share its database with a limit of five.
    let start = |n: usize| {
        let mut s = app_settings.clone();
        s.port = 0;
        s.log_dir = app.dir.path().join(format!("logs-throttle-{n}"));
        timetracker::Background::start(&s).expect("replica")
    };
    let replicas = [start(1), start(2), start(3)];
    app.create_user("alice", "correct-password", false);
    let login = |addr: std::net::SocketAddr, password: &str| {
        app.http
            .post(format!("http://{addr}/api/v1/auth/login"))
            .json(&json!({"username": "alice", "password": password}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let barrier = std::sync::Barrier::new(30);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..30)
            .map(|i| {
                let (barrier, replicas, login) = (&barrier, &replicas, &login);
                s.spawn(move || {
                    barrier.wait();
                    login(replicas[i % 3].addr, "wrong-one")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");
    for r in &replicas {
        assert_eq!(login(r.addr, "correct-password"), 429);
    }
    let restarted = start(4);
    assert_eq!(login(restarted.addr, "correct-password"), 429);
}

/// Behind a trusted reverse proxy the client is the forwarded address:
/// failures from one client never lock the user out for another. From an
/// untrusted peer the header is ignored, so it cannot be used to dodge the
/// limit.
#[test]
fn throttling_follows_the_client_behind_a_trusted_proxy_only() {
    let login = |app: &tt_tests::TestApp, client: &str, password: &str| {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("198.51.100.9, {client}"))
            .json(&json!({"username": "alice", "password": password}))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let behind_proxy = spawn_app_with(Db::Sqlite, |s| {
        s.login_max_failures = 3;
        s.trusted_proxies = "127.0.0.1".into();
    })
    .unwrap();
    behind_proxy.create_user("alice", "correct-password", false);
    for _ in 0..3 {
        assert_eq!(login(&behind_proxy, "203.0.113.7", "wrong-one"), 401);
    }
    assert_eq!(login(&behind_proxy, "203.0.113.7", "correct-password"), 429);
    assert_eq!(login(&behind_proxy, "203.0.113.8", "correct-password"), 200);

    let direct = spawn_app_with(Db::Sqlite, |s| s.login_max_failures = 3).unwrap();
    direct.create_user("alice", "correct-password", false);
    for client in ["203.0.113.7", "203.0.113.8", "203.0.113.9"] {
        assert_eq!(login(&direct, client, "wrong-one"), 401);
    }
    assert_eq!(login(&direct, "203.0.113.10", "correct-password"), 429);
}

tt_tests::on_both_backends!(control_characters_are_refused_not_stored);

/// A NUL byte (which PostgreSQL cannot store) or another control character
/// in any text field is a 422 on the API and the web form alike; on the
/// login form it is just a wrong username. Line breaks and tabs in notes are
/// fine.
fn control_characters_are_refused_not_stored(app: &tt_tests::TestApp) {
    use tt_tests::json;
    let admin = app.user("boss", true);
    let pid = admin.post_ok("/api/v1/projects", &json!({"name": "P"}), 201)["id"]
        .as_i64()
        .unwrap();
    let tid = admin.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": pid, "name": "T"}),
        201,
    )["id"]
        .as_i64()
        .unwrap();
    for bad in ["nul \u{0} byte", "bell \u{7}", "escape \u{1b}[31m"] {
        let entry = json!({"project_id": pid, "start": "2026-01-05T09:00:00Z", "end": "2026-01-05T10:00:00Z", "notes": bad});
        assert_eq!(admin.post("/api/v1/time-entries", &entry).0, 422, "{bad:?}");
        assert_eq!(
            admin
                .post("/api/v1/comments", &json!({"task_id": tid, "body": bad}))
                .0,
            422
        );
        assert_eq!(admin.post("/api/v1/projects", &json!({"name": bad})).0, 422);
        assert_eq!(
            admin
                .post("/api/v1/clients", &json!({"name": "C", "email": bad}))
                .0,
            422
        );
        assert_eq!(
            admin
                .post(
                    "/api/v1/tasks",
                    &json!({"project_id": pid, "name": "T2", "description": bad})
                )
                .0,
            422
        );
        let login = app.anonymous().post(
            "/api/v1/auth/login",
            &json!({"username": format!("boss{bad}"), "password": "a-long-password"}),
        );
        assert_eq!(login.0, 401, "{bad:?}");
    }
    let fine = json!({"project_id": pid, "start": "2026-01-05T09:00:00Z", "end": "2026-01-05T10:00:00Z", "notes": "two\nlines\tand a tab"});
    let (status, entry) = admin.post("/api/v1/time-entries", &fine);
    assert_eq!(
        (status, entry["notes"].as_str()),
        (201, Some("two\nlines\tand a tab"))
    );
    // The web form says the same.
    let b = tt_tests::session::Browser::new(&app.base);
    b.sign_in("boss", "a-long-password");
    let p = b.submit(
        "/entries",
        &[
            ("project_id", &pid.to_string()),
            ("date", "2026-01-06"),
            ("start_time", "09:00"),
            ("end_time", "10:00"),
            ("notes", "nul \u{0} byte"),
        ],
    );
    assert_eq!(p.status, 422, "{}", p.body);
}

/// A known path asked with a method it does not take answers 405 with the
/// methods it does take in `Allow` — a page in the browser, JSON under
/// `/api` — and an unknown path stays a 404.
#[test]
fn wrong_methods_get_405_with_allow() {
    let app = spawn_app();
    let http = &app.http;
    let mut by_path: Vec<(String, Vec<&str>)> = Vec::new();
    for r in tt_http::route_table() {
        match by_path.iter_mut().find(|(p, _)| p == r.path) {
            Some((_, methods)) => methods.push(r.method),
            None => by_path.push((r.path.to_owned(), vec![r.method])),
        }
    }
    assert!(by_path.len() > 30, "{}", by_path.len());
    for (template, methods) in &by_path {
        let path = template.replace("{id}", "1").replace("{file}", "app.css");
        for wrong in ["PUT", "DELETE", "PATCH", "GET", "POST"] {
            if methods.contains(&wrong) {
                continue;
            }
            let resp = http
                .request(
                    Method::from_bytes(wrong.as_bytes()).unwrap(),
                    app.url(&path),
                )
                .send()
                .unwrap();
            assert_eq!(resp.status().as_u16(), 405, "{wrong} {path}");
            let allow = resp.headers()["allow"].to_str().unwrap().to_owned();
            let mut listed: Vec<&str> = allow.split(", ").collect();
            listed.sort_unstable();
            let mut expected = methods.clone();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(listed, expected, "Allow of {path}");
            let html = resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html");
            assert!(html, "{wrong} {path}: a browser gets a page");
        }
    }
    let resp = http.delete(app.url("/no/such/page")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}

/// A body must be a JSON object: serde would read a struct from an array
/// positionally, so `[null, null]` used to pass as a telemetry toggle and
/// `["Acme"]` as a client (found by schemathesis).
#[test]
fn a_json_array_is_not_an_object() {
    let app = spawn_app();
    let admin = app.user("boss", true);
    let send = |method: Method, path: &str, body: &str| {
        let resp = admin
            .request(method, path)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp.json().unwrap_or(serde_json::Value::Null);
        (status, v["error"]["code"].as_str().map(str::to_owned))
    };
    let refused = (422, Some("validation_failed".to_owned()));
    assert_eq!(
        send(Method::PUT, "/api/v1/admin/telemetry", "[null, null]"),
        refused
    );
    assert_eq!(
        send(Method::POST, "/api/v1/clients", r#"["Acme"]"#),
        refused
    );
    assert_eq!(
        send(
            Method::POST,
            "/api/v1/clients",
            r#"["Acme", null, null, false]"#
        ),
        refused
    );
    assert_eq!(send(Method::POST, "/api/v1/timer/start", "[1]"), refused);
    assert_eq!(send(Method::POST, "/api/v1/clients", "\"Acme\""), refused);
    assert_eq!(send(Method::POST, "/api/v1/clients", "null"), refused);
    assert_eq!(admin.get("/api/v1/clients").1, serde_json::json!([]));
    // Objects still work, and broken JSON is still a 400.
    assert_eq!(
        send(Method::POST, "/api/v1/clients", r#"{"name": "Acme"}"#).0,
        201
    );
    assert_eq!(
        send(Method::POST, "/api/v1/clients", r#"{"name": "Acme","#)
            .1
            .as_deref(),
        Some("malformed_json")
    );
}

/// The API's 405 lists the methods its OpenAPI document has for the path.
#[test]
fn api_wrong_methods_get_405_with_the_documented_allow() {
    let app = spawn_app();
    let check = |method: Method, path: &str, allow: &str| {
        let resp = app
            .http
            .request(method.clone(), app.url(path))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method} {path}");
        assert_eq!(resp.headers()["allow"].to_str().unwrap(), allow, "{path}");
        let body: serde_json::Value = resp.json().unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    };
    check(Method::DELETE, "/api/v1/timer", "GET, PUT");
    check(Method::PATCH, "/api/v1/clients/3", "GET, PUT, DELETE");
    check(Method::GET, "/api/v1/auth/login", "POST");
    check(Method::PUT, "/api/v1/me/tokens", "GET, POST");
    let resp = app
        .http
        .delete(app.url("/api/v1/nothing/here"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
