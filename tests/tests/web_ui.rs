//! The server-rendered web UI, driven like a browser without JavaScript:
//! forms with CSRF tokens, a session cookie kept by hand (as a browser would,
//! whatever its `Secure` flag), redirects inspected
//! rather than followed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::header::CONTENT_TYPE;
use tt_tests::session::{Browser, form_encode};
use tt_tests::{TestApp, json, on_both_backends};

const PASSWORD: &str = "a-long-password";

/// One HTTP response, read completely.
/// Signs in through the login form.
fn sign_in(app: &TestApp, username: &str) -> Browser {
    let b = Browser::new(&app.base);
    let form = b.get("/login");
    assert_eq!(form.status, 200);
    assert!(b.has_session(), "the login page sets the session cookie");
    let resp = b.post(
        "/login",
        &[
            ("csrf_token", &form.csrf()),
            ("username", username),
            ("password", PASSWORD),
            ("next", "/"),
        ],
    );
    resp.assert_redirect("/");
    b
}

/// The id at the end of a redirect such as `/projects/7`.
fn id_in(location: &str) -> i64 {
    location
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

fn login_logout_and_redirects(app: &TestApp) {
    app.create_user("alice", PASSWORD, false);
    let b = Browser::new(&app.base);

    // Unauthenticated pages send the browser to the login form.
    b.get("/").assert_redirect("/login");
    b.get("/entries?from=2024-01-01")
        .assert_redirect("/login?next=%2Fentries%3Ffrom%3D2024-01-01");

    let form = b.get("/login?next=/reports");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"/reports\""));
    let token = form.csrf();

    // No token: refused before the password is even looked at.
    let p = b.post("/login", &[("username", "alice"), ("password", PASSWORD)]);
    assert_eq!(p.status, 403);
    assert!(p.header("content-type").starts_with("text/html"));

    // Wrong password: the form again, username kept, password not.
    let p = b.post(
        "/login",
        &[
            ("csrf_token", &token),
            ("username", "alice"),
            ("password", "wrong-password"),
        ],
    );
    assert_eq!(p.status, 401);
    assert!(p.body.contains("Wrong username or password"));
    assert!(p.body.contains("value=\"alice\""));
    assert!(!p.body.contains("wrong-password"));

    // An off-site `next` is ignored.
    let p = b.post(
        "/login",
        &[
            ("csrf_token", &token),
            ("username", "alice"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    p.assert_redirect("/");
    let home = b.get("/");
    assert_eq!(home.status, 200);
    assert!(
        home.body
            .contains("Signed in as <a href=\"/profile\"><strong>alice</strong></a>")
    );
    assert!(home.body.contains("Welcome, alice."));
    // Security headers on pages.
    assert!(
        home.header("content-security-policy")
            .contains("default-src 'self'")
    );
    assert_eq!(home.header("x-frame-options"), "DENY");
    // Plain HTTP under `COOKIE_SECURE=auto` (the default): no HSTS.
    assert_eq!(home.header("strict-transport-security"), "");
    // Non-admins see no admin links.
    assert!(!home.body.contains("href=\"/admin/users\""));

    // A local `next` is honoured.
    let b2 = Browser::new(&app.base);
    let t = b2.get("/login").csrf();
    b2.post(
        "/login",
        &[
            ("csrf_token", &t),
            ("username", "alice"),
            ("password", PASSWORD),
            ("next", "/reports?group_by=day"),
        ],
    )
    .assert_redirect("/reports?group_by=day");

    // Logout needs the token too, then the session is gone.
    assert_eq!(b.post("/logout", &[]).status, 403);
    let p = b.submit("/logout", &[]);
    p.assert_redirect("/login");
    assert!(b.get("/login").body.contains("You have been signed out."));
    b.get("/").assert_redirect("/login");
}

fn timer_start_and_stop_from_the_dashboard(app: &TestApp) {
    let admin = app.user("boss", true);
    let project = admin.post_ok("/api/v1/projects", &json!({"name": "Website"}), 201);
    let pid = project["id"].as_i64().unwrap().to_string();
    app.create_user("alice", PASSWORD, false);
    let b = sign_in(app, "alice");

    let dash = b.get("/");
    assert!(dash.body.contains("Start a timer"));
    assert!(dash.body.contains(">Website</option>"));

    let p = b.submit(
        "/timer/start",
        &[
            ("project_id", &pid),
            ("task_id", ""),
            ("notes", "landing page"),
        ],
    );
    p.assert_redirect("/");
    let dash = b.get("/");
    assert!(dash.body.contains("Timer running"), "{}", dash.body);
    assert!(dash.body.contains("landing page"));
    assert!(dash.body.contains("Timer started on Website"));

    // A second timer is refused (the dashboard no longer offers the form).
    let p = b.submit("/timer/start", &[("project_id", &pid)]);
    assert_eq!(p.status, 409);
    assert!(
        p.body.contains("a timer is already running")
            || p.body.contains("A timer is already running")
    );

    let p = b.submit("/timer/stop", &[]);
    p.assert_redirect("/");
    let dash = b.get("/");
    assert!(dash.body.contains("Timer stopped after"));
    assert!(dash.body.contains("Start a timer"));
    // No project chosen: the form again with the problem and the input.
    let p = b.submit("/timer/start", &[("project_id", ""), ("notes", "kept")]);
    assert_eq!(p.status, 422);
    assert!(p.body.contains("Project: is required"));
    assert!(p.body.contains("value=\"kept\""));

    // Stopping with nothing running is a flash, not an error page.
    b.submit("/timer/stop", &[]).assert_redirect("/");
    assert!(b.get("/").body.contains("No timer is running."));

    // The API sees the finished entry.
    let alice = app.login("alice", PASSWORD);
    let (_, entries) = alice.get("/api/v1/time-entries");
    assert_eq!(entries.as_array().unwrap().len(), 1);
    assert_eq!(entries[0]["notes"], "landing page");
    assert_eq!(entries[0]["running"], false);
}

fn admin_manages_clients_and_projects(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    let b = sign_in(app, "boss");
    let home = b.get("/");
    assert!(home.body.contains("href=\"/admin/users\""));
    assert!(home.body.contains("href=\"/admin/telemetry\""));

    // Invalid input: 422, the form again with what was typed.
    let p = b.submit(
        "/clients",
        &[("name", "Acme"), ("default_hourly_rate", "lots")],
    );
    assert_eq!(p.status, 422);
    assert!(p.body.contains("hourly_rate"));
    assert!(p.body.contains("value=\"Acme\""));
    assert!(p.body.contains("value=\"lots\""));

    b.submit(
        "/clients",
        &[
            ("name", "Acme <Corp>"),
            ("email", "ap@acme.example"),
            ("default_hourly_rate", "90"),
        ],
    )
    .assert_redirect("/clients");
    let list = b.get("/clients");
    assert!(list.body.contains("Acme &#60;Corp&#62;") || list.body.contains("Acme &lt;Corp&gt;"));
    assert!(!list.body.contains("Acme <Corp>"));
    let boss = app.login("boss", PASSWORD);
    let (_, clients) = boss.get("/api/v1/clients");
    let cid = clients[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(clients[0]["default_hourly_rate"], "90.00");

    let p = b.submit(
        "/projects",
        &[
            ("name", "Relaunch"),
            ("client_id", &cid),
            ("billable", "on"),
            ("hourly_rate", "120.50"),
            ("description", "New <b>site</b>"),
        ],
    );
    assert_eq!(p.status, 303, "{}", p.body);
    let pid = id_in(p.location());
    let detail = b.get(&format!("/projects/{pid}"));
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("Relaunch"));
    assert!(detail.body.contains("120.50"));
    assert!(!detail.body.contains("<b>site</b>"));
    assert!(detail.body.contains("Project “Relaunch” created."));

    // Edit: archive the project.
    let edit = b.get(&format!("/projects/{pid}/edit"));
    assert_eq!(edit.status, 200);
    b.submit(
        &format!("/projects/{pid}/edit"),
        &[
            ("name", "Relaunch 2"),
            ("client_id", &cid),
            ("archived", "on"),
        ],
    )
    .assert_redirect(&format!("/projects/{pid}"));
    assert!(
        b.get(&format!("/projects/{pid}"))
            .body
            .contains("Project “Relaunch 2” saved.")
    );
    let (_, project) = boss.get(&format!("/api/v1/projects/{pid}"));
    assert_eq!(project["name"], "Relaunch 2");
    assert_eq!(project["archived"], true);
    assert_eq!(project["billable"], false);
    assert!(!b.get("/projects").body.contains("Relaunch 2"));
    assert!(b.get("/projects?archived=1").body.contains("Relaunch 2"));

    // Archive and restore the client.
    b.submit(&format!("/clients/{cid}/archive"), &[("archived", "1")])
        .assert_redirect("/clients");
    assert_eq!(
        boss.get(&format!("/api/v1/clients/{cid}")).1["archived"],
        true
    );
    b.submit(&format!("/clients/{cid}/archive"), &[("archived", "0")])
        .assert_redirect("/clients");
    assert_eq!(
        boss.get(&format!("/api/v1/clients/{cid}")).1["archived"],
        false
    );

    // Unknown ids are HTML 404s.
    let p = b.get("/projects/999999");
    assert_eq!(p.status, 404);
    assert!(p.header("content-type").starts_with("text/html"));
    assert_eq!(b.get("/projects/abc").status, 404);
}

fn manual_entries_edit_reports_and_csv(app: &TestApp) {
    let admin = app.user("boss", true);
    let project = admin.post_ok(
        "/api/v1/projects",
        &json!({"name": "Support", "hourly_rate": "100"}),
        201,
    );
    let pid = project["id"].as_i64().unwrap().to_string();
    app.create_user("alice", PASSWORD, false);
    let b = sign_in(app, "alice");

    let p = b.submit(
        "/entries",
        &[
            ("project_id", &pid),
            ("date", "2024-03-05"),
            ("start_time", "09:00"),
            ("end_time", "10:30"),
            ("notes", "=cmd|'/c calc'!A1 ticket 42"),
            ("tags", "phone, urgent"),
            ("billable", ""),
        ],
    );
    p.assert_redirect("/entries");
    let list = b.get("/entries?from=2024-03-01&to=2024-03-31");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Added 1:30 on 2024-03-05."));
    assert!(list.body.contains("ticket 42"));
    assert!(list.body.contains("09:00–10:30"));

    // Bad times: the form again, input kept.
    let p = b.submit(
        "/entries",
        &[
            ("project_id", &pid),
            ("date", "2024-03-05"),
            ("start_time", "nine"),
            ("end_time", "10:30"),
            ("notes", "keep me"),
        ],
    );
    assert_eq!(p.status, 422);
    assert!(p.body.contains("HH:MM"));
    assert!(p.body.contains("value=\"keep me\""));

    let alice = app.login("alice", PASSWORD);
    let (_, entries) = alice.get("/api/v1/time-entries");
    let eid = entries[0]["id"].as_i64().unwrap();
    assert_eq!(entries[0]["duration_seconds"], 5400);
    assert_eq!(entries[0]["billable"], true);

    let edit = b.get(&format!("/entries/{eid}/edit"));
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("value=\"2024-03-05\""));
    assert!(edit.body.contains("value=\"09:00\""));
    b.submit(
        &format!("/entries/{eid}/edit"),
        &[
            ("project_id", &pid),
            ("date", "2024-03-05"),
            ("start_time", "09:00"),
            ("end_time", "11:00"),
            ("notes", "=cmd|'/c calc'!A1 ticket 42"),
            ("tags", "phone"),
            ("billable", "yes"),
        ],
    )
    .assert_redirect("/entries");
    let (_, entry) = alice.get(&format!("/api/v1/time-entries/{eid}"));
    assert_eq!(entry["duration_seconds"], 7200);
    // The edit form follows the add form's rule: equal times are refused
    // (never 24 hours), an end before the start is the next day.
    let p = b.submit(
        &format!("/entries/{eid}/edit"),
        &[
            ("project_id", &pid),
            ("date", "2024-03-05"),
            ("start_time", "11:00"),
            ("end_time", "11:00"),
        ],
    );
    assert_eq!(p.status, 422);
    assert!(p.body.contains("must differ from the start"));
    assert_eq!(
        alice.get(&format!("/api/v1/time-entries/{eid}")).1["duration_seconds"],
        7200,
        "a refused edit changes nothing"
    );

    // Reports.
    let r = b.get("/reports?from=2024-03-01&to=2024-03-31&group_by=project");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Support"));
    assert!(r.body.contains("<td class=\"num\">2:00</td>"), "{}", r.body);
    // Hours, not money, for a regular user.
    assert!(!r.body.contains("200.00"));
    assert!(!r.body.contains("Billable amount"));
    assert!(
        r.body
            .contains("/reports/entries.csv?from=2024-03-01&#38;to=2024-03-31\"")
    );
    let bad = b.get("/reports?from=someday");
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("YYYY-MM-DD"));

    let csv = b.get("/reports/entries.csv?from=2024-03-01&to=2024-03-31");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("attachment"));
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("project")], "Support");
    assert_eq!(&rows[0][col("duration_seconds")], "7200");
    // Formula injection is neutralised in the export.
    assert!(rows[0][col("notes")].starts_with("'="));
    // The CSV needs a session too.
    Browser::new(&app.base)
        .get("/reports/entries.csv")
        .assert_redirect("/login?next=%2Freports%2Fentries.csv");

    // Delete.
    b.submit(&format!("/entries/{eid}/delete"), &[])
        .assert_redirect("/entries");
    assert_eq!(alice.get(&format!("/api/v1/time-entries/{eid}")).0, 404);
}

fn non_admins_get_403_pages(app: &TestApp) {
    app.create_user("alice", PASSWORD, false);
    let b = sign_in(app, "alice");
    for path in [
        "/admin/users",
        "/invoices",
        "/invoices/1",
        "/clients/1/edit",
    ] {
        let p = b.get(path);
        assert_eq!(p.status, 403, "{path}");
        assert!(p.header("content-type").starts_with("text/html"), "{path}");
        assert!(p.body.contains("Not allowed"), "{path}");
    }
    for path in ["/clients", "/projects", "/admin/users", "/invoices"] {
        let p = b.submit(
            path,
            &[
                ("name", "Sneaky"),
                ("username", "sneaky"),
                ("password", "long-enough-pw"),
                ("client_id", "1"),
            ],
        );
        assert_eq!(p.status, 403, "{path}");
    }
    let admin = app.user("boss", true);
    assert_eq!(admin.get("/api/v1/clients").1.as_array().unwrap().len(), 0);
    assert_eq!(admin.get("/api/v1/projects").1.as_array().unwrap().len(), 0);
    assert_eq!(admin.get("/api/v1/users").1.as_array().unwrap().len(), 2);
}

fn posts_without_a_valid_csrf_token_are_refused_and_change_nothing(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    let b = sign_in(app, "boss");
    let project =
        app.login("boss", PASSWORD)
            .post_ok("/api/v1/projects", &json!({"name": "P"}), 201);
    let pid = project["id"].as_i64().unwrap().to_string();

    let missing = b.post("/clients", &[("name", "Forged")]);
    assert_eq!(missing.status, 403);
    assert!(missing.header("content-type").starts_with("text/html"));
    assert!(missing.body.contains("Form expired"));
    let wrong = b.post(
        "/clients",
        &[("csrf_token", "not-the-token"), ("name", "Forged")],
    );
    assert_eq!(wrong.status, 403);
    assert_eq!(b.post("/timer/start", &[("project_id", &pid)]).status, 403);
    assert_eq!(
        b.post(
            "/admin/users",
            &[("username", "mallory"), ("password", "long-enough-pw")]
        )
        .status,
        403
    );

    // A token from another session does not work either.
    let other = sign_in(app, "boss");
    let foreign = other.token();
    assert_eq!(
        b.post("/clients", &[("csrf_token", &foreign), ("name", "Forged")])
            .status,
        403
    );

    let api = app.login("boss", PASSWORD);
    assert_eq!(api.get("/api/v1/clients").1.as_array().unwrap().len(), 0);
    assert_eq!(api.get("/api/v1/timer").1, serde_json::Value::Null);
    assert_eq!(api.get("/api/v1/users").1.as_array().unwrap().len(), 1);
}

fn another_users_entry_is_not_found(app: &TestApp) {
    let admin = app.user("boss", true);
    let project = admin.post_ok("/api/v1/projects", &json!({"name": "P"}), 201);
    let entry = admin.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": project["id"], "start": "2024-01-01T09:00:00Z", "end": "2024-01-01T10:00:00Z"}),
        201,
    );
    let eid = entry["id"].as_i64().unwrap();
    app.create_user("alice", PASSWORD, false);
    let b = sign_in(app, "alice");
    let p = b.get(&format!("/entries/{eid}/edit"));
    assert_eq!(p.status, 404);
    assert!(p.header("content-type").starts_with("text/html"));
    assert_eq!(b.submit(&format!("/entries/{eid}/delete"), &[]).status, 404);
    assert_eq!(
        b.submit(
            &format!("/entries/{eid}/edit"),
            &[
                ("project_id", "1"),
                ("date", "2024-01-01"),
                ("start_time", "09:00"),
                ("end_time", "12:00")
            ]
        )
        .status,
        404
    );
    assert_eq!(
        admin.get(&format!("/api/v1/time-entries/{eid}")).1["duration_seconds"],
        3600
    );
}

fn oversized_and_malformed_forms_are_4xx_pages(app: &TestApp) {
    app.create_user("alice", PASSWORD, false);
    let b = sign_in(app, "alice");
    let token = b.token();
    let huge = form_encode(&[
        ("csrf_token", &token),
        ("project_id", "1"),
        ("notes", &"x".repeat(200_000)),
    ]);
    let p = b.post_raw("/timer/start", huge);
    assert_eq!(p.status, 413);
    assert!(p.header("content-type").starts_with("text/html"));
    assert!(p.body.contains("too large"));

    // Not a form at all.
    let p = b.send(
        app.http
            .post(app.url("/timer/start"))
            .header(CONTENT_TYPE, "application/json")
            .body("{}"),
    );
    assert_eq!(p.status, 415);
    // Duplicate fields cannot be read.
    let p = b.post_raw(
        "/timer/start",
        format!("csrf_token={token}&csrf_token={token}"),
    );
    assert_eq!(p.status, 400);

    // Unknown pages are HTML 404s; unknown API paths stay JSON.
    let p = b.get("/no/such/page");
    assert_eq!(p.status, 404);
    assert!(p.header("content-type").starts_with("text/html"));
    let p = b.get("/api/v1/no-such-thing");
    assert_eq!(p.status, 404);
    assert!(p.header("content-type").starts_with("application/json"));
}

fn stylesheet_is_embedded_and_cacheable(app: &TestApp) {
    let b = Browser::new(&app.base);
    let login = b.get("/login");
    let start = login.body.find("/static/app.css?v=").expect("css link");
    let end = login.body[start..].find('"').unwrap() + start;
    let css = b.get(&login.body[start..end]);
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.header("cache-control").contains("max-age=31536000"));
    assert!(css.body.contains(":focus-visible"));
    assert!(css.body.contains("@media print"));
    // A dark palette for screens only: print stays light.
    assert!(
        css.body
            .contains("@media screen and (prefers-color-scheme: dark)")
    );
}

/// Every page links the SVG icon by its content hash; `/favicon.ico`,
/// which browsers ask for on their own, leads to it, before setup too.
fn favicon_is_linked_and_answered(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    let signed_in = sign_in(app, "boss");
    let anonymous = Browser::new(&app.base);
    let mut href = String::new();
    for page in [
        anonymous.get("/login"),
        signed_in.get("/"),
        signed_in.get("/help"),
    ] {
        let start = page
            .body
            .find("<link rel=\"icon\" type=\"image/svg+xml\" href=\"")
            .expect("icon link")
            + r#"<link rel="icon" type="image/svg+xml" href=""#.len();
        let end = page.body[start..].find('"').unwrap() + start;
        href = page.body[start..end].to_owned();
        assert!(href.starts_with("/static/favicon.svg?v="), "{href}");
    }
    let icon = anonymous.get(&href);
    assert_eq!(icon.status, 200);
    assert_eq!(icon.header("content-type"), "image/svg+xml");
    assert!(icon.header("cache-control").contains("immutable"));
    assert!(icon.body.starts_with("<svg"), "{}", icon.body);

    let ico = anonymous.get("/favicon.ico");
    assert_eq!(ico.status, 301);
    assert_eq!(ico.location(), href);

    let fresh = tt_tests::spawn_fresh_app(tt_tests::Db::Sqlite, |_| {}).unwrap();
    let before_setup = Browser::new(&fresh.base).get("/favicon.ico");
    assert_eq!(before_setup.status, 301, "{}", before_setup.body);
}

fn tasks_and_comments(app: &TestApp) {
    let admin = app.user("boss", true);
    let project = admin.post_ok("/api/v1/projects", &json!({"name": "App"}), 201);
    let pid = project["id"].as_i64().unwrap().to_string();
    let alice_id = app.create_user("alice", PASSWORD, false).get().to_string();
    app.create_user("bob", PASSWORD, false);
    let b = sign_in(app, "alice");

    let p = b.submit(
        "/tasks",
        &[
            ("project_id", &pid),
            ("name", "Login screen"),
            ("status", "todo"),
        ],
    );
    assert_eq!(p.status, 303, "{}", p.body);
    let tid = id_in(p.location());
    let task_path = format!("/tasks/{tid}");
    b.submit(
        &task_path,
        &[
            ("project_id", &pid),
            ("name", "Login screen"),
            ("status", "in_progress"),
            ("assignee_id", &alice_id),
            ("due_date", "2030-01-31"),
        ],
    )
    .assert_redirect(&task_path);
    let page = b.get(&task_path);
    assert!(page.body.contains("Task moved to “In progress”."));
    let (_, task) = admin.get(&format!("/api/v1/tasks/{tid}"));
    assert_eq!(task["status"], "in_progress");
    assert_eq!(task["assignee_id"].as_i64().unwrap().to_string(), alice_id);
    assert_eq!(task["due_date"], "2030-01-31");
    // Invalid status: 422 with the form kept.
    let p = b.submit(
        &task_path,
        &[
            ("project_id", &pid),
            ("name", "Renamed"),
            ("status", "someday"),
        ],
    );
    assert_eq!(p.status, 422);
    assert!(p.body.contains("value=\"Renamed\""));
    assert!(
        b.get(&format!("/tasks?project_id={pid}"))
            .body
            .contains("Login screen")
    );

    // Comments on the task and the project.
    b.submit(
        "/comments",
        &[("task_id", &tid.to_string()), ("body", "<i>looks good</i>")],
    )
    .assert_redirect(&format!("/tasks/{tid}#comments"));
    b.submit("/comments", &[("project_id", &pid), ("body", "kick-off")])
        .assert_redirect(&format!("/projects/{pid}#comments"));
    b.submit("/comments", &[("project_id", &pid), ("body", "   ")])
        .assert_redirect(&format!("/projects/{pid}#comments"));
    let page = b.get(&task_path);
    assert!(
        page.body.contains("&#60;i&#62;looks good&#60;/i&#62;")
            || page.body.contains("&lt;i&gt;looks good")
    );
    assert!(!page.body.contains("<i>looks good</i>"));
    let (_, comments) = admin.get(&format!("/api/v1/comments?task_id={tid}"));
    let cid = comments[0]["id"].as_i64().unwrap();

    // Someone else cannot delete it; the author can.
    let bob = sign_in(app, "bob");
    assert!(!bob.get(&task_path).body.contains("Delete comment"));
    assert_eq!(
        bob.submit(&format!("/comments/{cid}/delete"), &[]).status,
        403
    );
    b.submit(&format!("/comments/{cid}/delete"), &[])
        .assert_redirect(&format!("/tasks/{tid}#comments"));
    assert_eq!(admin.get(&format!("/api/v1/comments/{cid}")).0, 404);
}

fn invoices_from_the_admin_pages(app: &TestApp) {
    let api = app.user("boss", true);
    let client = api.post_ok(
        "/api/v1/clients",
        &json!({"name": "Acme", "default_hourly_rate": "80"}),
        201,
    );
    let project = api.post_ok(
        "/api/v1/projects",
        &json!({"name": "Build", "client_id": client["id"], "hourly_rate": "100"}),
        201,
    );
    api.post_ok(
        "/api/v1/time-entries",
        &json!({"project_id": project["id"], "start": "2024-02-01T09:00:00Z", "end": "2024-02-01T10:30:00Z"}),
        201,
    );
    let cid = client["id"].as_i64().unwrap().to_string();
    let b = sign_in(app, "boss");

    let p = b.submit("/invoices", &[("client_id", &cid), ("tax_rate", "ten")]);
    assert_eq!(p.status, 422);
    let p = b.submit(
        "/invoices",
        &[
            ("client_id", &cid),
            ("from", "2024-02-01"),
            ("to", "2024-02-29"),
            ("tax_rate", "19"),
            ("issue_date", "2024-03-01"),
        ],
    );
    assert_eq!(p.status, 303, "{}", p.body);
    let iid = id_in(p.location());
    let detail = b.get(&format!("/invoices/{iid}"));
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("Draft #"));
    assert!(detail.body.contains("150.00"));
    assert!(detail.body.contains("28.50"));
    assert!(detail.body.contains("178.50"));
    // Nothing left to bill.
    let p = b.submit("/invoices", &[("client_id", &cid)]);
    assert_eq!(p.status, 422);
    assert!(p.body.contains("No unbilled billable time for this client"));

    let print = b.get(&format!("/invoices/{iid}/print"));
    assert_eq!(print.status, 200);
    assert!(print.body.contains("178.50"));
    assert!(!print.body.contains("class=\"site-nav\""));
    assert!(print.body.contains("/static/print.js?v="));

    b.submit(&format!("/invoices/{iid}/status"), &[("status", "sent")])
        .assert_redirect(&format!("/invoices/{iid}"));
    assert_eq!(
        api.get(&format!("/api/v1/invoices/{iid}")).1["status"],
        "sent"
    );
    // A forbidden change is a flash, not a 500.
    b.submit(&format!("/invoices/{iid}/status"), &[("status", "draft")])
        .assert_redirect(&format!("/invoices/{iid}"));
    assert!(
        b.get(&format!("/invoices/{iid}"))
            .body
            .contains("A sent invoice cannot become draft")
    );
    // Numbered by the default pattern, `INV-{YYYY}-{seq:04}`, with the year
    // of its issue date.
    assert!(b.get("/invoices").body.contains("INV-2024-0001"));
}

fn admin_manages_users(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    let b = sign_in(app, "boss");
    let p = b.submit(
        "/admin/users",
        &[
            ("username", "x"),
            ("email", "x@example.com"),
            ("password", "short"),
            ("role", "user"),
        ],
    );
    assert_eq!(p.status, 422);
    assert!(p.body.contains("value=\"x@example.com\""));
    assert!(!p.body.contains("value=\"short\""));
    b.submit(
        "/admin/users",
        &[
            ("username", "carol"),
            ("email", ""),
            ("password", PASSWORD),
            ("role", "user"),
        ],
    )
    .assert_redirect("/admin/users");
    let api = app.login("boss", PASSWORD);
    let (_, users) = api.get("/api/v1/users");
    let carol = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap()
        .clone();
    let carol_id = carol["id"].as_i64().unwrap();
    // The new user can sign in through the form.
    drop(sign_in(app, "carol"));

    b.submit(
        &format!("/admin/users/{carol_id}"),
        &[("role", "admin"), ("active", "on")],
    )
    .assert_redirect("/admin/users");
    let (_, users) = api.get("/api/v1/users");
    let carol = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap()
        .clone();
    assert_eq!(carol["role"], "admin");

    // Deactivated: the session of a deactivated user ends.
    let c = sign_in(app, "carol");
    b.submit(&format!("/admin/users/{carol_id}"), &[("role", "user")])
        .assert_redirect("/admin/users");
    c.get("/").assert_redirect("/login");

    // The last active admin cannot demote themselves.
    let boss_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "boss")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    b.submit(
        &format!("/admin/users/{boss_id}"),
        &[("role", "user"), ("active", "on")],
    )
    .assert_redirect("/admin/users");
    assert!(
        b.get("/admin/users")
            .body
            .contains("alert\">The installation must keep at least one active administrator</div>")
    );
}

fn profile_downloads_all_my_data(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    app.create_user("alice", PASSWORD, false);
    let admin = app.login("boss", PASSWORD);
    let pid = admin.post_ok("/api/v1/projects", &tt_tests::json!({"name": "P"}), 201)["id"]
        .as_i64()
        .unwrap();
    let alice_api = app.login("alice", PASSWORD);
    alice_api.post_ok(
        "/api/v1/time-entries",
        &tt_tests::json!({"project_id": pid, "start": "2026-03-01T09:00:00Z", "end": "2026-03-01T10:00:00Z", "notes": "alice-only"}),
        201,
    );
    let b = sign_in(app, "alice");
    let page = b.get("/profile");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/profile/export?format=json"));
    let json = b.get("/profile/export?format=json");
    assert_eq!(json.status, 200);
    let doc: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(doc["user"]["username"], "alice");
    assert_eq!(doc["time_entries"][0]["notes"], "alice-only");
    let csv = b.get("/profile/export?format=csv");
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("\"id\",\"project\","), "{}", csv.body);
    assert!(csv.body.contains("alice-only"));
    assert_eq!(b.get("/profile/export?format=pdf").status, 422);
    // Anonymous visitors are sent to the login form.
    assert_eq!(Browser::new(&app.base).get("/profile").status, 303);
}

fn admin_deletes_a_user_from_the_users_page(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    app.create_user("carol", PASSWORD, false);
    let api = app.login("boss", PASSWORD);
    let carol_id = api
        .get("/api/v1/users")
        .1
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let boss_id = api.get("/api/v1/me").1["id"].as_i64().unwrap();
    let b = sign_in(app, "boss");
    assert!(
        b.get("/admin/users")
            .body
            .contains(&format!("/admin/users/{carol_id}/delete"))
    );
    // Without the confirmation nothing happens.
    b.submit(
        &format!("/admin/users/{carol_id}/delete"),
        &[("entries", "anonymise")],
    )
    .assert_redirect("/admin/users");
    assert_eq!(api.get("/api/v1/users").1.as_array().unwrap().len(), 2);
    // Nobody deletes themselves.
    b.submit(
        &format!("/admin/users/{boss_id}/delete"),
        &[("entries", "delete"), ("confirm", "on")],
    )
    .assert_redirect("/admin/users");
    assert_eq!(api.get("/api/v1/users").1.as_array().unwrap().len(), 2);
    // Confirmed: gone, and a CSRF-less attempt is refused first.
    let no_token = b.post(
        &format!("/admin/users/{carol_id}/delete"),
        &[("entries", "delete"), ("confirm", "on")],
    );
    assert_eq!(no_token.status, 403);
    b.submit(
        &format!("/admin/users/{carol_id}/delete"),
        &[("entries", "delete"), ("confirm", "on")],
    )
    .assert_redirect("/admin/users");
    let names: Vec<String> = api
        .get("/api/v1/users")
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec!["boss".to_owned()]);
}

fn dashboard_totals_add_up_todays_entries(app: &TestApp) {
    use chrono::{Duration, SecondsFormat, Utc};
    let admin = app.user("totals-admin", true);
    let project = admin.post_ok("/api/v1/projects", &json!({"name": "Totals"}), 201)["id"]
        .as_i64()
        .unwrap();
    app.create_user("totals-user", PASSWORD, false);
    let api = app.login("totals-user", PASSWORD);
    let now = Utc::now();
    let today_start = now.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let mut today = 0;
    // Two finished entries of 10 and 5 minutes (counted today unless the
    // test runs just after midnight), and one eight days ago (never).
    for (from, to) in [(20, 10), (9, 4), (8 * 24 * 60, 8 * 24 * 60 - 60)] {
        let start = now - Duration::minutes(from);
        let end = now - Duration::minutes(to);
        api.post_ok(
            "/api/v1/time-entries",
            &json!({
                "project_id": project,
                "start": start.to_rfc3339_opts(SecondsFormat::Secs, true),
                "end": end.to_rfc3339_opts(SecondsFormat::Secs, true),
                "notes": "totals",
            }),
            201,
        );
        if start >= today_start {
            today += (end - start).num_seconds();
        }
    }
    let page = sign_in(app, "totals-user").page("/");
    let after = page
        .body
        .split("id=\"today-h\"")
        .nth(1)
        .expect("today card");
    let stat = after
        .split("<p class=\"stat\">")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .expect("today's total");
    assert_eq!(stat, format!("{}:{:02}", today / 3600, today % 3600 / 60));
}

// The cookie tests below are about HTTP, not storage: SQLite only.

/// `COOKIE_SECURE=auto` (the default): the session cookie is `Secure`, and
/// HSTS sent, exactly when the browser came over HTTPS — here through a
/// trusted proxy that says so; the same claim from anybody else changes
/// nothing.
#[test]
fn cookies_are_secure_exactly_when_the_request_came_over_https() {
    let app = tt_tests::spawn_app_with(tt_tests::Db::Sqlite, |s| {
        s.trusted_proxies = "127.0.0.1".into();
    })
    .expect("SQLite is always available");
    let plain = Browser::new(&app.base).get("/login");
    assert!(plain.header("set-cookie").starts_with("tt_session="));
    assert!(!plain.header("set-cookie").contains("Secure"));
    assert_eq!(plain.header("strict-transport-security"), "");

    let proxied = Browser::new(&app.base);
    proxied.set_header("x-forwarded-proto".parse().unwrap(), "https");
    let page = proxied.get("/login");
    assert!(
        page.header("set-cookie").contains("; Secure"),
        "{:?}",
        page.header("set-cookie")
    );
    assert_eq!(page.header("strict-transport-security"), "max-age=31536000");

    let untrusted =
        tt_tests::spawn_app_with(tt_tests::Db::Sqlite, |_| {}).expect("SQLite is always available");
    let claim = Browser::new(&untrusted.base);
    claim.set_header("x-forwarded-proto".parse().unwrap(), "https");
    let page = claim.get("/login");
    assert!(!page.header("set-cookie").contains("Secure"));
    assert_eq!(page.header("strict-transport-security"), "");
}

/// `COOKIE_SECURE=true` on a plain-HTTP LAN host: the browser drops the
/// cookie, so the login page says so, and the "expired form" that follows
/// explains itself. On `localhost` browsers keep it: no warning there.
#[test]
fn a_cookie_the_browser_will_drop_is_explained() {
    let app = tt_tests::spawn_app_with(tt_tests::Db::Sqlite, |s| s.cookie_secure = "true".into())
        .expect("SQLite is always available");
    let lan = Browser::new(&app.base);
    lan.set_header(reqwest::header::HOST, "timetracker.lan:8080");
    let page = lan.get("/login");
    assert_eq!(page.status, 200);
    assert!(page.header("set-cookie").contains("Secure"));
    assert_eq!(page.header("strict-transport-security"), "max-age=31536000");
    assert!(page.body.contains("COOKIE_SECURE=auto"), "{}", page.body);
    // What the browser does next: posts without the cookie it dropped.
    let lost = Browser::new(&app.base);
    lost.set_header(reqwest::header::HOST, "timetracker.lan:8080");
    let refused = lost.post_raw(
        "/login",
        form_encode(&[
            ("csrf_token", &page.csrf()),
            ("username", "x"),
            ("password", "y"),
        ]),
    );
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Form expired"));
    assert!(refused.body.contains("COOKIE_SECURE=auto"));

    let local = Browser::new(&app.base).get("/login");
    assert!(!local.body.contains("COOKIE_SECURE"));
}

/// Flash messages live in the session cookie; however many pile up and
/// however long the names in them, the cookie stays under the 4 KB browsers
/// keep, and the next page is a page, not a 500.
fn many_long_flash_messages_never_overflow_the_cookie(app: &TestApp) {
    app.create_user("boss", PASSWORD, true);
    let b = sign_in(app, "boss");
    // 200 three-byte characters: the longest name there is, in bytes.
    let name = "€".repeat(200);
    let created = b.submit("/clients", &[("name", &name)]);
    assert_eq!(created.status, 303, "{}", created.body);
    let api = app.login("boss", PASSWORD);
    let id = api.get("/api/v1/clients").1[0]["id"].as_i64().unwrap();
    // One token for all the posts: no page in between takes the messages.
    let token = b.token();
    for round in 0..8 {
        let archived = if round % 2 == 0 { "1" } else { "0" };
        let p = b.post(
            &format!("/clients/{id}/archive"),
            &[("csrf_token", &token), ("archived", archived)],
        );
        assert_eq!(p.status, 303, "round {round}: {}", p.body);
        let cookie = b.session_cookie().unwrap_or_default();
        assert!(
            cookie.len() < 4000,
            "round {round}: cookie of {} bytes",
            cookie.len()
        );
    }
    let page = b.get("/clients");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("archived") || page.body.contains("restored"));
}

on_both_backends!(
    login_logout_and_redirects,
    timer_start_and_stop_from_the_dashboard,
    admin_manages_clients_and_projects,
    manual_entries_edit_reports_and_csv,
    non_admins_get_403_pages,
    posts_without_a_valid_csrf_token_are_refused_and_change_nothing,
    another_users_entry_is_not_found,
    oversized_and_malformed_forms_are_4xx_pages,
    stylesheet_is_embedded_and_cacheable,
    favicon_is_linked_and_answered,
    tasks_and_comments,
    invoices_from_the_admin_pages,
    admin_manages_users,
    profile_downloads_all_my_data,
    admin_deletes_a_user_from_the_users_page,
    many_long_flash_messages_never_overflow_the_cookie,
    dashboard_totals_add_up_todays_entries,
);
