//! The first-run setup page and Admin → Privacy & Analytics, driven like a
//! browser without JavaScript: forms with CSRF tokens, the `Secure` session
//! cookie kept by hand, redirects inspected rather than followed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use tt_tests::session::{Browser, Page};
use tt_tests::{Db, TestApp, spawn_app_with, spawn_fresh_app};

const PASSWORD: &str = "a-long-password";
/// A loopback port nothing listens on: a sink is "configured" (so consent
/// can take effect) but nothing ever leaves the machine.
const DEAD_SINK: &str = "http://127.0.0.1:9/v1/logs";

/// Page inspections only these tests need.
trait PageExt {
    fn input(&self, id: &str) -> &str;
    fn level_state(&self, level: &str) -> &str;
}

impl PageExt for Page {
    /// The `<input …>` tag with this id.
    fn input(&self, id: &str) -> &str {
        let at = self
            .body
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id} in page:\n{}", self.body));
        let start = self.body[..at].rfind('<').expect("tag start");
        let end = self.body[at..].find('>').expect("tag end") + at;
        &self.body[start..=end]
    }

    /// The text of the state pill of a level on the admin page.
    fn level_state(&self, level: &str) -> &str {
        let section = self
            .body
            .find(&format!("id=\"level-{level}\""))
            .unwrap_or_else(|| panic!("no {level} card:\n{}", self.body));
        let marker = "data-state=\"";
        let at = self.body[section..].find(marker).expect("state pill") + section + marker.len();
        let end = self.body[at..].find('"').expect("end") + at;
        &self.body[at..end]
    }
}

/// Signs in through the login form.
fn sign_in(app: &TestApp, username: &str, next: &str) -> Browser {
    let b = Browser::new(&app.base);
    let form = b.get("/login");
    assert_eq!(form.status, 200);
    let resp = b.post(
        "/login",
        &[
            ("csrf_token", &form.csrf()),
            ("username", username),
            ("password", PASSWORD),
            ("next", next),
        ],
    );
    resp.assert_redirect(next);
    b
}

fn installation_json(app: &TestApp) -> Value {
    let raw =
        std::fs::read_to_string(app.settings.installation_dir().join("installation.json")).unwrap();
    serde_json::from_str(&raw).unwrap()
}

fn user_count(app: &TestApp) -> i64 {
    tt_persistence::users::count(&mut app.conn()).unwrap()
}

fn with_sink(s: &mut timetracker::Settings) {
    s.grafana_otlp_endpoint = Some(DEAD_SINK.into());
}

fn setup_fields<'a>(username: &'a str, boxes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("username", username),
        ("email", ""),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    f.extend_from_slice(boxes);
    f
}

#[test]
fn first_run_setup_through_the_form() {
    let app = spawn_fresh_app(Db::Sqlite, with_sink).unwrap();
    let b = Browser::new(&app.base);
    b.get("/").assert_redirect("/setup");
    b.get("/admin/telemetry").assert_redirect("/setup");

    let page = b.get("/setup");
    assert_eq!(page.status, 200, "{}", page.body);
    for id in ["base_telemetry", "detailed_analytics"] {
        let tag = page.input(id);
        assert!(tag.contains("type=\"checkbox\""), "{tag}");
        assert!(!tag.contains("checked"), "boxes start unchecked: {tag}");
        assert!(!tag.contains("disabled"), "{tag}");
    }
    // Each box says what would be sent and what never is, and links the docs.
    for text in [
        "Install id",
        "Fingerprint",
        "route template",
        "e-mail addresses",
        "IP addresses",
        "docs/all_tracked_events.md",
        "docs/admin/monitoring/telemetry.md",
        "timer.started",
        "127.0.0.1:9",
    ] {
        assert!(page.body.contains(text), "setup page lacks {text:?}");
    }
    let token = page.csrf();

    // No CSRF token: refused before anything happens.
    let p = b.post("/setup", &setup_fields("boss", &[]));
    assert_eq!(p.status, 403, "{}", p.body);
    assert_eq!(user_count(&app), 0);
    assert_eq!(installation_json(&app)["setup_complete"], false);

    // Passwords that differ: the form again, the username kept, nothing created.
    let mut fields = setup_fields("boss", &[]);
    fields.push(("csrf_token", &token));
    fields[3] = ("password_confirm", "another-password");
    let p = b.post("/setup", &fields);
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("do not match"), "{}", p.body);
    assert!(p.body.contains("value=\"boss\""));
    assert!(!p.body.contains(PASSWORD), "the password is never echoed");
    assert_eq!(user_count(&app), 0);
    assert_eq!(installation_json(&app)["setup_complete"], false);

    // Boxes left unticked: both levels stored as refused, admin signed in.
    let mut fields = setup_fields("boss", &[]);
    fields.push(("csrf_token", &token));
    b.post("/setup", &fields).assert_redirect("/");
    assert_eq!(user_count(&app), 1);
    let doc = installation_json(&app);
    assert_eq!(doc["setup_complete"], true);
    for level in ["base_consent", "detailed_consent"] {
        assert_eq!(doc[level]["granted"], false, "{doc}");
        assert_eq!(doc[level]["decided_by"], "setup-wizard", "{doc}");
    }
    let home = b.get("/");
    assert_eq!(home.status, 200, "signed in after setup: {}", home.body);
    assert!(home.body.contains("Setup is complete"), "{}", home.body);

    let api = app.login("boss", PASSWORD);
    let (s, st) = api.get("/api/v1/admin/telemetry");
    assert_eq!(s, 200);
    assert_eq!(st["base"]["enabled"], false);
    assert_eq!(st["detailed"]["enabled"], false);
    assert_eq!(st["setup_complete"], true);

    // Setup cannot be reopened: the page redirects, a replayed or second
    // submission creates nobody.
    b.get("/setup").assert_redirect("/");
    let token = b.get("/help").csrf();
    let mut again = setup_fields("intruder", &[("base_telemetry", "on")]);
    again.push(("csrf_token", &token));
    b.post("/setup", &again).assert_redirect("/");
    let stranger = Browser::new(&app.base);
    stranger.get("/setup").assert_redirect("/login");
    let token = stranger.get("/login").csrf();
    let mut again = setup_fields("intruder", &[("detailed_analytics", "on")]);
    again.push(("csrf_token", &token));
    stranger.post("/setup", &again).assert_redirect("/login");
    assert_eq!(user_count(&app), 1);
    let doc2 = installation_json(&app);
    assert_eq!(doc2["base_consent"], doc["base_consent"]);
    assert_eq!(doc2["detailed_consent"], doc["detailed_consent"]);
    assert_eq!(doc2["setup_completed_at"], doc["setup_completed_at"]);
}

#[test]
fn ticked_boxes_are_recorded_and_the_sink_follows() {
    let app = spawn_fresh_app(Db::Sqlite, with_sink).unwrap();
    let b = Browser::new(&app.base);
    let token = b.get("/setup").csrf();
    let mut fields = setup_fields("boss", &[("detailed_analytics", "on")]);
    fields.push(("csrf_token", &token));
    b.post("/setup", &fields).assert_redirect("/");
    let doc = installation_json(&app);
    assert_eq!(doc["base_consent"]["granted"], false);
    assert_eq!(doc["detailed_consent"]["granted"], true);
    let page = b.get("/admin/telemetry");
    assert_eq!(page.status, 200);
    assert_eq!(page.level_state("base"), "off");
    assert_eq!(page.level_state("detailed"), "on");
    assert!(page.body.contains("the setup page (first administrator)"));
}

#[test]
fn an_admin_made_on_the_command_line_signs_in_and_records_consent() {
    let app = spawn_fresh_app(Db::Sqlite, with_sink).unwrap();
    let boss = app.create_user("boss", PASSWORD, true);
    let anon = Browser::new(&app.base);
    let page = anon.get("/setup");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/login?next=%2Fsetup\""));
    assert!(!page.body.contains("name=\"username\""));
    // Without signing in, a submission only leads to the login form.
    let token = anon.get("/login").csrf();
    let mut fields = setup_fields("other", &[("base_telemetry", "on")]);
    fields.push(("csrf_token", &token));
    anon.post("/setup", &fields)
        .assert_redirect("/login?next=%2Fsetup");
    assert_eq!(installation_json(&app)["setup_complete"], false);

    let b = sign_in(&app, "boss", "/setup");
    let page = b.get("/setup");
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("name=\"password\""),
        "no second admin form"
    );
    assert!(page.body.contains("Signed in as <strong>boss</strong>"));
    let token = page.csrf();
    b.post(
        "/setup",
        &[("csrf_token", &token), ("base_telemetry", "on")],
    )
    .assert_redirect("/");
    assert_eq!(user_count(&app), 1);
    let doc = installation_json(&app);
    assert_eq!(doc["setup_complete"], true);
    assert_eq!(doc["base_consent"]["granted"], true);
    assert_eq!(doc["detailed_consent"]["granted"], false);
    assert_eq!(doc["base_consent"]["decided_by"], format!("user:{boss}"));
}

#[test]
fn the_admin_page_shows_state_reasons_and_toggles() {
    let app = spawn_app_with(Db::Sqlite, with_sink).unwrap();
    let boss = app.create_user("boss", PASSWORD, true);
    app.create_user("worker", PASSWORD, false);
    let b = sign_in(&app, "boss", "/");
    let st = |app: &TestApp| app.login("boss", PASSWORD).get("/api/v1/admin/telemetry").1;
    let install_id = st(&app)["install_id"].as_str().unwrap().to_owned();

    let page = b.get("/admin/telemetry");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("aria-current=\"page\">Privacy &amp; Analytics")
    );
    assert_eq!(page.level_state("base"), "off");
    assert_eq!(page.level_state("detailed"), "off");
    for text in [
        "Disabled by test-harness",
        install_id.as_str(),
        "request deletion",
        "Self-hosted build",
        "<code>127.0.0.1:9</code>",
        "Error reports (Sentry)",
        "Last error",
        "dropped_no_consent",
        "<pre class=\"payload\"",
        "base_telemetry.heartbeat",
        "docs/all_tracked_events.md",
        "docs/admin/monitoring/telemetry.md",
        "Never sent",
    ] {
        assert!(page.body.contains(text), "admin page lacks {text:?}");
    }
    // The same catalog as the telemetry crate: every event is listed.
    let listed = page.body.matches("<tr>\n      <td><code>").count();
    assert!(listed >= 30, "{listed} events listed");
    // The heartbeat preview carries this installation's id, escaped as text.
    let pre = page.body.split("<pre class=\"payload\"").nth(1).unwrap();
    let pre = &pre[..pre.find("</pre>").unwrap()];
    assert!(pre.contains(&install_id), "{pre}");
    assert!(
        !pre.contains("\"install_id\""),
        "JSON quotes are escaped: {pre}"
    );

    // No CSRF token: refused, nothing changes.
    let p = b.post("/admin/telemetry/toggle", &[("detailed", "on")]);
    assert_eq!(p.status, 403);
    assert_eq!(st(&app)["detailed"]["enabled"], false);

    // One click turns detailed analytics on, effective at once.
    let p = b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/toggle",
        &[("detailed", "on")],
    );
    p.assert_redirect("/admin/telemetry");
    let page = b.get("/admin/telemetry");
    assert!(
        page.body.contains("Detailed analytics turned on."),
        "{}",
        page.body
    );
    assert_eq!(page.level_state("detailed"), "on");
    assert_eq!(page.level_state("base"), "off");
    let now = st(&app);
    assert_eq!(now["detailed"]["enabled"], true);
    assert_eq!(now["detailed"]["decided_by"], format!("user:{boss}"));
    assert!(page.body.contains(&format!("boss (user:{boss})")));
    assert_eq!(installation_json(&app)["detailed_consent"]["granted"], true);

    // And off again.
    b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/toggle",
        &[("detailed", "off")],
    )
    .assert_redirect("/admin/telemetry");
    assert_eq!(st(&app)["detailed"]["enabled"], false);
    assert_eq!(b.get("/admin/telemetry").level_state("detailed"), "off");

    // Nonsense values are refused.
    let p = b.submit("/admin/telemetry/toggle", &[("base", "maybe")]);
    assert_eq!(p.status, 400);
    let p = b.submit("/admin/telemetry/toggle", &[]);
    assert_eq!(p.status, 400);

    // Non-admins: 403 on every one of these; anonymous: to the login form.
    let w = sign_in(&app, "worker", "/");
    assert_eq!(w.get("/admin/telemetry").status, 403);
    assert_eq!(
        w.submit("/admin/telemetry/toggle", &[("base", "on")])
            .status,
        403
    );
    assert_eq!(
        w.submit("/admin/telemetry/rotate", &[("confirm", "on")])
            .status,
        403
    );
    let after = st(&app);
    assert_eq!(after["base"]["enabled"], false);
    assert_eq!(after["install_id"], install_id.as_str());
    Browser::new(&app.base)
        .get("/admin/telemetry")
        .assert_redirect("/login?next=%2Fadmin%2Ftelemetry");
    let anon = Browser::new(&app.base);
    let token = anon.get("/login").csrf();
    let p = anon.post(
        "/admin/telemetry/toggle",
        &[("csrf_token", &token), ("base", "on")],
    );
    p.assert_redirect("/login");
}

#[test]
fn deployer_hard_off_cannot_be_overridden_from_the_pages() {
    let app = spawn_fresh_app(Db::Sqlite, |s| {
        with_sink(s);
        s.enable_telemetry = Some("false".into());
    })
    .unwrap();
    let b = Browser::new(&app.base);
    let page = b.get("/setup");
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("disabled by the deployer (ENABLE_TELEMETRY=false)"),
        "{}",
        page.body
    );
    for id in ["base_telemetry", "detailed_analytics"] {
        let tag = page.input(id);
        assert!(tag.contains("disabled"), "{tag}");
        assert!(!tag.contains("checked"), "{tag}");
    }
    // A forged submission with a ticked box creates nothing.
    let token = page.csrf();
    let mut fields = setup_fields("boss", &[("base_telemetry", "on")]);
    fields.push(("csrf_token", &token));
    let p = b.post("/setup", &fields);
    assert_eq!(p.status, 409, "{}", p.body);
    assert!(p.body.contains("deployer"), "{}", p.body);
    assert_eq!(user_count(&app), 0);
    assert_eq!(installation_json(&app)["setup_complete"], false);
    // Without the boxes it works.
    let mut fields = setup_fields("boss", &[]);
    fields.push(("csrf_token", &token));
    b.post("/setup", &fields).assert_redirect("/");

    let page = b.get("/admin/telemetry");
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Disabled by the deployer (ENABLE_TELEMETRY=false)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"base\" value=\"on\" disabled"));
    assert!(
        page.body
            .contains("name=\"detailed\" value=\"on\" disabled")
    );
    let before = installation_json(&app);
    for level in ["base", "detailed"] {
        let p = b.submit_from(
            "/admin/telemetry",
            "/admin/telemetry/toggle",
            &[(level, "on")],
        );
        assert_eq!(p.status, 409, "{}", p.body);
        assert!(
            p.body
                .contains("cannot be turned on: it is disabled by the deployer"),
            "{}",
            p.body
        );
        assert_eq!(p.level_state(level), "off");
    }
    assert_eq!(installation_json(&app), before, "state unchanged");
}

#[test]
fn rotating_the_install_id_needs_confirmation_and_keeps_consent() {
    let app = spawn_app_with(Db::Sqlite, with_sink).unwrap();
    app.create_user("boss", PASSWORD, true);
    let b = sign_in(&app, "boss", "/");
    b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/toggle",
        &[("detailed", "on")],
    )
    .assert_redirect("/admin/telemetry");
    let before = installation_json(&app);
    let old_id = before["install_id"].as_str().unwrap().to_owned();

    // Without ticking "I understand": nothing happens.
    b.submit_from("/admin/telemetry", "/admin/telemetry/rotate", &[])
        .assert_redirect("/admin/telemetry");
    let page = b.get("/admin/telemetry");
    assert!(page.body.contains("was not changed"), "{}", page.body);
    assert_eq!(installation_json(&app)["install_id"], old_id.as_str());

    b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/rotate",
        &[("confirm", "on")],
    )
    .assert_redirect("/admin/telemetry");
    let after = installation_json(&app);
    let new_id = after["install_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, old_id);
    assert_eq!(after["detailed_consent"], before["detailed_consent"]);
    assert_eq!(after["base_consent"], before["base_consent"]);
    assert_eq!(after["telemetry_salt"], before["telemetry_salt"]);
    let page = b.get("/admin/telemetry");
    assert!(page.body.contains(&format!("New install id: {new_id}")));
    assert!(
        !page.body.contains(&old_id),
        "the old id is gone from the page"
    );
    assert_eq!(page.level_state("detailed"), "on");

    // The JSON twin does the same.
    let api = app.login("boss", PASSWORD);
    let (s, st) = api.post("/api/v1/admin/telemetry/rotate-install-id", &Value::Null);
    assert_eq!(s, 200, "{st}");
    assert_ne!(st["install_id"], new_id.as_str());
    assert_eq!(st["detailed"]["enabled"], true);
    let worker = app.user("worker", false);
    assert_eq!(
        worker
            .post("/api/v1/admin/telemetry/rotate-install-id", &Value::Null)
            .0,
        403
    );
}

/// Claims about the recipient that were once shown and are false on a
/// self-hosted build.
const WRONG_RECIPIENTS: [&str; 4] = [
    "TimeTracker developers",
    "official telemetry service",
    "90 days",
    "an OTLP receiver you configure",
];

/// Where data goes is one answer, shown the same by the wizard, the admin
/// page and the API: the configured endpoint's host on a self-hosted build
/// — never "the TimeTracker developers" or an official service.
#[test]
fn every_surface_names_the_configured_receiver() {
    const NAMED: &str = "the telemetry receiver at otlp.acme-collector.test:4318, chosen by whoever deployed this server";
    let app = spawn_fresh_app(Db::Sqlite, |s| {
        s.grafana_otlp_endpoint = Some("http://otlp.acme-collector.test:4318/v1/logs".into());
    })
    .expect("app");
    let b = Browser::new(&app.base);
    let wizard = b.page("/setup").body;
    assert!(
        wizard.contains(&format!(
            "may send to <span class=\"recipient\">{NAMED}</span>"
        )),
        "{wizard}"
    );
    assert!(
        wizard.contains(&format!("If you tick one, data goes to {NAMED}. That receiver is run by whoever deployed this server")),
        "{wizard}"
    );
    for wrong in WRONG_RECIPIENTS {
        assert!(!wizard.contains(wrong), "the wizard says {wrong:?}");
    }
    let page = b.get("/setup");
    let mut fields = setup_fields("boss", &[]);
    let token = page.csrf();
    fields.push(("csrf_token", &token));
    b.post("/setup", &fields).assert_redirect("/");

    let admin = b.page("/admin/telemetry").body;
    assert!(
        admin.contains("<dd id=\"recipient\">The telemetry receiver at otlp.acme-collector.test:4318, chosen by whoever deployed this server.<br>"),
        "{admin}"
    );
    assert!(
        admin.contains("it keeps what it receives as long as they configured it to."),
        "{admin}"
    );
    for wrong in WRONG_RECIPIENTS {
        assert!(!admin.contains(wrong), "the admin page says {wrong:?}");
    }

    let (s, st) = app.login("boss", PASSWORD).get("/api/v1/admin/telemetry");
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["recipient"], NAMED);
    assert_eq!(st["recipient_kind"], "operator");
    assert_eq!(st["sink_host"], "otlp.acme-collector.test:4318");
}

/// Without an endpoint every surface says nothing can be sent.
#[test]
fn without_an_endpoint_the_recipient_is_nobody() {
    let app = spawn_fresh_app(Db::Sqlite, |_| {}).expect("app");
    let page = Browser::new(&app.base).page("/setup").body;
    for wrong in WRONG_RECIPIENTS {
        assert!(!page.contains(wrong), "the wizard says {wrong:?}");
    }
    assert!(
        page.contains("no telemetry receiver is configured"),
        "{page}"
    );
    let app = spawn_app_with(Db::Sqlite, |_| {}).expect("app");
    let (s, st) = app.user("boss", true).get("/api/v1/admin/telemetry");
    assert_eq!(s, 200, "{st}");
    assert_eq!(
        st["recipient"],
        "nobody: no telemetry endpoint is configured"
    );
    assert_eq!(st["recipient_kind"], "none");
    let admin = sign_in(&app, "boss", "/admin/telemetry")
        .page("/admin/telemetry")
        .body;
    assert!(
        admin.contains("<dd id=\"recipient\">Nobody: no telemetry endpoint is configured.<br>"),
        "{admin}"
    );
}
