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
        on_disk == tt_events::CATALOG.markdown(),
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
        tt_events::CATALOG.markdown()
    );
    let text = run(&["telemetry", "events"]);
    for d in tt_events::CATALOG.events() {
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
    let heartbeat = tt_events::CATALOG
        .events()
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

/// What is wrong with the catalog's governance, given the catalog as the
/// code has it (`version`, `fingerprint`, `generated` JSON) and the
/// committed `catalog.json` and telemetry `CHANGELOG.md`. Empty: all is
/// in order.
fn governance_problems(
    version: i64,
    fingerprint: &str,
    generated: &str,
    committed: &str,
    changelog: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    // The entries: `## Schema version N` headings, each with its
    // ``Fingerprint: `…` `` line.
    let mut entries: Vec<(i64, Option<String>)> = Vec::new();
    for line in changelog.lines() {
        if let Some(n) = line.strip_prefix("## Schema version ") {
            match n.trim().parse() {
                Ok(n) => entries.push((n, None)),
                Err(_) => problems.push(format!("CHANGELOG.md: unreadable heading {line:?}")),
            }
        } else if let (Some(f), Some(last)) =
            (line.strip_prefix("Fingerprint: `"), entries.last_mut())
        {
            last.1 = f.strip_suffix('`').map(str::to_owned);
        }
    }
    let expected: Vec<i64> = (1..=version).rev().collect();
    let listed: Vec<i64> = entries.iter().map(|(n, _)| *n).collect();
    if listed != expected {
        problems.push(format!(
            "CHANGELOG.md lists schema versions {listed:?}; expected one entry per version, newest first: {expected:?}"
        ));
    }
    match entries.iter().find(|(n, _)| *n == version) {
        None => problems.push(format!(
            "no entry for schema version {version} in docs/telemetry/CHANGELOG.md: add `## Schema version {version}` with `Fingerprint: `{fingerprint}`` and what changed"
        )),
        Some((_, None)) => problems.push(format!(
            "the entry for schema version {version} has no `Fingerprint: `…`` line"
        )),
        Some((_, Some(recorded))) if recorded != fingerprint => problems.push(format!(
            "the catalog changed (fingerprint {fingerprint}) but schema version {version} was published as {recorded}: \
             bump SCHEMA_VERSION to {} and add its entry with this fingerprint to docs/telemetry/CHANGELOG.md",
            version + 1
        )),
        Some(_) => {}
    }
    let mut seen = std::collections::BTreeSet::new();
    for (n, f) in &entries {
        if let Some(f) = f
            && !seen.insert(f.clone())
        {
            problems.push(format!(
                "schema version {n} repeats an earlier fingerprint: nothing changed"
            ));
        }
    }
    if committed != generated {
        problems.push(
            "docs/telemetry/catalog.json is stale: run \
             `timetracker telemetry events --json > docs/telemetry/catalog.json`"
                .to_owned(),
        );
    }
    problems
}

fn telemetry_doc(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/telemetry")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// CI's guard of the catalog: `docs/telemetry/catalog.json` is what the
/// code generates, and the catalog's fingerprint is the one the telemetry
/// changelog records for the current schema version — so no event or
/// property changes without a new version and a changelog entry.
#[test]
fn telemetry_catalog_is_governed() {
    let problems = governance_problems(
        tt_events::SCHEMA_VERSION,
        &tt_events::CATALOG.fingerprint(),
        &tt_events::CATALOG.json(),
        &telemetry_doc("catalog.json"),
        &telemetry_doc("CHANGELOG.md"),
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let doc: serde_json::Value = serde_json::from_str(&telemetry_doc("catalog.json")).unwrap();
    assert_eq!(doc["schema_version"], tt_events::SCHEMA_VERSION);
    assert_eq!(doc["fingerprint"], tt_events::CATALOG.fingerprint());
}

/// The guard fails on each planted change: an event changed without a new
/// version, a new version without its entry, a stale catalog.json, an
/// entry whose fingerprint did not change.
#[test]
fn the_catalog_guard_catches_ungoverned_changes() {
    const V1: &str = "## Schema version 1\n\nFingerprint: `aaa`\n";
    const V2: &str = "## Schema version 2\n\nFingerprint: `bbb`\n\n- Added x.\n\n## Schema version 1\n\nFingerprint: `aaa`\n";
    let ok = governance_problems(1, "aaa", "{}", "{}", V1);
    assert!(ok.is_empty(), "{ok:?}");
    // An event changed, the version did not.
    let p = governance_problems(1, "bbb", "{}", "{}", V1);
    assert!(
        p.iter().any(|p| p.contains("bump SCHEMA_VERSION to 2")),
        "{p:?}"
    );
    // Bumped, but no changelog entry.
    let p = governance_problems(2, "bbb", "{}", "{}", V1);
    assert!(
        p.iter()
            .any(|p| p.contains("no entry for schema version 2")),
        "{p:?}"
    );
    // Bumped with its entry: fine; the committed JSON not regenerated: not.
    assert!(governance_problems(2, "bbb", "{}", "{}", V2).is_empty());
    let p = governance_problems(2, "bbb", "{\"new\":1}", "{}", V2);
    assert!(
        p.iter().any(|p| p.contains("catalog.json is stale")),
        "{p:?}"
    );
    // A new version whose fingerprint is an old one: nothing changed.
    let same = V2.replace("`bbb`", "`aaa`");
    let p = governance_problems(2, "aaa", "{}", "{}", &same);
    assert!(p.iter().any(|p| p.contains("repeats")), "{p:?}");
}
