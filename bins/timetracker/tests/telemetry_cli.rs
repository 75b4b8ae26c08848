//! `timetracker telemetry events|preview|status`, and the generated
//! `docs/all_tracked_events.md`: a test here fails when it is stale.
//! Regenerate it with
//! `timetracker telemetry events --markdown > docs/all_tracked_events.md`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn doc_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/all_tracked_events.md")
}

#[test]
fn tracked_events_doc_matches_the_catalog() {
    let on_disk = std::fs::read_to_string(doc_path()).expect("docs/all_tracked_events.md");
    assert!(
        on_disk == tt_telemetry::catalog_markdown(),
        "docs/all_tracked_events.md is stale: run \
         `timetracker telemetry events --markdown > docs/all_tracked_events.md`"
    );
}

/// Runs the binary in `dir` with only `env` set; returns stdout.
fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_timetracker"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_cli_prints_the_same_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run(dir.path(), &[], args);
    assert_eq!(
        run(&["telemetry", "events", "--markdown"]),
        tt_telemetry::catalog_markdown()
    );
    let text = run(&["telemetry", "events"]);
    for d in tt_telemetry::catalog() {
        assert!(
            text.contains(&format!("{} [{}", d.name, d.level)),
            "{}",
            d.name
        );
    }
}

#[test]
fn preview_prints_the_next_heartbeat_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A sink that would notice any connection, with base consent on.
    let sink = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    sink.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", sink.local_addr().unwrap());
    let env = [
        ("GRAFANA_OTLP_ENDPOINT", endpoint.as_str()),
        ("ENABLE_TELEMETRY", "true"),
    ];
    let out = run(dir.path(), &env, &["telemetry", "preview"]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("preview is JSON");
    let record = &json["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    assert_eq!(record["eventName"], "base_telemetry.heartbeat", "{out}");
    let keys: Vec<&str> = record["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    let heartbeat = tt_telemetry::catalog()
        .iter()
        .find(|d| d.name == tt_telemetry::HEARTBEAT)
        .unwrap();
    for p in heartbeat.properties {
        assert!(keys.contains(&p.name), "{} missing from {keys:?}", p.name);
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    if host.trim().len() >= 6 {
        assert!(!out.contains(host.trim()), "the hostname is in the preview");
    }
    assert!(
        sink.accept().is_err(),
        "telemetry preview contacted the sink"
    );
    // Nothing was recorded as delivered either.
    let doc = std::fs::read_to_string(dir.path().join("data/installation.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["first_seen_sent_at"].is_null(), "{doc}");

    let status = run(dir.path(), &env, &["telemetry", "status"]);
    assert!(status.contains("base: on"), "{status}");
    assert!(status.contains("last send:"), "{status}");
}
