//! The real `timetracker` binary: every CLI command, and `serve` on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_timetracker"));
        c.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATA_DIR", self.dir.path().join("data"))
            .env("LOG_DIR", self.dir.path().join("logs"))
            .env("CONFIG_DIR", self.dir.path().join("config"));
        c
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[test]
fn version_names_the_build() {
    let (ok, out, _) = Env::new().run(&["version"]);
    assert!(ok);
    assert!(
        out.starts_with(&format!("timetracker {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    assert!(out.contains("self-hosted build"), "{out}");
}

#[test]
fn migrate_twice_is_a_noop() {
    let env = Env::new();
    std::fs::create_dir_all(env.dir.path().join("data")).unwrap();
    let (ok, out, err) = env.run(&["migrate"]);
    assert!(ok, "{err}");
    let on_disk = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite"),
    )
    .unwrap()
    .count();
    assert!(
        out.starts_with(&format!("{on_disk} migration(s) applied")),
        "{out}"
    );
    let (ok, out, _) = env.run(&["migrate"]);
    assert!(ok);
    assert!(out.starts_with("0 migration(s) applied"), "{out}");
}

#[test]
fn user_create_from_file_and_stdin() {
    let env = Env::new();
    let pw = env.dir.path().join("pw");
    std::fs::write(&pw, "a-very-long-password\n").unwrap();
    let (ok, out, err) = env.run(&[
        "user",
        "create",
        "--username",
        "root",
        "--admin",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("created admin user root"), "{out}");
    // Same name again, in any letter case: a clear error, non-zero exit.
    for name in ["root", "Root"] {
        let (ok, _, err) = env.run(&[
            "user",
            "create",
            "--username",
            name,
            "--password-file",
            pw.to_str().unwrap(),
        ]);
        assert!(!ok);
        assert!(err.contains("Username: is already taken"), "{err}");
    }
    // Password on stdin.
    let mut child = env
        .cmd()
        .args(["user", "create", "--username", "alice"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"another-long-password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user user alice"));
    // Too short a password is refused before anything is written.
    std::fs::write(&pw, "short\n").unwrap();
    let (ok, _, err) = env.run(&[
        "user",
        "create",
        "--username",
        "bob",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("at least 12"), "{err}");
    // Long but common: refused, saying why.
    std::fs::write(&pw, "password1234\n").unwrap();
    let (ok, _, err) = env.run(&[
        "user",
        "create",
        "--username",
        "bob",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("too easy to guess"), "{err}");
}

#[test]
fn user_set_password_ends_access_and_can_be_temporary() {
    let env = Env::new();
    let pw = env.dir.path().join("pw");
    std::fs::write(&pw, "a-very-long-password\n").unwrap();
    let args = |name: &str| -> Vec<String> {
        ["user", "create", "--username", name, "--password-file"]
            .iter()
            .map(ToString::to_string)
            .chain([pw.to_str().unwrap().to_owned()])
            .collect()
    };
    let create = args("carol");
    let (ok, _, err) = env.run(&create.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    std::fs::write(&pw, "quartz-meadow-lantern\n").unwrap();
    let set = |extra: &[&str]| {
        let mut a = vec![
            "user",
            "set-password",
            "--username",
            "carol",
            "--password-file",
            pw.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        env.run(&a)
    };
    let (ok, out, err) = set(&[]);
    assert!(ok, "{err}");
    assert!(out.contains("password of carol set"), "{out}");
    let (ok, out, err) = set(&["--temporary"]);
    assert!(ok, "{err}");
    assert!(out.contains("choose a new one"), "{out}");
    // The same strength rule as everywhere; an unknown user is named.
    std::fs::write(&pw, "carol-carol-1\n").unwrap();
    let (ok, _, err) = set(&[]);
    assert!(!ok);
    assert!(err.contains("too easy to guess"), "{err}");
    std::fs::write(&pw, "quartz-meadow-lantern\n").unwrap();
    let (ok, _, err) = env.run(&[
        "user",
        "set-password",
        "--username",
        "nobody",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("no user named nobody"), "{err}");
    // The password really changed, and --temporary was recorded.
    let db = env.dir.path().join("data/timetracker.db");
    let mut conn = tt_persistence::establish(&format!("sqlite://{}", db.display())).unwrap();
    let (user, hash) = tt_persistence::users::find_with_hash(&mut conn, "carol").unwrap();
    assert!(tt_app::passwords::verify("quartz-meadow-lantern", &hash));
    assert!(!tt_app::passwords::verify("a-very-long-password", &hash));
    assert!(user.must_change_password);
}

#[test]
fn config_show_redacts_secrets() {
    let env = Env::new();
    std::fs::create_dir_all(env.dir.path().join("config")).unwrap();
    std::fs::write(env.dir.path().join("config/default.toml"), "port = 9999\n").unwrap();
    let secret = "s".repeat(80);
    let out = env
        .cmd()
        .args(["config", "show"])
        .env("SECRET_KEY", &secret)
        .env("DATABASE_URL", "postgres://tt:hunter2@db.internal:5432/tt")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("port = 9999"), "{text}");
    assert!(!text.contains(&secret), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("secret_key = \"***\""), "{text}");
    // A broken config file is a clear error naming the file.
    std::fs::write(env.dir.path().join("config/zz.toml"), "port = [").unwrap();
    let (ok, _, err) = env.run(&["config", "show"]);
    assert!(!ok);
    assert!(err.contains("zz.toml"), "{err}");
}

#[test]
fn serve_on_port_zero_answers_health_and_stops() {
    let env = Env::new();
    let mut child = env
        .cmd()
        .env("PORT", "0")
        .env("BIND_ADDR", "127.0.0.1")
        .env("LOG_LEVEL", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut addr = None;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = Some(rest.trim().to_owned());
            break;
        }
    }
    let addr = addr.expect("server printed its address");
    let get = |path: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut s, &mut out).unwrap();
        out
    };
    assert!(get("/healthz").starts_with("HTTP/1.1 200"));
    assert!(get("/readyz").starts_with("HTTP/1.1 200"));
    // The database and the generated secret landed in the data dir.
    assert!(env.dir.path().join("data/timetracker.db").exists());
    assert!(env.dir.path().join("data/secret_key").exists());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn setup_cli_then_status_and_no_second_setup() {
    let env = Env::new();
    let pw = env.dir.path().join("pw");
    std::fs::write(&pw, "a-very-long-password\n").unwrap();
    let out = env
        .cmd()
        .args([
            "setup",
            "--admin-username",
            "root",
            "--admin-password-file",
            pw.to_str().unwrap(),
            "--base-telemetry",
        ])
        .env("GRAFANA_OTLP_ENDPOINT", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("setup complete: administrator root"),
        "{text}"
    );
    assert!(text.contains("base: on — enabled by setup-cli"), "{text}");
    assert!(
        text.contains("detailed: off — disabled by setup-cli"),
        "{text}"
    );
    // The choices are in the consent history, as made on the command line
    // by the new administrator, and in that administrator's data export.
    let (ok, out, err) = env.run(&["privacy", "export", "--user", "root"]);
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let changes: Vec<(&str, &str, &str, &str)> = doc["consent_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["level"].as_str().unwrap(),
                c["to"].as_str().unwrap(),
                c["surface"].as_str().unwrap(),
                c["actor"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("base", "on", "cli", "setup-cli"),
            ("detailed", "off", "cli", "setup-cli")
        ]
    );
    assert!(doc["consent_changes"][0]["from"].is_null(), "{doc}");
    // A second setup changes nothing.
    let (ok, _, err) = env.run(&[
        "setup",
        "--admin-username",
        "other",
        "--admin-password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("already complete"), "{err}");
    // Status explains each level; without a sink nothing is on.
    let (ok, out, _) = env.run(&["telemetry", "status"]);
    assert!(ok);
    assert!(
        out.contains("recipient: nobody: no telemetry endpoint is configured"),
        "{out}"
    );
    assert!(
        out.contains("base: off — no telemetry endpoint configured"),
        "{out}"
    );
    let out = env
        .cmd()
        .args(["telemetry", "status"])
        .env("DO_NOT_TRACK", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("base: off — disabled by the deployer (DO_NOT_TRACK=1)"),
        "{text}"
    );
}

/// `telemetry status` names the receiver every other surface names: the
/// configured endpoint's host on a self-hosted build, never its path or
/// credentials, and no official service.
#[test]
fn telemetry_status_names_the_configured_receiver() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["telemetry", "status"])
        .env(
            "GRAFANA_OTLP_ENDPOINT",
            "http://user:secret@otlp.acme-collector.test:4318/v1/logs",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "recipient: the telemetry receiver at otlp.acme-collector.test:4318, chosen by whoever deployed this server\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("retention: That receiver is run by whoever deployed this server; it keeps what it receives as long as they configured it to."),
        "{text}"
    );
    for wrong in [
        "secret",
        "/v1/logs",
        "TimeTracker developers",
        "official",
        "90 days",
    ] {
        assert!(!text.contains(wrong), "status says {wrong:?}: {text}");
    }
}

#[test]
fn privacy_export_and_erase_logs() {
    let env = Env::new();
    let pw = env.dir.path().join("pw");
    std::fs::write(&pw, "a-very-long-password\n").unwrap();
    let (ok, _, err) = env.run(&[
        "user",
        "create",
        "--username",
        "alice",
        "--email",
        "alice@example.org",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = env.run(&["privacy", "export", "--user", "alice"]);
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["user"]["username"], "alice");
    assert_eq!(doc["user"]["email"], "alice@example.org");
    assert!(doc["time_entries"].as_array().unwrap().is_empty());
    let (ok, _, err) = env.run(&["privacy", "export", "--user", "nobody"]);
    assert!(!ok);
    assert!(err.contains("no user named"), "{err}");
    // Erasing logs needs confirmation; with --yes it removes app.jsonl*.
    let logs = env.dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("app.jsonl"), "{}\n").unwrap();
    std::fs::write(logs.join("app.2026-11-01.jsonl"), "{}\n").unwrap();
    // The CLI itself may already have started today's log and its link.
    let _ = std::fs::remove_file(logs.join("app.jsonl"));
    std::os::unix::fs::symlink(logs.join("app.2026-11-01.jsonl"), logs.join("app.jsonl")).unwrap();
    std::fs::write(logs.join("app.2026-11-02.jsonl"), "{}\n").unwrap();
    std::fs::write(logs.join("keep.txt"), "x").unwrap();
    let out = env
        .cmd()
        .args(["privacy", "erase-logs"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(logs.join("app.jsonl").exists());
    let ours =
        |name: &str| name == "app.jsonl" || (name.starts_with("app.") && name.ends_with(".jsonl"));
    let count_ours = || {
        std::fs::read_dir(&logs)
            .unwrap()
            .filter(|e| ours(&e.as_ref().unwrap().file_name().to_string_lossy()))
            .count()
    };
    let before = count_ours();
    assert!(before >= 3, "{before}");
    let (ok, out, _) = env.run(&["privacy", "erase-logs", "--yes"]);
    assert!(ok);
    assert!(
        out.contains(&format!("erased {before} log file(s)")),
        "{out}"
    );
    assert_eq!(count_ours(), 0);
    assert!(!logs.join("app.jsonl").is_symlink() && !logs.join("app.2026-11-01.jsonl").exists());
    assert!(!logs.join("app.2026-11-02.jsonl").exists());
    assert!(logs.join("keep.txt").exists());
}

#[test]
fn a_lost_installation_file_is_refused_until_recovered() {
    let env = Env::new();
    let pw = env.dir.path().join("pw");
    std::fs::write(&pw, "a-very-long-password\n").unwrap();
    let (ok, _, err) = env.run(&[
        "setup",
        "--admin-username",
        "boss",
        "--admin-password-file",
        pw.to_str().unwrap(),
        "--base-telemetry",
    ]);
    assert!(ok, "{err}");
    let file = env.dir.path().join("data/installation.json");
    let before: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    std::fs::remove_file(&file).unwrap();
    // Every command that opens the installation refuses, naming the file
    // and the way out; nothing is silently regenerated.
    let (ok, _, err) = env.run(&["telemetry", "status"]);
    assert!(!ok);
    assert!(err.contains("installation.json is missing"), "{err}");
    assert!(err.contains("timetracker installation recover"), "{err}");
    assert!(!file.exists());
    // Recovery: a new identity, setup still complete, both levels off.
    let (ok, out, err) = env.run(&["installation", "recover"]);
    assert!(ok, "{err}");
    assert!(out.contains("installation recovered"), "{out}");
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_ne!(after["install_id"], before["install_id"]);
    assert_eq!(after["setup_complete"], true);
    let (ok, out, _) = env.run(&["telemetry", "status"]);
    assert!(ok);
    assert!(out.contains("base: off"), "{out}");
    assert!(out.contains("detailed: off"), "{out}");
    // The consent history records the change, made on the command line.
    let db = format!(
        "sqlite://{}",
        env.dir.path().join("data/timetracker.db").display()
    );
    let mut conn = tt_persistence::establish(&db).unwrap();
    let changes: Vec<(String, Option<bool>, bool, String, String)> =
        tt_persistence::consent_history::recent(&mut conn, 10)
            .unwrap()
            .into_iter()
            .filter(|c| c.actor == "installation-recover")
            .map(|c| (c.level, c.from_granted, c.to_granted, c.surface, c.actor))
            .collect();
    // Base was on, detailed already off: one change.
    assert_eq!(
        changes,
        [(
            "base".to_owned(),
            Some(true),
            false,
            "cli".to_owned(),
            "installation-recover".to_owned()
        )]
    );
    // Nothing left to recover.
    let (ok, _, err) = env.run(&["installation", "recover"]);
    assert!(!ok);
    assert!(err.contains("nothing to recover"), "{err}");
}

/// `telemetry export` writes the next heartbeat exactly as a send would
/// post it, sends nothing (a listener at the configured endpoint sees no
/// connection), works without any endpoint (an air-gapped server), and
/// writes nothing while base telemetry is not allowed.
#[test]
fn telemetry_export_writes_the_payload_and_sends_nothing() {
    let env = Env::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}/v1/logs", listener.local_addr().unwrap());
    let pw = env.dir.path().join("pw");
    std::fs::write(&pw, "a-very-long-password\n").unwrap();
    let out = env
        .cmd()
        .args(["setup", "--admin-username", "root", "--admin-password-file"])
        .arg(&pw)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Base telemetry refused at setup: nothing is written.
    let file = env.dir.path().join("heartbeat.pb");
    let (ok, _, err) = env.run(&["telemetry", "export", "--out", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("base telemetry is off (disabled by setup-cli"),
        "{err}"
    );
    assert!(!file.exists());

    // Allowed (stored in installation.json as an administrator would):
    // the file holds one OTLP heartbeat under this install id.
    let inst_path = env.dir.path().join("data/installation.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&inst_path).unwrap()).unwrap();
    doc["base_consent"]["granted"] = serde_json::Value::Bool(true);
    std::fs::write(&inst_path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let install_id = doc["install_id"].as_str().unwrap().to_owned();
    for endpoint in [None, Some(endpoint.as_str())] {
        let _ = std::fs::remove_file(&file);
        let mut cmd = env.cmd();
        cmd.args(["telemetry", "export", "--out"]).arg(&file);
        if let Some(e) = endpoint {
            cmd.env("GRAFANA_OTLP_ENDPOINT", e);
        }
        let out = cmd.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("Content-Type: application/x-protobuf"),
            "{text}"
        );
        assert!(text.contains("nothing was sent"), "{text}");
        let body = std::fs::read(&file).unwrap();
        let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"base_telemetry.heartbeat"), "{body:?}");
        assert!(has(install_id.as_bytes()));
        assert!(!has(b"a-very-long-password"));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        listener.accept().is_err(),
        "the export connected to the endpoint"
    );
}

/// `telemetry delete-request` sends exactly one deletion request under the
/// install id of the time, then replaces the id; it needs confirmation, an
/// endpoint, and no deployer switch forbidding sends.
#[test]
fn telemetry_delete_request_sends_one_record_then_rotates() {
    let env = Env::new();
    let receiver = tt_testkit::otlp::OtlpReceiver::start();
    let url = receiver.url();
    let pw = env.dir.path().join("pw");
    std::fs::write(&pw, "a-very-long-password\n").unwrap();
    let (ok, _, err) = env.run(&[
        "setup",
        "--admin-username",
        "root",
        "--admin-password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let install_id = || -> String {
        let raw = std::fs::read_to_string(env.dir.path().join("data/installation.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
        doc["install_id"].as_str().unwrap().to_owned()
    };
    let old_id = install_id();
    let run = |args: &[&str], vars: &[(&str, &str)]| {
        let mut cmd = env.cmd();
        cmd.args(args).stdin(Stdio::null());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let endpoint = [("GRAFANA_OTLP_ENDPOINT", url.as_str())];
    // No confirmation, no endpoint, or a deployer's hard off: nothing sent.
    let (ok, _, err) = run(&["telemetry", "delete-request"], &endpoint);
    assert!(!ok && err.contains("refusing without --yes"), "{err}");
    let (ok, _, err) = run(&["telemetry", "delete-request", "--yes"], &[]);
    assert!(
        !ok && err.contains("no telemetry endpoint is configured"),
        "{err}"
    );
    let (ok, _, err) = run(
        &["telemetry", "delete-request", "--yes"],
        &[endpoint[0], ("DO_NOT_TRACK", "1")],
    );
    assert!(!ok && err.contains("DO_NOT_TRACK=1"), "{err}");
    assert_eq!(receiver.request_count(), 0);
    assert_eq!(install_id(), old_id);

    // Consent is off, yet an explicit request is sent: once, then a new id.
    let (ok, out, err) = run(&["telemetry", "delete-request", "--yes"], &endpoint);
    assert!(ok, "{err}");
    let new_id = install_id();
    assert_ne!(new_id, old_id);
    assert!(
        out.contains(&format!(
            "for install id {old_id}\nnew install id: {new_id}\n"
        )),
        "{out}"
    );
    let sent = receiver.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(receiver.event_names(), ["base_telemetry.deletion_request"]);
    let has = |needle: &[u8]| tt_testkit::otlp::contains(&sent[0].body, needle);
    assert!(has(old_id.as_bytes()));
    assert!(!has(new_id.as_bytes()));
}
