//! A present but unusable `installation.json` is a load error naming the
//! full path and saying what to do; it is never regenerated, and its bytes
//! are left exactly as they were.

#![allow(clippy::expect_used, reason = "a failed expectation is a failed test")]

use std::fs;
use std::path::Path;

use tt_consent::DeployerPolicy;
use tt_installation::{
    FileBackend, Installation, InstallationBackend, InstallationError, StoreError,
};

/// A valid document to derive broken ones from.
fn valid_document() -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "schema_version": 1,
        "install_id": "0b3c2f0e-8f5b-4c55-9a2e-6d0f1c2b3a49",
        "telemetry_salt": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "setup_complete": true,
        "setup_completed_at": "2026-01-01T00:00:00Z",
        "base_consent": {"granted": true, "decided_by": "user:1", "decided_at": "2026-01-01T00:00:00Z"},
        "detailed_consent": null,
        "first_seen_at": "2026-01-01T00:00:00Z",
        "first_seen_sent_at": null
    }))
    .expect("encode")
}

fn with_field(field: &str, value: serde_json::Value) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_str(&valid_document()).expect("json");
    doc[field] = value;
    serde_json::to_vec(&doc).expect("encode")
}

fn without_field(field: &str) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_str(&valid_document()).expect("json");
    doc.as_object_mut().expect("object").remove(field);
    serde_json::to_vec(&doc).expect("encode")
}

/// Which error a case must produce.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Empty,
    NotUtf8,
    Malformed,
    Invalid,
    Unsupported,
}

fn cases() -> Vec<(&'static str, Vec<u8>, Kind)> {
    let valid = valid_document().into_bytes();
    let mut non_utf8 = valid.clone();
    // Replace the "u" of "user:1" with a lone continuation byte.
    let at = valid
        .windows(6)
        .position(|w| w == b"user:1")
        .expect("marker");
    non_utf8[at] = 0xff;
    vec![
        ("empty", Vec::new(), Kind::Empty),
        ("whitespace only", b"  \n\t\n".to_vec(), Kind::Empty),
        (
            "truncated",
            valid[..valid.len() / 2].to_vec(),
            Kind::Malformed,
        ),
        (
            "truncated before the closing brace",
            valid[..valid.len() - 2].to_vec(),
            Kind::Malformed,
        ),
        (
            "garbage",
            b"\x00\x01not json at all".to_vec(),
            Kind::Malformed,
        ),
        ("not utf-8", non_utf8, Kind::NotUtf8),
        ("json array", b"[1, 2, 3]".to_vec(), Kind::Malformed),
        ("json null", b"null".to_vec(), Kind::Malformed),
        (
            "wrong type for install_id",
            with_field("install_id", serde_json::json!(5)),
            Kind::Malformed,
        ),
        (
            "wrong type for setup_complete",
            with_field("setup_complete", serde_json::json!("yes")),
            Kind::Malformed,
        ),
        (
            "install_id not a uuid",
            with_field("install_id", serde_json::json!("not-a-uuid")),
            Kind::Malformed,
        ),
        (
            "salt too short",
            with_field("telemetry_salt", serde_json::json!("abcd")),
            Kind::Malformed,
        ),
        (
            "salt not hex",
            with_field("telemetry_salt", serde_json::json!("z".repeat(64))),
            Kind::Malformed,
        ),
        (
            "bad timestamp",
            with_field("first_seen_at", serde_json::json!("yesterday")),
            Kind::Malformed,
        ),
        (
            "missing salt",
            without_field("telemetry_salt"),
            Kind::Malformed,
        ),
        (
            "missing schema_version",
            without_field("schema_version"),
            Kind::Malformed,
        ),
        (
            "trailing garbage",
            [valid.as_slice(), b"}".as_slice()].concat(),
            Kind::Malformed,
        ),
        (
            "time-based uuid",
            with_field(
                "install_id",
                serde_json::json!("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
            ),
            Kind::Invalid,
        ),
        (
            "setup complete without a time",
            with_field("setup_completed_at", serde_json::Value::Null),
            Kind::Invalid,
        ),
        (
            "anonymous consent",
            with_field(
                "base_consent",
                serde_json::json!({"granted": true, "decided_by": "", "decided_at": "2026-01-01T00:00:00Z"}),
            ),
            Kind::Invalid,
        ),
        (
            "schema version zero",
            with_field("schema_version", serde_json::json!(0)),
            Kind::Invalid,
        ),
        (
            "newer schema version",
            with_field("schema_version", serde_json::json!(2)),
            Kind::Unsupported,
        ),
    ]
}

fn assert_kind(err: &StoreError, kind: Kind, name: &str) {
    let ok = match kind {
        Kind::Empty => matches!(err, StoreError::Empty { .. }),
        Kind::NotUtf8 => matches!(err, StoreError::NotUtf8 { .. }),
        Kind::Malformed => matches!(err, StoreError::Malformed { .. }),
        Kind::Invalid => matches!(err, StoreError::Invalid { .. }),
        Kind::Unsupported => matches!(err, StoreError::UnsupportedSchema { .. }),
    };
    assert!(ok, "{name}: expected {kind:?}, got {err:?}");
}

fn dir_listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_valid_baseline_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("installation.json"), valid_document()).expect("write");
    let install =
        Installation::open_in_dir(dir.path(), DeployerPolicy::Unset, true).expect("valid loads");
    assert!(install.is_setup_complete());
}

#[test]
fn every_broken_file_is_a_load_error_naming_the_path_and_left_untouched() {
    for (name, bytes, kind) in cases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("installation.json");
        fs::write(&path, &bytes).expect("write");

        // Through the backend …
        let err = FileBackend::new(dir.path()).load().expect_err(name);
        assert_kind(&err, kind, name);

        // … and through the handle, as the app would start.
        let err =
            Installation::open_in_dir(dir.path(), DeployerPolicy::Unset, true).expect_err(name);
        let store_err = match &err {
            InstallationError::Store(e) => e,
            other => panic!("{name}: expected a store error, got {other:?}"),
        };
        assert_kind(store_err, kind, name);

        let message = err.to_string();
        assert!(
            message.contains(&path.display().to_string()),
            "{name}: message must name the full path: {message}"
        );
        match kind {
            Kind::Unsupported => assert!(message.contains("Upgrade"), "{name}: {message}"),
            _ => {
                assert!(message.contains("backup"), "{name}: {message}");
                assert!(message.contains("move it away"), "{name}: {message}");
                assert!(message.contains("install id"), "{name}: {message}");
            }
        }
        if !matches!(kind, Kind::Empty | Kind::Unsupported) {
            assert!(
                std::error::Error::source(store_err).is_some(),
                "{name}: the cause is kept"
            );
        }

        assert_eq!(
            fs::read(&path).expect("read back"),
            bytes,
            "{name}: bytes changed"
        );
        assert_eq!(
            dir_listing(dir.path()),
            ["installation.json"],
            "{name}: nothing else created"
        );
    }
}

#[test]
fn an_unreadable_file_is_a_load_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory where the file should be: unreadable even for root.
    let path = dir.path().join("installation.json");
    fs::create_dir(&path).expect("mkdir");

    let err =
        Installation::open_in_dir(dir.path(), DeployerPolicy::Unset, true).expect_err("unreadable");
    assert!(
        matches!(err, InstallationError::Store(StoreError::Read { .. })),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("readable"), "{message}");
    assert!(message.contains("backup"), "{message}");
    assert!(path.is_dir(), "left as it was");
    assert_eq!(dir_listing(dir.path()), ["installation.json"]);
}

#[test]
fn a_relative_directory_is_reported_as_a_full_path() {
    let backend = FileBackend::new("some-relative-dir");
    assert!(backend.path().is_absolute(), "{}", backend.path().display());
    assert!(
        backend
            .describe()
            .ends_with("some-relative-dir/installation.json")
    );
}

#[test]
fn a_broken_file_found_by_refresh_keeps_the_last_good_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install =
        Installation::open_in_dir(dir.path(), DeployerPolicy::Unset, true).expect("create");
    let good = install.snapshot();
    let path = dir.path().join("installation.json");
    fs::write(&path, b"{\"schema_version\": 1, \"install_").expect("corrupt");

    let err = install.refresh().expect_err("corrupt");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(install.snapshot(), good);
    // A write refuses too, rather than replacing what it cannot read.
    assert!(
        install
            .set_consent(tt_consent::ConsentLevel::Base, false, "user:1")
            .is_err()
    );
    assert_eq!(
        fs::read(&path).expect("read"),
        b"{\"schema_version\": 1, \"install_"
    );
}
