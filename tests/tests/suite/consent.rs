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
