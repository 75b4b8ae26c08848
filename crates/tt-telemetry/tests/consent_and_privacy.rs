//! Consent and privacy, proven by observation at a real OTLP receiver.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use tt_consent::ConsentLevel;
use tt_telemetry::{
    ENVELOPE_ATTRIBUTES, FIRST_SEEN, Fingerprint, HEARTBEAT, InstallIdentity, Outcome, Telemetry,
    UserId,
};

/// Tracks every catalog event, several times, as a full scripted session.
fn track_everything(t: &Telemetry) {
    for round in 0..3 {
        for event in Event::examples() {
            t.track(event, Some(UserId::new(9 + round)));
        }
        t.track(Event::examples()[0], None);
    }
}

fn telemetry(receiver: &Receiver, consent: Arc<Switches>, heartbeat: Duration) -> Telemetry {
    let mut c = config(Some(receiver.url()));
    c.heartbeat_interval = heartbeat;
    Telemetry::new(c, consent, identity()).unwrap()
}

#[test]
fn consent_off_for_both_levels_means_zero_requests() {
    let receiver = Receiver::start();
    let consent = Switches::new(false, false);
    let t = telemetry(&receiver, consent.clone(), Duration::from_millis(50));
    track_everything(&t);
    t.consent_changed();
    // Several heartbeat ticks and export intervals.
    std::thread::sleep(Duration::from_millis(400));
    let report = t.shutdown();
    assert!(report.completed);
    assert_eq!(
        receiver.request_count(),
        0,
        "nothing may be sent without consent"
    );
    assert_eq!(receiver.connection_count(), 0, "not even a connection");
    let s = t.status();
    let tracked = 3 * (Event::examples().len() as u64 + 1);
    assert_eq!(
        s.count(ConsentLevel::Detailed, Outcome::DroppedNoConsent),
        tracked
    );
    assert!(
        s.count(ConsentLevel::Base, Outcome::DroppedNoConsent) >= 2,
        "heartbeat ticks counted"
    );
    assert_eq!(s.total(Outcome::Sent), 0);
}

#[test]
fn detailed_off_sends_only_base_telemetry() {
    let receiver = Receiver::start();
    let t = telemetry(
        &receiver,
        Switches::new(true, false),
        Duration::from_secs(3600),
    );
    track_everything(&t);
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter()
            .flat_map(|q| q.records())
            .any(|rec| event_name(rec) == HEARTBEAT)
    }));
    std::thread::sleep(Duration::from_millis(200));
    t.shutdown();
    let names: BTreeSet<String> = receiver.event_names().into_iter().collect();
    assert_eq!(
        names,
        BTreeSet::from([FIRST_SEEN.to_owned(), HEARTBEAT.to_owned()])
    );
    for req in receiver.requests() {
        for rec in req.records() {
            assert_eq!(
                record_attrs(rec)["telemetry.level"],
                Val::Str("base".into())
            );
            assert!(!record_attrs(rec).contains_key("user_id"));
        }
    }
}

#[test]
fn base_off_sends_no_base_telemetry() {
    let receiver = Receiver::start();
    let t = telemetry(
        &receiver,
        Switches::new(false, true),
        Duration::from_millis(50),
    );
    track_everything(&t);
    std::thread::sleep(Duration::from_millis(300));
    t.shutdown();
    let names = receiver.event_names();
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| !n.starts_with("base_telemetry.")),
        "{names:?}"
    );
}

#[test]
fn consented_events_arrive_with_their_names_and_properties() {
    let receiver = Receiver::start();
    let id = identity();
    let t = Telemetry::new(
        config(Some(receiver.url())),
        Switches::new(false, true),
        id.clone(),
    )
    .unwrap();
    for event in Event::examples() {
        t.track(event, Some(UserId::new(9)));
    }
    let expected = Event::examples().len();
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter().map(|q| q.records().len()).sum::<usize>() >= expected
    }));
    t.shutdown();

    // What each example must look like on the wire, written out by hand.
    let int = Val::Int;
    let text = |s: &str| Val::Str(s.to_owned());
    type Expected<'a> = (&'a str, &'a str, Vec<(&'a str, Val)>);
    let expected_records: [Expected; 7] = [
        ("auth.logout", "account", vec![]),
        ("admin.install_id_rotated", "account", vec![]),
        (
            "time_entry.deleted",
            "work",
            vec![("entry_id", int(42)), ("surface", text("web"))],
        ),
        (
            "timer.started",
            "work",
            vec![
                ("entry_id", int(42)),
                ("project_id", int(42)),
                ("task_id", int(42)),
                ("surface", text("web")),
            ],
        ),
        (
            "task.status_changed",
            "work",
            vec![
                ("task_id", int(42)),
                ("project_id", int(42)),
                ("old_status", text("todo")),
                ("new_status", text("todo")),
            ],
        ),
        (
            "note.saved",
            "work",
            vec![
                ("words", int(3)),
                ("took", int(1800)),
                ("new", Val::Bool(true)),
            ],
        ),
        ("page.viewed", "pages", vec![("route", text("/"))]),
    ];
    assert_eq!(expected_records.len(), expected);
    let install_id = id.snapshot().install_id.to_string();
    for (name, category, properties) in expected_records {
        let found = receiver.records_named(name);
        assert_eq!(found.len(), 1, "{name}");
        let (req, record) = &found[0];
        assert_eq!(req.path, "/v1/logs");
        assert_eq!(req.header("content-type"), Some("application/x-protobuf"));
        let a = record_attrs(record);
        assert_eq!(record.event_name, name);
        assert_eq!(a["event.category"], text(category));
        assert_eq!(a["telemetry.level"], text("detailed"));
        assert_eq!(a["telemetry.schema_version"], Val::Int(7));
        assert_eq!(a["install_id"], Val::Str(install_id.clone()));
        assert_eq!(a["user_id"], Val::Int(9));
        let mut expected_keys: BTreeSet<String> = ENVELOPE_ATTRIBUTES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        for (key, want) in properties {
            expected_keys.insert(key.to_owned());
            assert_eq!(a[key], want, "{name}.{key}");
        }
        let got: BTreeSet<String> = a.keys().cloned().collect();
        assert_eq!(got, expected_keys, "{name}");
    }
    let s = t.status();
    assert_eq!(
        s.count(ConsentLevel::Detailed, Outcome::Sent),
        expected as u64
    );
    assert!(s.last_success.is_some());
}

#[test]
fn absent_optionals_are_left_out_and_every_enum_value_is_its_name() {
    let receiver = Receiver::start();
    let t = telemetry(
        &receiver,
        Switches::new(false, true),
        Duration::from_secs(3600),
    );
    t.track(
        Event::TimerStarted {
            entry_id: tt_telemetry::Id::new(5),
            project_id: tt_telemetry::Id::new(6),
            task_id: None,
            surface: Surface::Api,
        },
        None,
    );
    t.track(
        Event::TaskStatusChanged {
            task_id: tt_telemetry::Id::new(1),
            project_id: tt_telemetry::Id::new(2),
            old_status: Status::InProgress,
            new_status: Status::Done,
        },
        None,
    );
    t.track(
        Event::PageViewed {
            route: Page::Project,
        },
        None,
    );
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter().map(|q| q.records().len()).sum::<usize>() >= 3
    }));
    t.shutdown();
    let timer = record_attrs(&receiver.records_named("timer.started")[0].1);
    assert!(
        !timer.contains_key("task_id"),
        "an absent option is left out"
    );
    assert!(!timer.contains_key("user_id"), "no user, no user_id");
    assert_eq!(timer["surface"], Val::Str("api".into()));
    let task = record_attrs(&receiver.records_named("task.status_changed")[0].1);
    assert_eq!(task["old_status"], Val::Str("in_progress".into()));
    assert_eq!(task["new_status"], Val::Str("done".into()));
    let page = record_attrs(&receiver.records_named("page.viewed")[0].1);
    assert_eq!(page["route"], Val::Str("/projects/{id}".into()));
}

#[test]
fn heartbeat_and_first_seen_carry_exactly_the_documented_attributes() {
    let receiver = Receiver::start();
    let id = identity();
    let t = Telemetry::new(
        config(Some(receiver.url())),
        Switches::new(true, true),
        id.clone(),
    )
    .unwrap();
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter()
            .flat_map(|q| q.records())
            .any(|rec| event_name(rec) == HEARTBEAT)
    }));
    t.shutdown();

    let envelope: BTreeSet<&str> = ENVELOPE_ATTRIBUTES[..4].iter().copied().collect();
    for name in [FIRST_SEEN, HEARTBEAT] {
        let descriptor = CATALOG.events().find(|d| d.name == name).unwrap();
        let found = receiver.records_named(name);
        assert_eq!(found.len(), 1, "{name}");
        let (req, record) = &found[0];
        let a = record_attrs(record);
        let got: BTreeSet<&str> = a.keys().map(String::as_str).collect();
        let mut want = envelope.clone();
        want.extend(descriptor.properties.iter().map(|p| p.name));
        assert_eq!(got, want, "{name}");
        assert_eq!(a["telemetry.level"], Val::Str("base".into()));
        assert_eq!(
            a["install_id"],
            Val::Str(id.snapshot().install_id.to_string())
        );
        assert_eq!(
            a["fingerprint"],
            Val::Str(Fingerprint::derive(HOSTNAME_CANARY, SALT).to_hex())
        );
        assert_eq!(a["app_version"], Val::Str("1.4.2-test".into()));
        assert_eq!(a["platform"], Val::Str("linux".into()));
        assert_eq!(a["os_version"], Val::Str("12.5".into()));
        assert_eq!(a["architecture"], Val::Str("x86_64".into()));
        assert_eq!(a["locale"], Val::Str("nl-BE".into()));
        assert_eq!(a["timezone"], Val::Str("Europe/Brussels".into()));
        assert_eq!(a["deployment_type"], Val::Str("docker".into()));
        assert_eq!(a["first_seen"], Val::Str("2025-10-09T08:53:20Z".into()));
        assert_eq!(a["release_channel"], Val::Str("stable".into()));

        // The resource: ours only, nothing about the host or process.
        for resource in req.resource_attributes() {
            let keys: BTreeSet<&str> = resource.keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["service.name", "service.version"]));
            assert_eq!(resource["service.name"], Val::Str("test_app".into()));
            assert_eq!(resource["service.version"], Val::Str("1.4.2-test".into()));
        }
    }
    // Marked delivered only after the receiver accepted it.
    assert_eq!(id.first_seen_deliveries(), 1);
    assert!(id.snapshot().last_seen_at.is_some());
}

#[test]
fn no_planted_canary_ever_reaches_the_receiver() {
    let receiver = Receiver::start();
    let mut c = config(Some(receiver.url()));
    c.heartbeat_interval = Duration::from_millis(50);
    c.token = Some(tt_telemetry::SecretString::from("123456:glc_token"));
    let t = Telemetry::new(c, Switches::new(true, true), identity()).unwrap();
    track_everything(&t);
    std::thread::sleep(Duration::from_millis(300));
    let preview = t.preview_heartbeat().unwrap();
    t.shutdown();

    let requests = receiver.requests();
    assert!(requests.len() >= 2);
    let fingerprint = Fingerprint::derive(HOSTNAME_CANARY, SALT).to_hex();
    let mut saw_fingerprint = false;
    for req in &requests {
        for canary in CANARIES {
            assert!(!contains(&req.raw, canary.as_bytes()), "{canary} leaked");
        }
        saw_fingerprint |= contains(&req.raw, fingerprint.as_bytes());
    }
    assert!(
        saw_fingerprint,
        "the hash, and only the hash, identifies the host"
    );
    for canary in CANARIES {
        assert!(!contains(&preview.body, canary.as_bytes()));
        assert!(!preview.json.contains(canary));
    }
}

#[test]
fn first_seen_is_marked_only_after_a_successful_send() {
    let receiver = Receiver::answering(Reply::Status(400));
    let id = identity();
    let t = Telemetry::new(
        config(Some(receiver.url())),
        Switches::new(true, false),
        id.clone(),
    )
    .unwrap();
    assert!(receiver.wait_for_requests(1, Duration::from_secs(5)));
    assert!(eventually(Duration::from_secs(2), || t
        .status()
        .total(Outcome::Failed)
        >= 2));
    assert_eq!(id.first_seen_deliveries(), 0);
    assert!(!id.snapshot().first_seen_sent);

    // The receiver recovers; a consent nudge makes the sink try again.
    receiver.set_default(Reply::Status(200));
    t.consent_changed();
    assert!(eventually(Duration::from_secs(5), || id
        .first_seen_deliveries()
        == 1));
    t.consent_changed();
    std::thread::sleep(Duration::from_millis(200));
    t.shutdown();
    assert_eq!(
        receiver.records_named(FIRST_SEEN).len(),
        2,
        "one refused, one accepted"
    );
    assert_eq!(id.first_seen_deliveries(), 1, "never again once delivered");
}

#[test]
fn withdrawing_consent_mid_flight_purges_what_is_queued() {
    let receiver = Receiver::start();
    // The first request is answered 503: the batch waits in backoff.
    receiver.script([Reply::Status(503)]);
    let consent = Switches::new(false, true);
    let mut c = config(Some(receiver.url()));
    c.retry.initial_backoff = Duration::from_millis(600);
    c.retry.max_backoff = Duration::from_millis(600);
    let t = Telemetry::new(c, consent.clone(), identity()).unwrap();
    for _ in 0..50 {
        t.track(Event::AuthLogout {}, Some(UserId::new(1)));
    }
    assert!(receiver.wait_for_requests(1, Duration::from_secs(5)));
    for _ in 0..50 {
        t.track(Event::AuthLogout {}, Some(UserId::new(1)));
    }
    let toggled = std::time::Instant::now();
    consent.set(ConsentLevel::Detailed, false);
    t.consent_changed();
    assert_eq!(t.status().queue_depth, 0);

    std::thread::sleep(Duration::from_millis(1500));
    t.shutdown();
    assert!(
        receiver.requests().iter().all(|r| r.at < toggled),
        "nothing is sent after the toggle"
    );
    assert_eq!(receiver.request_count(), 1);
    let s = t.status();
    assert_eq!(s.count(ConsentLevel::Detailed, Outcome::Sent), 0);
    assert_eq!(
        s.count(ConsentLevel::Detailed, Outcome::Purged)
            + s.count(ConsentLevel::Detailed, Outcome::DroppedNoConsent),
        100
    );
}

#[test]
fn consent_is_rechecked_at_export_time_without_a_toggle_call() {
    let receiver = Receiver::start();
    receiver.script([Reply::Status(503)]);
    let consent = Switches::new(false, true);
    let mut c = config(Some(receiver.url()));
    c.retry.initial_backoff = Duration::from_millis(400);
    c.retry.max_backoff = Duration::from_millis(400);
    let t = Telemetry::new(c, consent.clone(), identity()).unwrap();
    t.track(Event::AuthLogout {}, None);
    assert!(receiver.wait_for_requests(1, Duration::from_secs(5)));
    // Withdrawn, but the app forgot to call consent_changed().
    consent.set(ConsentLevel::Detailed, false);
    std::thread::sleep(Duration::from_millis(900));
    t.shutdown();
    assert_eq!(receiver.request_count(), 1);
    assert_eq!(
        t.status()
            .count(ConsentLevel::Detailed, Outcome::DroppedNoConsent),
        1
    );
}

#[test]
fn rotating_the_install_id_purges_the_queue_and_applies_to_what_follows() {
    let receiver = Receiver::start();
    let id = identity();
    let old_id = id.snapshot().install_id;
    let mut c = config(Some(receiver.url()));
    // Nothing leaves before shutdown unless a batch fills.
    c.export_interval = Duration::from_secs(60);
    c.batch_size = 1000;
    let t = Telemetry::new(c, Switches::new(false, true), id.clone()).unwrap();
    for _ in 0..5 {
        t.track(Event::AuthLogout {}, Some(UserId::new(1)));
    }
    assert_eq!(t.status().queue_depth, 5);

    let rotated = tt_telemetry::InstallId::random();
    id.rotate(rotated);
    t.identity_changed();
    assert_eq!(t.status().queue_depth, 0);
    assert_eq!(t.status().count(ConsentLevel::Detailed, Outcome::Purged), 5);

    t.track(Event::AdminInstallIdRotated {}, Some(UserId::new(1)));
    assert!(t.shutdown().completed);
    assert_eq!(receiver.event_names(), ["admin.install_id_rotated"]);
    let (_, record) = &receiver.records_named("admin.install_id_rotated")[0];
    assert_eq!(
        record_attrs(record)["install_id"],
        Val::Str(rotated.to_string())
    );
    assert!(
        !receiver
            .requests()
            .iter()
            .any(|r| contains(&r.raw, old_id.to_string().as_bytes()))
    );
}

/// A deletion request is the last record under the old install id: a
/// batch in flight when it is asked for (here: one the receiver hangs on,
/// then retried) and records queued before the rotation — even between the
/// request and the rotation — never arrive afterwards, neither under the
/// old id nor under the new one.
#[test]
fn nothing_under_the_old_id_follows_a_deletion_request_and_nothing_older_gets_the_new_id() {
    let receiver = Receiver::start();
    let id = identity();
    let old_id = id.snapshot().install_id;
    let new_id = tt_telemetry::InstallId::random();
    let mut c = config(Some(receiver.url()));
    c.batch_size = 2;
    let t = Telemetry::new(c, Switches::new(false, true), id.clone()).unwrap();

    // The first export hangs: a batch is in flight when the deletion is asked.
    receiver.script([Reply::Hang(Duration::from_millis(1500))]);
    t.track(Event::AuthLogout {}, Some(UserId::new(1)));
    assert!(receiver.wait_for_requests(1, Duration::from_secs(5)));
    for _ in 0..5 {
        t.track(Event::AuthLogout {}, Some(UserId::new(1)));
    }
    let sent = t.replace_identity(|| {
        let sent = t.send_deletion_request();
        // Records keep coming while the id is being replaced, and the
        // exporter would have time to send them.
        for _ in 0..5 {
            t.track(Event::AuthLogout {}, Some(UserId::new(1)));
        }
        std::thread::sleep(Duration::from_millis(300));
        id.rotate(new_id);
        sent
    });
    sent.unwrap();
    t.track(Event::AdminInstallIdRotated {}, Some(UserId::new(1)));
    // Give a stale retry every chance to go out.
    std::thread::sleep(Duration::from_millis(500));
    assert!(t.shutdown().completed);

    let requests = receiver.requests();
    let at = requests
        .iter()
        .position(|r| {
            r.records()
                .iter()
                .any(|rec| event_name(rec) == "base_telemetry.deletion_request")
        })
        .expect("the deletion request arrived");
    let deletion = &requests[at].records()[0];
    assert_eq!(
        record_attrs(deletion)["install_id"],
        Val::Str(old_id.to_string())
    );
    let after: Vec<(String, Val)> = requests[at + 1..]
        .iter()
        .flat_map(|r| {
            r.records()
                .into_iter()
                .map(|rec| (event_name(rec), record_attrs(rec)["install_id"].clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        after,
        [(
            "admin.install_id_rotated".to_owned(),
            Val::Str(new_id.to_string())
        )],
        "only what was recorded after the rotation, under the new id"
    );
    assert!(
        !requests[at + 1..]
            .iter()
            .any(|r| contains(&r.raw, old_id.to_string().as_bytes()))
    );
    assert!(t.status().count(ConsentLevel::Detailed, Outcome::Purged) >= 6);
}

tt_telemetry::events! {
    /// Events the test application declared but left out of its catalog.
    pub enum Undeclared {
        /// Never documented.
        Secret = "secret.kept", WORK, Detailed {}
    }
}

#[test]
fn an_event_outside_the_configured_catalog_is_never_sent() {
    let receiver = Receiver::start();
    let t = telemetry(
        &receiver,
        Switches::new(false, true),
        Duration::from_secs(3600),
    );
    t.track(Undeclared::Secret {}, Some(UserId::new(1)));
    t.track(Event::AuthLogout {}, Some(UserId::new(1)));
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter().map(|q| q.records().len()).sum::<usize>() >= 1
    }));
    t.shutdown();
    assert!(receiver.records_named("secret.kept").is_empty());
    assert_eq!(receiver.records_named("auth.logout").len(), 1);
    let s = t.status();
    assert_eq!(
        s.count(ConsentLevel::Detailed, Outcome::DroppedNotInCatalog),
        1
    );
    assert_eq!(s.count(ConsentLevel::Detailed, Outcome::Sent), 1);
}

#[test]
fn a_malformed_catalog_stops_the_sink_from_starting() {
    static BAD: tt_telemetry::Catalog = tt_telemetry::Catalog {
        categories: &[],
        ..CATALOG
    };
    let mut c = config(None);
    c.catalog = &BAD;
    let e = Telemetry::new(c, Switches::new(true, true), identity())
        .err()
        .map(|e| e.to_string());
    assert!(
        e.as_deref()
            .is_some_and(|e| e.contains("invalid event catalog")),
        "{e:?}"
    );
}

/// An event written by hand whose descriptor is a copy of a catalog entry:
/// recognised by value, so it is sent; a look-alike that differs in any
/// field is not.
#[derive(Clone, Copy)]
struct ByHand(&'static tt_telemetry::EventDescriptor);

impl tt_telemetry::AppEvent for ByHand {
    fn descriptor(&self) -> &'static tt_telemetry::EventDescriptor {
        self.0
    }
    fn write_properties(&self, _: &mut tt_telemetry::Properties) {}
}

#[test]
fn a_copied_descriptor_counts_as_the_catalogs_and_a_look_alike_does_not() {
    static COPY: tt_telemetry::EventDescriptor = tt_telemetry::EventDescriptor {
        name: "auth.logout",
        category: ACCOUNT,
        level: ConsentLevel::Detailed,
        description: "Signed out.",
        properties: &[],
    };
    static LOOK_ALIKE: tt_telemetry::EventDescriptor = tt_telemetry::EventDescriptor {
        description: "Signed out, twice.",
        ..COPY
    };
    let receiver = Receiver::start();
    let t = telemetry(
        &receiver,
        Switches::new(false, true),
        Duration::from_secs(3600),
    );
    t.track(ByHand(&LOOK_ALIKE), None);
    t.track(ByHand(&COPY), None);
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter().map(|q| q.records().len()).sum::<usize>() >= 1
    }));
    t.shutdown();
    assert_eq!(receiver.records_named("auth.logout").len(), 1);
    let s = t.status();
    assert_eq!(
        s.count(ConsentLevel::Detailed, Outcome::DroppedNotInCatalog),
        1
    );
}
