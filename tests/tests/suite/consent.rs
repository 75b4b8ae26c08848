//! Installation identity and consent through the running app (SPEC §4).

use std::time::{Duration, Instant};

use tt_tests::{
    Db, PgDatabase, json, postgres_base_url, spawn_app_with, spawn_fresh_app, test_settings,
};

const SINK: &str = "http://127.0.0.1:9/v1/logs";

#[test]
fn fresh_install_redirects_everything_to_setup() {
    let app = spawn_fresh_app(Db::Sqlite, |_| {}).unwrap();
    let get = |p: &str| app.http.get(app.url(p)).send().unwrap();
    for page in ["/", "/entries", "/admin/telemetry", "/projects/1"] {
        let r = get(page);
        assert_eq!(r.status(), 303, "{page}");
        assert_eq!(r.headers()["location"], "/setup", "{page}");
    }
    let r = get("/api/v1/timer");
    assert_eq!(r.status(), 409);
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "setup_required");
    for open in ["/healthz", "/readyz"] {
        assert_eq!(get(open).status(), 200, "{open}");
    }
    assert_ne!(get("/login").status(), 303);
    // The identity exists from the first start and is valid.
    let raw =
        std::fs::read_to_string(app.settings.installation_dir().join("installation.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(doc["setup_complete"], false);
    assert_eq!(doc["telemetry_salt"].as_str().unwrap().len(), 64);
    assert!(doc["base_consent"].is_null() && doc["detailed_consent"].is_null());
}

#[test]
fn admin_toggles_consent_and_others_cannot() {
    let app = spawn_app_with(Db::Sqlite, |s| s.grafana_otlp_endpoint = Some(SINK.into())).unwrap();
    let admin = app.user("boss", true);
    let user = app.user("worker", false);
    let (s, st) = admin.get("/api/v1/admin/telemetry");
    assert_eq!(s, 200);
    // Setup left both boxes unchecked: both off, by a stored refusal.
    assert_eq!(st["base"]["enabled"], false);
    assert_eq!(st["detailed"]["enabled"], false);
    assert_eq!(st["base"]["stored_choice"], false);
    assert_eq!(st["build"], "self-hosted");
    assert_eq!(st["sink_host"], "127.0.0.1:9");
    assert_eq!(st["fingerprint"].as_str().unwrap().len(), 64);
    let install_id = st["install_id"].as_str().unwrap().to_owned();
    assert_eq!(user.get("/api/v1/admin/telemetry").0, 403);
    assert_eq!(
        user.put("/api/v1/admin/telemetry", &json!({"detailed": true}))
            .0,
        403
    );
    assert_eq!(app.anonymous().get("/api/v1/admin/telemetry").0, 401);
    let (s, st) = admin.put("/api/v1/admin/telemetry", &json!({"detailed": true}));
    assert_eq!(s, 200);
    assert_eq!(st["detailed"]["enabled"], true);
    assert!(
        st["detailed"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("enabled by user:")
    );
    assert_eq!(st["base"]["enabled"], false);
    // Persisted in the file, with who decided.
    let raw =
        std::fs::read_to_string(app.settings.installation_dir().join("installation.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(doc["detailed_consent"]["granted"], true);
    assert!(
        doc["detailed_consent"]["decided_by"]
            .as_str()
            .unwrap()
            .starts_with("user:")
    );
    assert_eq!(doc["install_id"], install_id.as_str());
    let (_, st) = admin.put(
        "/api/v1/admin/telemetry",
        &json!({"detailed": false, "base": true}),
    );
    assert_eq!(
        (
            st["detailed"]["enabled"].as_bool(),
            st["base"]["enabled"].as_bool()
        ),
        (Some(false), Some(true))
    );
    assert_eq!(
        admin
            .put("/api/v1/admin/telemetry", &json!({"base": "yes"}))
            .0,
        422
    );
}

#[test]
fn without_a_sink_nothing_is_on_and_it_says_why() {
    let app = spawn_app_with(Db::Sqlite, |_| {}).unwrap();
    let admin = app.user("boss", true);
    let (_, st) = admin.put(
        "/api/v1/admin/telemetry",
        &json!({"base": true, "detailed": true}),
    );
    for level in ["base", "detailed"] {
        assert_eq!(st[level]["enabled"], false);
        assert_eq!(st[level]["stored_choice"], true);
        assert_eq!(st[level]["reason"], "no telemetry endpoint configured");
    }
    assert_eq!(st["sink_configured"], false);
}

#[test]
fn deployer_hard_off_cannot_be_overridden() {
    for (var, value) in [("ENABLE_TELEMETRY", "false"), ("DO_NOT_TRACK", "1")] {
        let app = spawn_app_with(Db::Sqlite, |s| {
            s.grafana_otlp_endpoint = Some(SINK.into());
            match var {
                "ENABLE_TELEMETRY" => s.enable_telemetry = Some(value.into()),
                _ => s.do_not_track = Some(value.into()),
            }
        })
        .unwrap();
        let admin = app.user("boss", true);
        let (s, b) = admin.put("/api/v1/admin/telemetry", &json!({"base": true}));
        assert_eq!(s, 409, "{var}");
        assert!(
            b["error"]["message"].as_str().unwrap().contains("deployer"),
            "{b}"
        );
        let (_, st) = admin.get("/api/v1/admin/telemetry");
        for level in ["base", "detailed"] {
            assert_eq!(st[level]["enabled"], false);
            assert_eq!(st[level]["changeable"], false);
            assert!(st[level]["reason"].as_str().unwrap().contains(var), "{st}");
        }
    }
}

#[test]
fn enable_telemetry_true_grants_base_only() {
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.grafana_otlp_endpoint = Some(SINK.into());
        s.enable_telemetry = Some("true".into());
    })
    .unwrap();
    let admin = app.user("boss", true);
    let (_, st) = admin.get("/api/v1/admin/telemetry");
    assert_eq!(st["base"]["enabled"], true);
    assert_eq!(st["detailed"]["enabled"], false);
}

#[test]
fn corrupt_installation_file_stops_startup_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path(), None);
    std::fs::create_dir_all(settings.installation_dir()).unwrap();
    let path = settings.installation_dir().join("installation.json");
    std::fs::write(&path, b"{\"install_id\": \"trunc").unwrap();
    let err = timetracker::Background::start(&settings).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"install_id\": \"trunc");
}

#[test]
fn two_replicas_on_postgres_share_identity_and_consent() {
    let Some(base) = postgres_base_url() else {
        return;
    };
    let db = PgDatabase::create(&base);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let settings: Vec<_> = dirs
        .iter()
        .map(|d| {
            let mut s = test_settings(d.path(), Some(db.url.clone()));
            s.grafana_otlp_endpoint = Some(SINK.into());
            s.installation_refresh_seconds = 1;
            s
        })
        .collect();
    // Replica A has an installation.json from before the move to PostgreSQL:
    // it seeds the database; replica B has none and adopts the same identity.
    let seeded = tt_installation::Installation::open_in_dir(
        settings[0].installation_dir(),
        settings[0].deployer_policy(),
        true,
    )
    .unwrap();
    seeded.complete_setup(false, false, "test-harness").unwrap();
    let seeded_id = seeded.install_id();
    drop(seeded);
    let a = timetracker::Background::start(&settings[0]).unwrap();
    let b = timetracker::Background::start(&settings[1]).unwrap();
    let http = reqwest::blocking::Client::new();
    // One admin for both (same database).
    let mut conn = tt_persistence::establish(&db.url).unwrap();
    let hash =
        tt_app::passwords::hash(&tt_domain::Password::parse("a-long-password", &[]).unwrap())
            .unwrap();
    tt_persistence::users::create(
        &mut conn,
        &tt_persistence::users::NewUser {
            username: &tt_domain::Username::parse("boss").unwrap(),
            email: None,
            password_hash: &hash,
            role: tt_domain::Role::Admin,
        },
    )
    .unwrap();
    let token = |addr: std::net::SocketAddr| {
        let v: serde_json::Value = http
            .post(format!("http://{addr}/api/v1/auth/login"))
            .json(&json!({"username": "boss", "password": "a-long-password"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["token"].as_str().unwrap().to_owned()
    };
    let (ta, tb) = (token(a.addr), token(b.addr));
    let state = |addr: std::net::SocketAddr, t: &str| -> serde_json::Value {
        http.get(format!("http://{addr}/api/v1/admin/telemetry"))
            .bearer_auth(t)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    assert_eq!(state(a.addr, &ta)["install_id"], seeded_id.to_string());
    assert_eq!(state(b.addr, &tb)["install_id"], seeded_id.to_string());
    assert_eq!(state(b.addr, &tb)["detailed"]["enabled"], false);
    let r = http
        .put(format!("http://{}/api/v1/admin/telemetry", a.addr))
        .bearer_auth(&ta)
        .json(&json!({"detailed": true}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let started = Instant::now();
    while state(b.addr, &tb)["detailed"]["enabled"] != true {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replica B never saw the toggle"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop((a, b));
}

/// The consent history in a personal-data export (the answer of `GET
/// /api/v1/me/export`): `(level, from, to, surface)` per change.
fn exported_changes(export: (u16, serde_json::Value)) -> Vec<(String, String, String, String)> {
    let (s, doc) = export;
    assert_eq!(s, 200, "{doc}");
    doc["consent_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or("null").to_owned();
            (text("level"), text("from"), text("to"), text("surface"))
        })
        .collect()
}

fn row(level: &str, from: &str, to: &str, surface: &str) -> (String, String, String, String) {
    (level.into(), from.into(), to.into(), surface.into())
}

/// Every change of a consent level is kept — who, when, from and to, and
/// the surface: the setup page, the admin page, the API and a deployment
/// setting noticed at start-up — shown on the admin page and in the
/// personal-data export of the admin who made it.
fn consent_history_of_every_surface(db: Db) {
    let Some(mut app) = spawn_fresh_app(db, |s| s.grafana_otlp_endpoint = Some(SINK.into())) else {
        return;
    };
    let b = tt_tests::session::Browser::new(&app.base);
    let form = b.page("/setup");
    b.post(
        "/setup",
        &[
            ("csrf_token", &form.csrf()),
            ("username", "boss"),
            ("email", ""),
            ("password", "a-long-password"),
            ("password_confirm", "a-long-password"),
            ("base_telemetry", "on"),
        ],
    )
    .assert_redirect("/");
    b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/toggle",
        &[("detailed", "on")],
    )
    .assert_redirect("/admin/telemetry");
    let api = app.login("boss", "a-long-password");
    assert_eq!(
        api.put("/api/v1/admin/telemetry", &json!({"base": false}))
            .0,
        200
    );
    // Asking for what is already so changes nothing, and records nothing.
    assert_eq!(
        api.put("/api/v1/admin/telemetry", &json!({"base": false}))
            .0,
        200
    );
    let by_boss = vec![
        row("base", "null", "on", "setup"),
        row("detailed", "null", "off", "setup"),
        row("detailed", "off", "on", "admin-page"),
        row("base", "on", "off", "api"),
    ];
    assert_eq!(exported_changes(api.get("/api/v1/me/export")), by_boss);
    // Another admin's export holds none of boss's changes.
    let other = app.user("other-admin", true);
    assert_eq!(exported_changes(other.get("/api/v1/me/export")), vec![]);

    // The deployer switches telemetry off: noticed at the next start, once.
    app.stop_server();
    app.settings.enable_telemetry = Some("false".into());
    app.start_replica(1).stop();
    app.start_replica(2).stop();
    // …and removes the setting again: the stored choice is back in force.
    app.settings.enable_telemetry = None;
    let replica = app.start_replica(3);
    let base = format!("http://{}", replica.addr);
    let b = tt_tests::session::Browser::signed_in(&base, "boss", "a-long-password");
    let page = b.page("/admin/telemetry").body;
    let table = &page[page.find("id=\"history\"").expect("history section")..];
    let table = &table[..table.find("</table>").expect("history table")];
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 6, "{table}");
    // Newest first; the detailed level was on, base already off.
    let expected = [
        (
            "Detailed analytics",
            "off",
            "on",
            "deployment setting",
            "deployment setting removed",
        ),
        (
            "Detailed analytics",
            "on",
            "off",
            "deployment setting",
            "ENABLE_TELEMETRY=false",
        ),
        ("Base telemetry", "on", "off", "API", "boss (user:1)"),
        (
            "Detailed analytics",
            "off",
            "on",
            "admin page",
            "boss (user:1)",
        ),
        (
            "Detailed analytics",
            "not decided",
            "off",
            "setup page",
            "boss (user:1)",
        ),
        (
            "Base telemetry",
            "not decided",
            "on",
            "setup page",
            "boss (user:1)",
        ),
    ];
    for (row, (level, from, to, surface, who)) in rows.iter().zip(expected) {
        let cells: Vec<&str> = row
            .split("<td>")
            .skip(2)
            .map(|c| c.split("</td>").next().unwrap())
            .collect();
        assert_eq!(cells, [level, from, to, surface, who], "{row}");
    }
    // Deployment changes are nobody's personal data.
    assert_eq!(
        exported_changes(app_api(&base).get("/api/v1/me/export")),
        by_boss
    );
    replica.stop();
}

/// An API client signed in as boss on `base`.
fn app_api(base: &str) -> tt_tests::Api {
    let mut c = tt_tests::Api::new(base);
    c.login("boss", "a-long-password");
    c
}

/// Deleting an administrator keeps their consent changes in the history,
/// as made by a deleted account: nothing of theirs remains.
fn consent_history_outlives_its_admin(app: &tt_tests::TestApp) {
    let boss = app.user("boss", true);
    let leaver = app.user("leaver", true);
    let leaver_id = leaver.get("/api/v1/me").1["id"].as_i64().unwrap();
    assert_eq!(
        leaver
            .put("/api/v1/admin/telemetry", &json!({"detailed": true}))
            .0,
        200
    );
    let (s, _) = boss.delete(&format!("/api/v1/users/{leaver_id}?entries=delete"));
    assert_eq!(s, 200);
    let b = tt_tests::session::Browser::signed_in(&app.base, "boss", "a-long-password");
    let page = b.page("/admin/telemetry").body;
    let history = &page[page.find("id=\"history\"").expect("history")..];
    let history = &history[..history.find("</section>").expect("end")];
    assert!(
        history.contains("<td>Detailed analytics</td><td>off</td><td>on</td><td>API</td><td>a deleted account</td>"),
        "{history}"
    );
    assert!(!history.contains("leaver"), "{history}");
    assert!(!history.contains(&format!("user:{leaver_id}")), "{history}");
}

tt_tests::on_both_backends!(consent_history_outlives_its_admin);

#[test]
fn consent_history_of_every_surface_sqlite() {
    consent_history_of_every_surface(Db::Sqlite);
}

#[test]
fn consent_history_of_every_surface_postgres() {
    consent_history_of_every_surface(Db::Postgres);
}

/// The same toggle submitted twice (a double click, a resent form) is one
/// change in the history: the second finds the choice already stored.
fn the_same_toggle_twice_is_one_change(app: &tt_tests::TestApp) {
    let api = app.user("boss", true);
    let b = tt_tests::session::Browser::signed_in(&app.base, "boss", "a-long-password");
    let token = b.page("/admin/telemetry").csrf();
    let fields = [("csrf_token", token.as_str()), ("detailed", "on")];
    for _ in 0..2 {
        b.post("/admin/telemetry/toggle", &fields)
            .assert_redirect("/admin/telemetry");
    }
    assert_eq!(
        api.put("/api/v1/admin/telemetry", &json!({"detailed": true}))
            .0,
        200
    );
    assert_eq!(
        exported_changes(api.get("/api/v1/me/export")),
        vec![row("detailed", "off", "on", "admin-page")]
    );
}

tt_tests::on_both_backends!(the_same_toggle_twice_is_one_change);

/// While the deployer turns base telemetry on (`ENABLE_TELEMETRY=true`),
/// withdrawing it on the admin page or through the API is refused with the
/// reason (409): nothing is stored, nothing is recorded, base stays on.
fn withdrawing_what_the_deployer_turned_on_is_refused(db: Db) {
    let Some(app) = spawn_app_with(db, |s| {
        s.grafana_otlp_endpoint = Some(SINK.into());
        s.enable_telemetry = Some("true".into());
    }) else {
        return;
    };
    let admin = app.user("boss", true);
    let (s, body) = admin.put("/api/v1/admin/telemetry", &json!({"base": false}));
    assert_eq!(s, 409, "{body}");
    assert!(
        body.to_string().contains(
            "base telemetry cannot be turned off here: the deployer turned it on (ENABLE_TELEMETRY=true)"
        ),
        "{body}"
    );
    let b = tt_tests::session::Browser::signed_in(&app.base, "boss", "a-long-password");
    let page = b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/toggle",
        &[("base", "off")],
    );
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(
        page.body.contains(
            "Base telemetry cannot be turned off here: the deployer turned it on (ENABLE_TELEMETRY=true)"
        ),
        "{}",
        page.body
    );
    let (_, st) = admin.get("/api/v1/admin/telemetry");
    assert_eq!(st["base"]["enabled"], true);
    assert_eq!(exported_changes(admin.get("/api/v1/me/export")), vec![]);
}

#[test]
fn withdrawing_what_the_deployer_turned_on_is_refused_sqlite() {
    withdrawing_what_the_deployer_turned_on_is_refused(Db::Sqlite);
}

#[test]
fn withdrawing_what_the_deployer_turned_on_is_refused_postgres() {
    withdrawing_what_the_deployer_turned_on_is_refused(Db::Postgres);
}
