//! The installation store's life cycle on real files in temporary
//! directories: creation, reload, consent, setup, rotation, refresh.

#![allow(clippy::expect_used, reason = "a failed expectation is a failed test")]

use std::fs;
use std::path::Path;
use std::sync::{Arc, Barrier};

use tt_consent::{ConsentLevel, ConsentSource, DeployerPolicy, DeployerSwitch, Reason};
use tt_installation::{
    FileBackend, Installation, InstallationBackend, InstallationConfig, InstallationError,
    MemoryBackend, SeedOutcome, seed_if_empty,
};

const UNSET: DeployerPolicy = DeployerPolicy::Unset;

fn open(dir: &Path) -> Installation {
    Installation::open_in_dir(dir, UNSET, true).expect("open installation")
}

fn file_bytes(dir: &Path) -> Vec<u8> {
    fs::read(dir.join("installation.json")).expect("read installation.json")
}

#[test]
fn created_once_then_reused_with_the_same_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = open(dir.path());
    let created = first.snapshot();
    created.validate().expect("valid");
    assert_eq!(created.install_id.get_version_num(), 4);
    assert_eq!(created.telemetry_salt.as_hex().len(), 64);
    assert!(
        created
            .telemetry_salt
            .as_hex()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert!(!created.setup_complete);
    assert_eq!(created.setup_completed_at, None);
    assert_eq!(created.first_seen_sent_at, None);

    // What is on disk is what is in memory, and plain JSON an admin can read.
    let raw: serde_json::Value = serde_json::from_slice(&file_bytes(dir.path())).expect("json");
    assert_eq!(raw["install_id"], created.install_id.to_string());
    assert_eq!(raw["telemetry_salt"], created.telemetry_salt.as_hex());
    assert_eq!(raw["schema_version"], 1);
    assert!(raw["base_consent"].is_null());

    let bytes_before = file_bytes(dir.path());
    let second = open(dir.path());
    assert_eq!(second.snapshot(), created);
    assert_eq!(second.install_id(), first.install_id());
    assert_eq!(
        file_bytes(dir.path()),
        bytes_before,
        "reopening must not rewrite"
    );

    // A different directory is a different installation.
    let other = tempfile::tempdir().expect("tempdir");
    assert_ne!(open(other.path()).install_id(), first.install_id());
}

#[test]
fn consent_changes_persist_across_reload_with_who_and_when() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install = open(dir.path());
    assert_eq!(install.consent_generation(), 0);
    assert_eq!(
        install.effective(ConsentLevel::Detailed).reason,
        Reason::NeverAsked
    );

    let base = install
        .set_consent(ConsentLevel::Base, true, "user:1")
        .expect("grant base");
    assert!(base.enabled);
    assert_eq!(install.consent_generation(), 1);
    install
        .set_consent(ConsentLevel::Detailed, false, " user:2 ")
        .expect("refuse detailed");
    assert_eq!(install.consent_generation(), 2);

    let reloaded = open(dir.path());
    let doc = reloaded.snapshot();
    let b = doc.base_consent.as_ref().expect("base stored");
    assert!(b.granted);
    assert_eq!(b.decided_by, "user:1");
    let d = doc.detailed_consent.as_ref().expect("detailed stored");
    assert!(!d.granted);
    assert_eq!(d.decided_by, "user:2", "decided_by is trimmed");
    assert_eq!(doc, install.snapshot());

    assert!(reloaded.allows(ConsentLevel::Base));
    match reloaded.effective(ConsentLevel::Base).reason {
        Reason::Stored(choice) => {
            assert_eq!(choice.decided_by.as_deref(), Some("user:1"));
            assert_eq!(choice.decided_at, std::time::SystemTime::from(b.decided_at));
        }
        other => panic!("expected a stored reason, got {other:?}"),
    }
    assert_eq!(
        reloaded
            .effective(ConsentLevel::Detailed)
            .reason
            .to_string(),
        "disabled by user:2"
    );

    // Withdrawal is immediate.
    install
        .set_consent(ConsentLevel::Base, false, "user:1")
        .expect("withdraw");
    assert!(!install.allows(ConsentLevel::Base));
    assert_eq!(install.consent_generation(), 3);
}

#[test]
fn no_sink_means_off_even_when_granted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install = Installation::open_in_dir(dir.path(), UNSET, false).expect("open");
    let e = install
        .set_consent(ConsentLevel::Base, true, "user:1")
        .expect("grant is stored");
    assert!(!e.enabled);
    assert_eq!(e.reason, Reason::NoSinkConfigured);
    assert!(install.snapshot().base_consent.expect("stored").granted);
}

#[test]
fn blank_decided_by_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install = open(dir.path());
    let before = file_bytes(dir.path());
    assert!(matches!(
        install.set_consent(ConsentLevel::Base, true, "  "),
        Err(InstallationError::BlankDecidedBy)
    ));
    assert!(matches!(
        install.complete_setup(false, false, ""),
        Err(InstallationError::BlankDecidedBy)
    ));
    assert_eq!(file_bytes(dir.path()), before);
}

#[test]
fn setup_completes_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install = open(dir.path());
    install
        .complete_setup(true, false, "user:1")
        .expect("first setup");
    let done = install.snapshot();
    assert!(done.setup_complete);
    let completed_at = done.setup_completed_at.expect("completion time");
    assert!(done.base_consent.as_ref().expect("base").granted);
    assert!(!done.detailed_consent.as_ref().expect("detailed").granted);
    assert_eq!(install.consent_generation(), 1);
    let bytes = file_bytes(dir.path());

    let err = install
        .complete_setup(false, true, "user:2")
        .expect_err("second setup");
    assert!(matches!(
        err,
        InstallationError::AlreadyComplete { completed_at: at } if at == completed_at
    ));
    assert_eq!(install.snapshot(), done);
    assert_eq!(file_bytes(dir.path()), bytes, "nothing written");
    assert_eq!(install.consent_generation(), 1);

    // Also across processes/handles: a fresh handle sees setup done.
    let again = open(dir.path());
    assert!(again.is_setup_complete());
    assert!(matches!(
        again.complete_setup(true, true, "user:3"),
        Err(InstallationError::AlreadyComplete { .. })
    ));
    assert_eq!(file_bytes(dir.path()), bytes);
}

#[test]
fn deployer_hard_off_refuses_enabling_but_allows_withdrawal() {
    for (switch, policy) in [
        (
            DeployerSwitch::new("DO_NOT_TRACK=1"),
            DeployerPolicy::Disabled(DeployerSwitch::new("DO_NOT_TRACK=1")),
        ),
        (
            DeployerSwitch::new("ENABLE_TELEMETRY=false"),
            DeployerPolicy::Disabled(DeployerSwitch::new("ENABLE_TELEMETRY=false")),
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let install = Installation::open_in_dir(dir.path(), policy, true).expect("open");
        let before = file_bytes(dir.path());

        for level in ConsentLevel::ALL {
            let err = install
                .set_consent(level, true, "user:1")
                .expect_err("enable must be refused");
            match &err {
                InstallationError::DeployerDisabled {
                    level: l,
                    switch: s,
                } => {
                    assert_eq!((*l, *s), (level, switch));
                }
                other => panic!("unexpected error {other:?}"),
            }
            assert!(err.to_string().contains(switch.as_str()), "{err}");
        }
        assert!(matches!(
            install.complete_setup(true, false, "user:1"),
            Err(InstallationError::DeployerDisabled { .. })
        ));
        assert_eq!(file_bytes(dir.path()), before, "nothing stored");
        assert!(!install.is_setup_complete());
        assert_eq!(install.consent_generation(), 0);

        // Refusing is always possible, and setup without consent works.
        let e = install
            .set_consent(ConsentLevel::Detailed, false, "user:1")
            .expect("withdraw");
        assert!(!e.enabled);
        assert!(!e.changeable_by_admin());
        install
            .complete_setup(false, false, "user:1")
            .expect("setup without consent");
        assert!(install.is_setup_complete());
    }
}

#[test]
fn a_grant_stored_before_the_hard_off_stays_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    open(dir.path())
        .set_consent(ConsentLevel::Base, true, "user:1")
        .expect("grant");
    let off = Installation::open_in_dir(
        dir.path(),
        DeployerPolicy::Disabled(DeployerSwitch::new("DO_NOT_TRACK=1")),
        true,
    )
    .expect("open");
    assert!(!off.allows(ConsentLevel::Base));
}

#[test]
fn rotating_the_id_keeps_consent_and_salt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install = open(dir.path());
    install.complete_setup(true, true, "user:1").expect("setup");
    install
        .mark_first_seen_sent(chrono::Utc::now())
        .expect("first seen");
    let before = install.snapshot();
    let generation = install.consent_generation();

    let new_id = install.rotate_install_id().expect("rotate");
    let after = install.snapshot();
    assert_ne!(new_id, before.install_id);
    assert_eq!(after.install_id, new_id);
    assert_eq!(new_id.get_version_num(), 4);
    assert_eq!(after.telemetry_salt, before.telemetry_salt);
    assert_eq!(after.base_consent, before.base_consent);
    assert_eq!(after.detailed_consent, before.detailed_consent);
    assert_eq!(after.setup_completed_at, before.setup_completed_at);
    assert_eq!(
        after.first_seen_sent_at, None,
        "new identity announces itself"
    );
    assert!(after.first_seen_at >= before.first_seen_at);
    assert_eq!(
        install.consent_generation(),
        generation,
        "consent unchanged"
    );
    assert!(install.allows(ConsentLevel::Base));
    assert!(install.allows(ConsentLevel::Detailed));

    assert_eq!(open(dir.path()).snapshot(), after, "rotation persisted");
}

#[test]
fn first_seen_sent_is_recorded_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install = open(dir.path());
    let first = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
        .expect("time")
        .to_utc();
    let later = chrono::DateTime::parse_from_rfc3339("2026-02-02T03:04:05Z")
        .expect("time")
        .to_utc();
    install.mark_first_seen_sent(first).expect("mark");
    install.mark_first_seen_sent(later).expect("mark again");
    assert_eq!(install.snapshot().first_seen_sent_at, Some(first));
    let raw: serde_json::Value = serde_json::from_slice(&file_bytes(dir.path())).expect("json");
    assert_eq!(raw["first_seen_sent_at"], "2026-01-02T03:04:05Z");
    assert_eq!(open(dir.path()).snapshot().first_seen_sent_at, Some(first));
}

/// Known answer computed outside Rust:
/// `printf 'timetracker.example.com000102…1e1f' | sha256sum`.
#[test]
fn fingerprint_known_answer_from_a_stored_salt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let salt: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        salt,
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    );
    let doc = serde_json::json!({
        "schema_version": 1,
        "install_id": "0b3c2f0e-8f5b-4c55-9a2e-6d0f1c2b3a49",
        "telemetry_salt": salt,
        "setup_complete": false,
        "setup_completed_at": null,
        "base_consent": null,
        "detailed_consent": null,
        "first_seen_at": "2026-01-01T00:00:00Z",
        "first_seen_sent_at": null
    });
    fs::write(
        dir.path().join("installation.json"),
        serde_json::to_vec_pretty(&doc).expect("encode"),
    )
    .expect("write");
    let install = open(dir.path());
    assert_eq!(
        install.fingerprint("timetracker.example.com"),
        "0512e2c9a4f87c24fcf5e8cf2dd32618ce9acd2da149ea2f4278ddf732bc1ff1"
    );
    assert_eq!(
        install.install_id().to_string(),
        "0b3c2f0e-8f5b-4c55-9a2e-6d0f1c2b3a49"
    );
}

#[test]
fn a_change_through_one_handle_is_seen_by_another_after_refresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open(dir.path());
    let b = open(dir.path());
    assert!(!b.refresh().expect("refresh"), "nothing changed yet");

    a.set_consent(ConsentLevel::Detailed, true, "user:1")
        .expect("grant");
    assert!(!b.allows(ConsentLevel::Detailed), "memory until refresh");
    assert_eq!(b.consent_generation(), 0);

    assert!(b.refresh().expect("refresh"));
    assert!(b.allows(ConsentLevel::Detailed));
    assert_eq!(b.consent_generation(), 1);
    assert_eq!(b.snapshot(), a.snapshot());

    // A non-consent change is picked up without touching the generation.
    let new_id = a.rotate_install_id().expect("rotate");
    assert!(b.refresh().expect("refresh"));
    assert_eq!(b.install_id(), new_id);
    assert_eq!(b.consent_generation(), 1);
    assert!(!b.refresh().expect("refresh"));
}

#[test]
fn a_stale_handle_does_not_overwrite_another_handles_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open(dir.path());
    let b = open(dir.path());
    a.set_consent(ConsentLevel::Base, true, "user:1")
        .expect("a grants base");
    // `b` has not refreshed, but writes on top of the stored document.
    b.set_consent(ConsentLevel::Detailed, true, "user:2")
        .expect("b grants detailed");
    let stored = open(dir.path()).snapshot();
    assert!(stored.base_consent.expect("base kept").granted);
    assert!(stored.detailed_consent.expect("detailed").granted);
    assert!(b.allows(ConsentLevel::Base), "b adopted the stored state");
}

#[test]
fn racing_first_starts_create_a_single_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let ids: Vec<_> = (0..threads)
        .map(|_| {
            let dir = dir.path().to_path_buf();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                // Separate backends: only the lock file serialises them.
                Installation::open(FileBackend::new(&dir), UNSET, true)
                    .expect("open")
                    .install_id()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(open(dir.path()).install_id(), ids[0]);
}

#[test]
fn concurrent_writers_through_separate_handles_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    open(dir.path());
    let handles: Vec<_> = (0..4)
        .map(|i: u32| {
            let dir = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let install = open(&dir);
                for n in 0..10u32 {
                    let level = if i.is_multiple_of(2) {
                        ConsentLevel::Base
                    } else {
                        ConsentLevel::Detailed
                    };
                    install
                        .set_consent(level, n.is_multiple_of(2), &format!("user:{i}"))
                        .expect("set");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    let doc = open(dir.path()).snapshot();
    // Each thread's last write was a refusal (n = 9).
    assert!(!doc.base_consent.expect("base").granted);
    assert!(!doc.detailed_consent.expect("detailed").granted);
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "installation.json" && n != "installation.json.lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_vanished_file_is_an_error_not_a_new_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let install = open(dir.path());
    let id = install.install_id();
    fs::remove_file(dir.path().join("installation.json")).expect("remove");

    let err = install
        .set_consent(ConsentLevel::Base, false, "user:1")
        .expect_err("missing");
    assert!(matches!(err, InstallationError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("installation.json"), "{err}");
    assert!(matches!(
        install.refresh(),
        Err(InstallationError::Missing { .. })
    ));
    assert!(!dir.path().join("installation.json").exists());
    assert_eq!(install.install_id(), id, "memory kept");
}

#[test]
fn the_directory_is_created_and_the_file_is_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = dir.path().join("data").join("config");
    let install = open(&nested);
    let backend = FileBackend::new(&nested);
    assert_eq!(backend.path(), nested.join("installation.json"));
    assert_eq!(
        backend.describe(),
        nested.join("installation.json").display().to_string()
    );
    assert_eq!(install.describe_backend(), backend.describe());
    assert_eq!(backend.load().expect("load"), Some(install.snapshot()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(backend.path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_file_backend_seeds_an_empty_backend_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file_install = open(dir.path());
    file_install
        .set_consent(ConsentLevel::Base, true, "user:1")
        .expect("grant");
    let file = FileBackend::new(dir.path());
    let before = file_bytes(dir.path());

    let db = Arc::new(MemoryBackend::new());
    assert_eq!(
        seed_if_empty(&file, &*db).expect("seed"),
        SeedOutcome::Copied
    );
    assert_eq!(
        seed_if_empty(&file, &*db).expect("seed"),
        SeedOutcome::TargetAlreadySet
    );
    assert_eq!(file_bytes(dir.path()), before, "source untouched");

    let replica = Installation::open(Arc::clone(&db), UNSET, true).expect("open");
    assert_eq!(replica.snapshot(), file_install.snapshot());
    assert!(replica.allows(ConsentLevel::Base));

    // An empty file backend seeds nothing.
    let empty_dir = tempfile::tempdir().expect("tempdir");
    let target = MemoryBackend::new();
    assert_eq!(
        seed_if_empty(&FileBackend::new(empty_dir.path()), &target).expect("seed"),
        SeedOutcome::SourceEmpty
    );
    assert_eq!(target.load().expect("load"), None);
}

#[test]
fn a_file_written_by_hand_with_consent_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut doc = InstallationConfig::generate().expect("rng");
    doc.setup_complete = true;
    doc.setup_completed_at = Some(chrono::Utc::now());
    FileBackend::new(dir.path()).save(&doc).expect("save");
    assert_eq!(open(dir.path()).snapshot(), doc);
}

#[test]
fn allows_answers_for_every_change_at_once() {
    use ConsentLevel::{Base, Detailed};
    let dir = tempfile::tempdir().expect("tempdir");
    let install = open(dir.path());
    let allowed = |i: &Installation| (i.allows(Base), i.allows(Detailed));
    assert_eq!(allowed(&install), (false, false), "never asked");
    for (level, granted, expected) in [
        (Detailed, true, (false, true)),
        (Base, true, (true, true)),
        (Detailed, false, (true, false)),
        (Base, false, (false, false)),
        (Base, true, (true, false)),
    ] {
        install
            .set_consent(level, granted, "user:1")
            .expect("change");
        assert_eq!(allowed(&install), expected, "{level:?} granted={granted}");
    }
    // The same stored grant, read under other conditions.
    let no_sink = Installation::open_in_dir(dir.path(), UNSET, false).expect("open");
    assert_eq!(allowed(&no_sink), (false, false), "no sink configured");
    let hard_off = Installation::open_in_dir(
        dir.path(),
        DeployerPolicy::Disabled(DeployerSwitch::new("DO_NOT_TRACK=1")),
        true,
    )
    .expect("open");
    assert_eq!(allowed(&hard_off), (false, false), "DO_NOT_TRACK");
    assert_eq!(allowed(&open(dir.path())), (true, false), "reopened");
}

/// `change_consent` reads the stored choice where it replaces it: a second
/// handle that has not seen the first one's change (another replica) learns
/// that nothing is to change, and a real change reports what it replaced.
#[test]
fn change_consent_reports_the_stored_choice_it_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open(dir.path());
    let stale = open(dir.path());
    assert_eq!(
        a.change_consent(ConsentLevel::Detailed, true, "user:1")
            .expect("grant"),
        tt_installation::ConsentUpdate::Changed { from: None }
    );
    assert_eq!(
        stale
            .change_consent(ConsentLevel::Detailed, true, "user:2")
            .expect("again"),
        tt_installation::ConsentUpdate::Unchanged
    );
    assert_eq!(
        stale
            .change_consent(ConsentLevel::Detailed, false, "user:2")
            .expect("withdraw"),
        tt_installation::ConsentUpdate::Changed { from: Some(true) }
    );
}
