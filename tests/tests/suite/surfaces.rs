//! One rule, one place: the same input gets the same verdict on the JSON
//! API, the web forms and the command line; every state-changing web route
//! refuses a form without its CSRF token; reports and invoices value the
//! same time identically; who may change what is the same everywhere.

use chrono::{Datelike, Utc};
use tt_tests::session::Browser;
use tt_tests::{Api, TestApp, json, on_both_backends, spawn_app};

const PASSWORD: &str = "a-long-password";

/// What a status means, whatever the surface says it with (a redirect
/// after a successful form is the API's 200/201/204).
fn verdict(status: u16) -> &'static str {
    match status {
        200 | 201 | 204 | 303 => "ok",
        400 => "bad request",
        403 => "forbidden",
        404 => "not found",
        409 => "conflict",
        422 => "invalid",
        other => panic!("unexpected status {other}"),
    }
}

fn browser(app: &TestApp, username: &str) -> Browser {
    let b = Browser::new(&app.base);
    b.sign_in(username, PASSWORD);
    b
}

fn id(v: &serde_json::Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// Every POST route of the route table the app registers — not a list
/// kept here — refuses a form without a token and one with another
/// session's token, before it acts.
#[test]
fn every_state_changing_web_route_refuses_missing_and_foreign_csrf_tokens() {
    let app = spawn_app();
    app.create_user("boss", PASSWORD, true);
    let api = app.login("boss", PASSWORD);
    let b = browser(&app, "boss");
    let foreign = browser(&app, "boss").token();
    let posts: Vec<_> = tt_http::route_table()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert!(posts.len() >= 25, "only {} POST routes found", posts.len());
    for r in &posts {
        let path = r.path.replace("{id}", "1");
        let fields = [("name", "csrf-probe"), ("status", "done")];
        let missing = b.post(&path, &fields);
        assert_eq!(
            missing.status, 403,
            "{path} without a token:\n{}",
            missing.body
        );
        let mut with_foreign = vec![("csrf_token", foreign.as_str())];
        with_foreign.extend_from_slice(&fields);
        let wrong = b.post(&path, &with_foreign);
        assert_eq!(
            wrong.status, 403,
            "{path} with a foreign token:\n{}",
            wrong.body
        );
    }
    // Nothing was done: still signed in, nothing created.
    assert_eq!(b.get("/").status, 200);
    assert_eq!(
        api.get("/api/v1/clients?include_archived=true").1,
        json!([])
    );
    assert_eq!(
        api.get("/api/v1/projects?include_archived=true").1,
        json!([])
    );
}

on_both_backends!(
    the_same_input_gets_the_same_verdict_everywhere,
    reports_and_invoices_value_the_same_time_identically,
    who_may_change_what
);

/// One entry case: the API body and the web form of the same input.
struct EntryCase {
    what: &'static str,
    project: String,
    date: String,
    start: &'static str,
    end: &'static str,
    notes: String,
    expect: &'static str,
}

fn the_same_input_gets_the_same_verdict_everywhere(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    app.create_user("alice", PASSWORD, false);
    let admin = app.login("boss", PASSWORD);
    let alice = app.login("alice", PASSWORD);
    let web_alice = browser(app, "alice");
    let web_admin = browser(app, "boss");

    let cid = id(&admin.post_ok(
        "/api/v1/clients",
        &json!({"name": "Acme", "default_hourly_rate": "80"}),
        201,
    ));
    let pid = id(&admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Open", "client_id": cid}),
        201,
    ));
    let other = id(&admin.post_ok("/api/v1/projects", &json!({"name": "Other"}), 201));
    let archived = id(&admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Old", "archived": true}),
        201,
    ));
    let next_year = format!("{}-06-01", Utc::now().year() + 1);
    let p = pid.to_string();
    let cases = [
        EntryCase {
            what: "valid",
            project: p.clone(),
            date: "2026-03-02".into(),
            start: "09:00",
            end: "10:30",
            notes: String::new(),
            expect: "ok",
        },
        EntryCase {
            what: "zero length",
            project: p.clone(),
            date: "2026-03-02".into(),
            start: "09:00",
            end: "09:00",
            notes: String::new(),
            expect: "invalid",
        },
        EntryCase {
            what: "next year",
            project: p.clone(),
            date: next_year,
            start: "09:00",
            end: "10:00",
            notes: String::new(),
            expect: "invalid",
        },
        EntryCase {
            what: "absurd year",
            project: p.clone(),
            date: "1900-01-01".into(),
            start: "09:00",
            end: "10:00",
            notes: String::new(),
            expect: "invalid",
        },
        EntryCase {
            what: "unknown project",
            project: "999999".into(),
            date: "2026-03-02".into(),
            start: "09:00",
            end: "10:00",
            notes: String::new(),
            expect: "invalid",
        },
        EntryCase {
            what: "not an id",
            project: "0".into(),
            date: "2026-03-02".into(),
            start: "09:00",
            end: "10:00",
            notes: String::new(),
            expect: "invalid",
        },
        EntryCase {
            what: "archived project",
            project: archived.to_string(),
            date: "2026-03-02".into(),
            start: "09:00",
            end: "10:00",
            notes: String::new(),
            expect: "invalid",
        },
        EntryCase {
            what: "notes too long",
            project: p.clone(),
            date: "2026-03-02".into(),
            start: "09:00",
            end: "10:00",
            notes: "x".repeat(10_001),
            expect: "invalid",
        },
    ];
    for c in &cases {
        let body = json!({
            "project_id": c.project.parse::<i64>().unwrap(),
            "start": format!("{}T{}:00Z", c.date, c.start),
            "end": format!("{}T{}:00Z", c.date, c.end),
            "notes": c.notes,
        });
        let (api, made) = alice.post("/api/v1/time-entries", &body);
        if api == 201 {
            // The web form gets the same input: make room for it.
            alice.delete(&format!("/api/v1/time-entries/{}", made["id"]));
        }
        let web = web_alice
            .submit(
                "/entries",
                &[
                    ("project_id", &c.project),
                    ("date", &c.date),
                    ("start_time", c.start),
                    ("end_time", c.end),
                    ("notes", &c.notes),
                ],
            )
            .status;
        assert_eq!((c.what, verdict(api)), (c.what, c.expect), "API");
        assert_eq!((c.what, verdict(web)), (c.what, c.expect), "web form");
    }

    // A task of another project.
    let foreign_task = id(&admin.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": other, "name": "Elsewhere"}),
        201,
    ));
    let api = alice
        .post("/api/v1/time-entries", &json!({"project_id": pid, "task_id": foreign_task, "start": "2026-03-03T09:00:00Z", "end": "2026-03-03T10:00:00Z"}))
        .0;
    let web = web_alice
        .submit(
            "/entries",
            &[
                ("project_id", &p),
                ("task_id", &foreign_task.to_string()),
                ("date", "2026-03-03"),
                ("start_time", "09:00"),
                ("end_time", "10:00"),
            ],
        )
        .status;
    assert_eq!(
        (verdict(api), verdict(web)),
        ("invalid", "invalid"),
        "task of another project"
    );

    // Someone else's entry: not found on both surfaces.
    let bobs = app.user("bob", false);
    let bob_entry = id(&bobs.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": pid, "start": "2026-03-04T09:00:00Z", "end": "2026-03-04T10:00:00Z"}),
        201,
    ));
    let api = alice
        .put(
            &format!("/api/v1/time-entries/{bob_entry}"),
            &json!({"project_id": pid}),
        )
        .0;
    let web = web_alice
        .submit(
            &format!("/entries/{bob_entry}/edit"),
            &[
                ("project_id", &p),
                ("date", "2026-03-04"),
                ("start_time", "09:00"),
                ("end_time", "11:00"),
            ],
        )
        .status;
    assert_eq!(
        (verdict(api), verdict(web)),
        ("not found", "not found"),
        "someone else's entry"
    );

    // An invoiced entry: a conflict on both surfaces, for its owner.
    let mine = alice.get("/api/v1/time-entries").1;
    let alice_entry = id(&mine[0]);
    admin.post_ok("/api/v1/invoices", &json!({"client_id": cid}), 201);
    let api = alice
        .put(
            &format!("/api/v1/time-entries/{alice_entry}"),
            &json!({"project_id": pid, "notes": "changed"}),
        )
        .0;
    let web = web_alice
        .submit(
            &format!("/entries/{alice_entry}/edit"),
            &[
                ("project_id", &p),
                ("date", "2026-03-02"),
                ("start_time", "09:00"),
                ("end_time", "12:00"),
            ],
        )
        .status;
    assert_eq!(
        (verdict(api), verdict(web)),
        ("conflict", "conflict"),
        "invoiced entry"
    );

    // Clients: the same rate and name rules on the API and the admin page.
    for (what, name, rate, expect) in [
        ("valid client", "Globex", "87.50", "ok"),
        ("three decimals", "Initech", "12.345", "invalid"),
        ("negative rate", "Initech", "-1", "invalid"),
        ("blank name", "   ", "10", "invalid"),
        ("control character", "Bad\u{7}Name", "10", "invalid"),
    ] {
        let api = admin
            .post(
                "/api/v1/clients",
                &json!({"name": name, "default_hourly_rate": rate}),
            )
            .0;
        let web = web_admin
            .submit("/clients", &[("name", name), ("default_hourly_rate", rate)])
            .status;
        assert_eq!((what, verdict(api)), (what, expect), "API");
        assert_eq!((what, verdict(web)), (what, expect), "web form");
    }
    // A regular user may not create clients anywhere.
    assert_eq!(
        verdict(alice.post("/api/v1/clients", &json!({"name": "Nope"})).0),
        "forbidden"
    );
    assert_eq!(
        verdict(web_alice.submit("/clients", &[("name", "Nope")]).status),
        "forbidden"
    );

    // Accounts: API, admin page and the command line.
    for (what, username, password, expect) in [
        ("valid account", "carol", "a-long-password", "ok"),
        ("short username", "ab", "a-long-password", "invalid"),
        (
            "spaces in username",
            "dave smith",
            "a-long-password",
            "invalid",
        ),
        ("short password", "erin", "short", "invalid"),
        ("taken username", "alice", "a-long-password", "conflict"),
    ] {
        // The taken and the too-short name are the same on every surface;
        // otherwise each surface creates its own account.
        let name = |surface: &str| match username {
            "alice" | "ab" => username.to_owned(),
            u => format!("{u}-{surface}"),
        };
        let api = admin
            .post(
                "/api/v1/users",
                &json!({"username": name("api"), "password": password}),
            )
            .0;
        let web = web_admin
            .submit(
                "/admin/users",
                &[
                    ("username", &name("web")),
                    ("password", password),
                    ("role", "user"),
                ],
            )
            .status;
        let cli = match timetracker::create_user(&app.settings, &name("cli"), None, password, false)
        {
            Ok(_) => "ok",
            Err(e) if e.to_string().contains("taken") => "conflict",
            Err(_) => "invalid",
        };
        assert_eq!((what, verdict(api)), (what, expect), "API");
        assert_eq!((what, verdict(web)), (what, expect), "admin page");
        assert_eq!((what, cli), (what, expect), "command line");
    }
}

/// A small deterministic generator (no dependency needed for a test).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// For generated sets of entries (durations from 1 s to 5 h, billable or
/// not, projects with and without their own rate), the report's billable
/// amount — grouped any way — equals the subtotal of the invoice for the
/// same entries, and project rows equal the invoice lines.
fn reports_and_invoices_value_the_same_time_identically(app: &TestApp) {
    let admin = app.user("boss", true);
    let alice = app.user("alice", false);
    let mut rng = Lcg(42);
    for trial in 0..8_u32 {
        let month = trial + 1;
        let cid = id(&admin.post_ok("/api/v1/clients", &json!({"name": format!("Client {trial}"), "default_hourly_rate": format!("{}.{:02}", 40 + rng.next(80), rng.next(100))}), 201));
        let projects: Vec<i64> = (0..3)
            .map(|k| {
                let rate = (k != 0).then(|| format!("{}.{:02}", 50 + rng.next(150), rng.next(100)));
                id(&admin.post_ok("/api/v1/projects", &json!({"name": format!("T{trial}P{k}"), "client_id": cid, "hourly_rate": rate}), 201))
            })
            .collect();
        for n in 0..(5 + rng.next(10)) {
            let who = if rng.next(2) == 0 { &admin } else { &alice };
            // One entry a day per trial: a person's entries never overlap.
            let day = 1 + n;
            let start_secs = 8 * 3600 + rng.next(3600);
            let length = 1 + rng.next(5 * 3600);
            let at = |s: u64| {
                format!(
                    "2025-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
                    s / 3600,
                    s / 60 % 60,
                    s % 60
                )
            };
            let pid = projects[usize::try_from(rng.next(3)).unwrap()];
            who.post_ok(
                "/api/v1/time-entries",
                &json!({"project_id": pid, "start": at(start_secs), "end": at(start_secs + length), "billable": n % 4 != 3}),
                201,
            );
        }
        let (from, to) = (format!("2025-{month:02}-01"), format!("2025-{month:02}-28"));
        let reports: Vec<serde_json::Value> = ["project", "user", "day"]
            .iter()
            .map(|g| {
                admin
                    .get(&format!(
                        "/api/v1/reports/summary?from={from}&to={to}&group_by={g}"
                    ))
                    .1
            })
            .collect();
        let invoice = admin.post_ok(
            "/api/v1/invoices",
            &json!({"client_id": cid, "from": from, "to": to}),
            201,
        );
        for r in &reports {
            assert_eq!(
                r["total_amounts"]["EUR"], invoice["subtotal"],
                "trial {trial}, by {}",
                r["group_by"]
            );
        }
        let rows: Vec<(i64, String)> = reports[0]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["amounts"].get("EUR").is_some())
            .map(|r| {
                (
                    r["key"].as_str().unwrap().parse().unwrap(),
                    r["amounts"]["EUR"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let lines: Vec<(i64, String)> = invoice["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["amount"] != "0.00")
            .map(|l| {
                (
                    l["project_id"].as_i64().unwrap(),
                    l["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(rows, lines, "trial {trial}");
    }
}

/// Entries: owner or admin, invoiced ones nobody. Tasks: never deleted or
/// moved with tracked time (archived instead), not deleted by a regular
/// user with other people's comments. Comments: the author edits, the
/// author or an admin deletes.
fn who_may_change_what(app: &TestApp) {
    let admin: Api = app.user("boss", true);
    let alice = app.user("alice", false);
    let bob = app.user("bob", false);
    let pid = id(&admin.post_ok("/api/v1/projects", &json!({"name": "Core"}), 201));
    let pid2 = id(&admin.post_ok("/api/v1/projects", &json!({"name": "Side"}), 201));
    let entry = id(&alice.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": pid, "start": "2026-02-02T09:00:00Z", "end": "2026-02-02T10:00:00Z"}),
        201,
    ));
    let path = format!("/api/v1/time-entries/{entry}");
    // Another user: not found; an admin: allowed.
    assert_eq!(bob.get(&path).0, 404);
    assert_eq!(
        bob.put(&path, &json!({"project_id": pid, "notes": "mine now"}))
            .0,
        404
    );
    assert_eq!(bob.delete(&path).0, 404);
    let (s, v) = admin.put(
        &path,
        &json!({"project_id": pid, "notes": "fixed by admin"}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(alice.get(&path).1["notes"], "fixed by admin");

    // The web edit form asks for a day and two times; an entry it cannot
    // express (longer than a day, with seconds) keeps its exact times when
    // only its notes change.
    let long = id(&alice.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": pid, "start": "2026-02-10T09:00:00Z", "end": "2026-02-11T11:00:30Z"}),
        201,
    ));
    let b = browser(app, "alice");
    let form = b.page(&format!("/entries/{long}/edit"));
    assert!(form.body.contains("value=\"2026-02-10\""), "{}", form.body);
    b.submit(
        &format!("/entries/{long}/edit"),
        &[
            ("project_id", &pid.to_string()),
            ("date", "2026-02-10"),
            ("start_time", "09:00"),
            ("end_time", "11:00"),
            ("notes", "only the notes changed"),
        ],
    )
    .assert_redirect("/entries");
    let (_, v) = alice.get(&format!("/api/v1/time-entries/{long}"));
    assert_eq!(
        (v["duration_seconds"].as_i64(), v["notes"].as_str()),
        (Some(26 * 3600 + 30), Some("only the notes changed"))
    );

    // A task with tracked time.
    let timed = id(&alice.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": pid, "name": "Timed"}),
        201,
    ));
    alice.post_ok("/api/v1/time-entries", &json!({"project_id": pid, "task_id": timed, "start": "2026-02-03T09:00:00Z", "end": "2026-02-03T10:00:00Z"}), 201);
    assert_eq!(alice.delete(&format!("/api/v1/tasks/{timed}")).0, 409);
    assert_eq!(admin.delete(&format!("/api/v1/tasks/{timed}")).0, 409);
    assert_eq!(
        admin
            .put(
                &format!("/api/v1/tasks/{timed}"),
                &json!({"project_id": pid2, "name": "Timed"})
            )
            .0,
        409
    );
    // Archive instead; an archived task takes no new time.
    let (s, v) = alice.put(
        &format!("/api/v1/tasks/{timed}"),
        &json!({"project_id": pid, "name": "Timed", "archived": true}),
    );
    assert_eq!((s, v["archived"].as_bool()), (200, Some(true)));
    assert_eq!(
        alice
            .post(
                "/api/v1/timer/start",
                &json!({"project_id": pid, "task_id": timed})
            )
            .0,
        422
    );

    // A task with someone else's comment.
    let discussed = id(&alice.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": pid, "name": "Discussed"}),
        201,
    ));
    let comment = id(&bob.post_ok(
        "/api/v1/comments",
        &json!({"task_id": discussed, "body": "bob was here"}),
        201,
    ));
    assert_eq!(alice.delete(&format!("/api/v1/tasks/{discussed}")).0, 403);
    assert_eq!(
        bob.get(&format!("/api/v1/comments/{comment}")).0,
        200,
        "the comment survived"
    );
    // Comments: only the author edits; a regular user cannot delete others'.
    assert_eq!(
        alice
            .put(
                &format!("/api/v1/comments/{comment}"),
                &json!({"body": "rewritten"})
            )
            .0,
        403
    );
    assert_eq!(alice.delete(&format!("/api/v1/comments/{comment}")).0, 403);
    // The telemetry settings (install id, fingerprint) are for admins,
    // even through a request that changes nothing.
    assert_eq!(alice.put("/api/v1/admin/telemetry", &json!({})).0, 403);
    assert_eq!(alice.get("/api/v1/admin/telemetry").0, 403);
    assert_eq!(admin.delete(&format!("/api/v1/tasks/{discussed}")).0, 204);
    // A task nobody used: its creator deletes it.
    let scratch = id(&alice.post_ok(
        "/api/v1/tasks",
        &json!({"project_id": pid, "name": "Scratch"}),
        201,
    ));
    assert_eq!(alice.delete(&format!("/api/v1/tasks/{scratch}")).0, 204);
}
