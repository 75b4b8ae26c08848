//! The telemetry promises, proven by observation (SPEC §5, §8): the real app
//! on port 0, configured to a real loopback OTLP/HTTP receiver that decodes
//! every request with `opentelemetry-proto` and keeps every byte, driven by a
//! scripted session of every tracked action through the API and the web UI
//! whose every free-text field is a canary.
//!
//! The sink's own counters are read from Admin → Privacy & Analytics (the
//! per-app numbers; `/metrics` is process-wide and shared by every app in
//! this test binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tt_testkit::otlp::{OtlpReceiver, Received, Reply, Val, contains, event_name, record_attrs};
use tt_tests::session::{Api, Browser, Canaries, SessionReport, api_session, scripted_session};
use tt_tests::{Db, TestApp, json, spawn_app_with};

/// Longer than the exporter's 1 s batch interval, with slack for a loaded
/// machine: what is not there after this was not going to be sent.
const QUIET: Duration = Duration::from_millis(3000);
/// How long delivery may take on a slow CI machine.
const DELIVERY: Duration = Duration::from_secs(30);

/// The app, sending to `endpoint`, with the canary administrator.
fn app(endpoint: &str, c: &Canaries, adjust: impl FnOnce(&mut timetracker::Settings)) -> TestApp {
    let endpoint = endpoint.to_owned();
    let app = spawn_app_with(Db::Sqlite, move |s| {
        s.grafana_otlp_endpoint = Some(endpoint);
        adjust(s);
    })
    .expect("sqlite");
    app.create_user(&c.admin(), &c.admin_password(), true);
    app
}

/// Switches consent levels through the JSON API, as the admin.
fn consent(app: &TestApp, c: &Canaries, levels: serde_json::Value) -> serde_json::Value {
    let mut api = Api::new(&app.base);
    api.login(&c.admin(), &c.admin_password());
    let (status, body) = api.put("/api/v1/admin/telemetry", &levels);
    assert_eq!(status, 200, "{body}");
    body
}

/// The sink's counters and last error as Admin → Privacy & Analytics shows
/// them: outcome → (base, detailed).
struct SinkCounts {
    counts: BTreeMap<String, (u64, u64)>,
    page: String,
}

impl SinkCounts {
    fn read(browser: &Browser) -> SinkCounts {
        let page = browser.page("/admin/telemetry").body;
        let mut counts = BTreeMap::new();
        for outcome in [
            "sent",
            "dropped_no_consent",
            "dropped_queue_full",
            "failed",
            "retried",
            "purged",
            "dropped_shutdown",
            "debug_logged",
        ] {
            let marker = format!("<code>{outcome}</code>");
            let at = page
                .find(&marker)
                .unwrap_or_else(|| panic!("no {outcome} row on the admin page:\n{page}"));
            let numbers: Vec<u64> = page[at + marker.len()..]
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .take(2)
                .map(|s| s.parse().unwrap())
                .collect();
            counts.insert(outcome.to_owned(), (numbers[0], numbers[1]));
        }
        SinkCounts { counts, page }
    }

    fn base(&self, outcome: &str) -> u64 {
        self.counts[outcome].0
    }

    fn detailed(&self, outcome: &str) -> u64 {
        self.counts[outcome].1
    }

    fn last_error(&self) -> String {
        let at = self
            .page
            .find("Last error")
            .expect("last error on the page");
        let rest = &self.page[at..];
        let start = rest.find("<dd>").expect("dd") + 4;
        let end = rest.find("</dd>").expect("/dd");
        rest[start..end].to_owned()
    }
}

fn admin_browser(app: &TestApp, c: &Canaries) -> Browser {
    let b = Browser::new(&app.base);
    b.sign_in(&c.admin(), &c.admin_password());
    b
}

/// Polls the admin page until `pred` holds.
fn wait_for_counts(b: &Browser, what: &str, pred: impl Fn(&SinkCounts) -> bool) -> SinkCounts {
    let end = std::time::Instant::now() + DELIVERY;
    loop {
        let counts = SinkCounts::read(b);
        if pred(&counts) {
            return counts;
        }
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for {what}: {:?}",
            counts.counts
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn names(requests: &[Received]) -> BTreeSet<String> {
    requests
        .iter()
        .flat_map(|r| r.records().into_iter().map(event_name).collect::<Vec<_>>())
        .collect()
}

fn level_of(r: &opentelemetry_proto::tonic::logs::v1::LogRecord) -> String {
    record_attrs(r)
        .get("telemetry.level")
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default()
}

fn descriptor(name: &str) -> &'static tt_telemetry::EventDescriptor {
    tt_events::CATALOG
        .events()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the catalog"))
}

/// Product events this suite's script does not cause: the setup wizard,
/// the consent switches, install-id rotation (the privacy pages' own
/// suites drive those) and the deletion request.
const NOT_SCRIPTED: [&str; 4] = [
    "setup.completed",
    "admin.telemetry_enabled",
    "admin.install_id_rotated",
    "base_telemetry.deletion_request",
];

/// The machine's hostname, when it is long enough to be a meaningful
/// canary (a two-letter name could occur in any binary by chance).
fn hostname_canary() -> Option<String> {
    let h = timetracker::installation::hostname();
    (h.len() >= 6).then_some(h)
}

// ----------------------------------------------------------------- consent

#[test]
fn consent_off_sends_nothing_after_a_full_session_and_a_heartbeat_tick() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |_| {});
    let report = scripted_session(&app.base, &c);
    assert!(report.events.len() >= 30, "{:?}", report.events);
    std::thread::sleep(QUIET);
    assert_eq!(receiver.connection_count(), 0, "{:?}", receiver.requests());
    // Not vacuous: everything was tracked and refused, including the
    // start-up heartbeat tick.
    let counts = SinkCounts::read(&admin_browser(&app, &c));
    assert!(
        counts.detailed("dropped_no_consent") >= 60,
        "{:?}",
        counts.counts
    );
    assert!(
        counts.base("dropped_no_consent") >= 1,
        "{:?}",
        counts.counts
    );
    assert_eq!(counts.detailed("sent") + counts.base("sent"), 0);
    assert_eq!(receiver.connection_count(), 0);
}

#[test]
fn detailed_only_delivers_product_events_and_never_base_telemetry() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |_| {});
    consent(&app, &c, json!({"detailed": true}));
    let mut report = SessionReport::default();
    api_session(&app.base, &c, &mut report);
    let expected: Vec<&str> = report.events.iter().copied().collect();
    assert!(
        receiver.wait_for_events(&expected, DELIVERY),
        "{:?}",
        names(&receiver.requests())
    );
    std::thread::sleep(QUIET);
    for req in receiver.requests() {
        assert_eq!(req.decode_error, None);
        for r in req.records() {
            assert_eq!(level_of(r), "detailed", "{}", event_name(r));
            assert!(!event_name(r).starts_with("base_telemetry"));
        }
    }
}

#[test]
fn base_only_sends_first_seen_and_heartbeat_with_exactly_the_documented_attributes() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |s| {
        s.enable_telemetry = Some("true".into())
    });
    let mut report = SessionReport::default();
    api_session(&app.base, &c, &mut report);
    let base = [tt_telemetry::FIRST_SEEN, tt_telemetry::HEARTBEAT];
    assert!(
        receiver.wait_for_events(&base, DELIVERY),
        "{:?}",
        names(&receiver.requests())
    );
    std::thread::sleep(QUIET);

    let mut api = Api::new(&app.base);
    api.login(&c.admin(), &c.admin_password());
    let (_, privacy) = api.get("/api/v1/admin/telemetry");
    let envelope = [
        "event.name",
        "event.category",
        "telemetry.level",
        "telemetry.schema_version",
    ];
    for name in base {
        let records = receiver.records_named(name);
        assert_eq!(records.len(), 1, "{name} sent once at start-up");
        let attrs = record_attrs(&records[0].1);
        let got: BTreeSet<&str> = attrs.keys().map(String::as_str).collect();
        let want: BTreeSet<&str> = envelope
            .iter()
            .copied()
            .chain(descriptor(name).properties.iter().map(|p| p.name))
            .collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            attrs["install_id"].as_str(),
            privacy["install_id"].as_str().unwrap()
        );
        assert_eq!(
            attrs["fingerprint"].as_str(),
            privacy["fingerprint"].as_str().unwrap()
        );
        assert_eq!(attrs["telemetry.level"].as_str(), "base");
        assert_eq!(attrs["app_version"].as_str(), env!("CARGO_PKG_VERSION"));
    }
    for req in receiver.requests() {
        for resource in req.resource_attributes() {
            let keys: Vec<&str> = resource.keys().map(String::as_str).collect();
            assert_eq!(keys, ["service.name", "service.version"]);
        }
        for r in req.records() {
            assert_eq!(
                level_of(r),
                "base",
                "{}: no detailed consent",
                event_name(r)
            );
        }
    }
    // first_seen is recorded as delivered only now that it was accepted.
    let raw =
        std::fs::read_to_string(app.settings.installation_dir().join("installation.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert!(doc["first_seen_sent_at"].is_string(), "{doc}");
}

#[test]
fn consent_on_every_action_arrives_with_its_properties_and_no_canary() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |s| {
        s.enable_telemetry = Some("true".into())
    });
    consent(&app, &c, json!({"detailed": true}));
    let report = scripted_session(&app.base, &c);
    let expected: Vec<&str> = report.events.iter().copied().collect();
    assert!(
        receiver.wait_for_events(&expected, DELIVERY),
        "missing: {:?}",
        {
            let got = names(&receiver.requests());
            expected
                .iter()
                .filter(|e| !got.contains(**e))
                .collect::<Vec<_>>()
        }
    );
    std::thread::sleep(QUIET);
    let requests = receiver.requests();

    // Every product event of the catalog that has a route was emitted by it.
    let got = names(&requests);
    for d in tt_events::CATALOG.events() {
        if !NOT_SCRIPTED.contains(&d.name) {
            assert!(got.contains(d.name), "{} never arrived", d.name);
        }
    }

    // Every record is a catalog event whose attributes are the envelope and
    // declared properties, with enum values from their closed lists.
    let envelope: BTreeSet<&str> = tt_telemetry::ENVELOPE_ATTRIBUTES.into_iter().collect();
    for req in &requests {
        assert_eq!(req.path, "/v1/logs");
        assert_eq!(req.header("content-type"), Some("application/x-protobuf"));
        assert_eq!(req.decode_error, None);
        for r in req.records() {
            let name = event_name(r);
            let d = descriptor(&name);
            for (key, value) in record_attrs(r) {
                if envelope.contains(key.as_str()) {
                    continue;
                }
                let p = d
                    .properties
                    .iter()
                    .find(|p| p.name == key)
                    .unwrap_or_else(|| panic!("{name}: undeclared attribute {key}"));
                let allowed = p.kind.allowed_values();
                if !allowed.is_empty() {
                    assert!(
                        allowed.contains(&value.as_str()),
                        "{name}.{key} = {value:?}"
                    );
                }
            }
        }
    }

    // Properties of a few events, as the script caused them.
    let values = |name: &str, key: &str| -> BTreeSet<String> {
        receiver
            .records_named(name)
            .iter()
            .filter_map(|(_, r)| match record_attrs(r).get(key) {
                Some(Val::Str(s)) => Some(s.clone()),
                Some(Val::Int(i)) => Some(i.to_string()),
                Some(Val::Bool(b)) => Some(b.to_string()),
                _ => None,
            })
            .collect()
    };
    let set = |items: &[&str]| {
        items
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(values("task.status_changed", "old_status"), set(&["todo"]));
    assert_eq!(
        values("task.status_changed", "new_status"),
        set(&["in_progress", "review"])
    );
    assert_eq!(values("timer.stopped", "surface"), set(&["api", "web"]));
    assert_eq!(
        values("auth.login", "method"),
        set(&["api_token", "password"])
    );
    assert_eq!(
        values("auth.login_failed", "reason"),
        set(&["bad_credentials"])
    );
    assert!(values("time_entry.created", "duration_seconds").contains("5400"));
    assert!(values("time_entry.created", "tag_count").contains("1"));
    assert_eq!(
        values("report.summary_viewed", "group_by"),
        set(&["day", "user"])
    );
    assert_eq!(
        values("report.summary_viewed", "range_days"),
        set(&["31", "91"])
    );
    assert_eq!(values("invoice.viewed", "view"), set(&["html", "print"]));
    assert_eq!(
        values("invoice.status_changed", "new_status"),
        set(&["sent"])
    );
    assert_eq!(
        values("admin.user_role_changed", "new_role"),
        set(&["admin", "user"])
    );
    assert_eq!(values("admin.user_deleted", "entries"), set(&["deleted"]));
    assert_eq!(
        values("admin.data_exported", "format"),
        set(&["csv", "json"])
    );
    // A refused login names nobody; signed-in actions carry the internal id.
    for (_, r) in receiver.records_named("auth.login_failed") {
        assert!(!record_attrs(&r).contains_key("user_id"));
    }
    for (_, r) in receiver.records_named("timer.started") {
        assert!(matches!(record_attrs(&r).get("user_id"), Some(Val::Int(_))));
    }

    // Page views carry route templates of real pages, never paths.
    let routes = values("page.viewed", "route");
    for page in &report.pages {
        assert!(routes.contains(*page), "no page view of {page}: {routes:?}");
    }
    for route in &routes {
        assert_ne!(route, "other", "a real page has no template: {routes:?}");
        assert!(
            !route.chars().any(|ch| ch.is_ascii_digit() || ch == '?'),
            "{route}"
        );
    }

    // No received byte carries anything the session typed.
    let mut canaries = c.all();
    canaries.extend(hostname_canary());
    canaries.push("canary-".to_owned());
    for req in &requests {
        for canary in &canaries {
            assert!(!contains(&req.raw, canary.as_bytes()), "{canary} was sent");
        }
    }
}

#[test]
fn withdrawal_mid_flight_delivers_nothing_detailed_afterwards() {
    let receiver = OtlpReceiver::answering(Reply::Status(503));
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |_| {});
    consent(&app, &c, json!({"detailed": true}));
    let mut api = Api::new(&app.base);
    api.login(&c.admin(), &c.admin_password());
    for i in 0..5 {
        api.post(
            "/api/v1/clients",
            &json!({"name": format!("{}-{i}", c.of("client"))}),
        );
    }
    // Queued and being retried: the receiver refused them at least once.
    assert!(receiver.wait_until(DELIVERY, |reqs| {
        reqs.iter()
            .any(|r| r.reply == Reply::Status(503) && !r.records().is_empty())
    }));
    let (status, body) = api.put("/api/v1/admin/telemetry", &json!({"detailed": false}));
    assert_eq!(status, 200, "{body}");
    receiver.set_default(Reply::Status(200));
    // Past every backoff the exporter could still have been sleeping in.
    let b = admin_browser(&app, &c);
    // Queued under consent: the admin's sign-in (2) and five clients, all
    // refused so far; each must end purged, none delivered.
    let counts = wait_for_counts(&b, "the queued batch to be purged", |s| {
        s.detailed("purged") >= 7
    });
    std::thread::sleep(QUIET);
    for req in receiver.requests() {
        if req.accepted() {
            let detailed: Vec<String> = req
                .records()
                .into_iter()
                .filter(|r| level_of(r) == "detailed")
                .map(event_name)
                .collect();
            assert!(
                detailed.is_empty(),
                "delivered after withdrawal: {detailed:?}"
            );
        }
    }
    assert_eq!(counts.detailed("sent"), 0, "{:?}", counts.counts);
}

// ------------------------------------------------------------------ faults

/// Every API action of the script succeeds with its normal status code
/// (the script asserts each one) while the sink misbehaves.
fn session_with_detailed_consent(endpoint: &str, c: &Canaries) -> TestApp {
    let app = app(endpoint, c, |_| {});
    consent(&app, c, json!({"detailed": true}));
    let mut report = SessionReport::default();
    api_session(&app.base, c, &mut report);
    app
}

fn never_retried(status: u16) {
    let receiver = OtlpReceiver::answering(Reply::Status(status));
    let c = Canaries::new();
    let app = session_with_detailed_consent(&receiver.url(), &c);
    let b = admin_browser(&app, &c);
    let counts = wait_for_counts(&b, "failed records", |s| s.detailed("failed") >= 30);
    std::thread::sleep(QUIET);
    let counts_after = SinkCounts::read(&b);
    assert_eq!(counts_after.detailed("retried"), 0, "{:?}", counts.counts);
    assert_eq!(counts_after.detailed("sent"), 0);
    assert!(
        counts_after
            .last_error()
            .contains(&format!("HTTP {status}")),
        "{}",
        counts_after.last_error()
    );
    // No record was offered twice.
    let mut seen = BTreeSet::new();
    for req in receiver.requests() {
        assert_eq!(req.reply, Reply::Status(status));
        for r in req.records() {
            assert!(
                seen.insert((event_name(r), r.time_unix_nano)),
                "{} re-sent",
                event_name(r)
            );
        }
    }
}

#[test]
fn receiver_500_fails_without_retry_and_requests_keep_working() {
    never_retried(500);
}

#[test]
fn receiver_400_is_never_retried_and_requests_keep_working() {
    never_retried(400);
}

#[test]
fn receiver_429_with_retry_after_is_honoured_then_delivered() {
    let receiver = OtlpReceiver::start();
    receiver.script([Reply::RetryAfter(429, 1)]);
    let c = Canaries::new();
    let app = session_with_detailed_consent(&receiver.url(), &c);
    let b = admin_browser(&app, &c);
    let counts = wait_for_counts(&b, "delivery after the 429", |s| {
        s.detailed("retried") >= 1 && s.detailed("sent") >= 30
    });
    assert!(
        counts.last_error().contains("HTTP 429"),
        "{}",
        counts.last_error()
    );
    let requests = receiver.requests();
    let refused = &requests[0];
    assert_eq!(refused.reply, Reply::RetryAfter(429, 1));
    let key =
        |r: &opentelemetry_proto::tonic::logs::v1::LogRecord| (event_name(r), r.time_unix_nano);
    let first: Vec<_> = refused.records().into_iter().map(key).collect();
    assert!(!first.is_empty());
    let retry = requests[1..]
        .iter()
        .find(|r| r.records().into_iter().map(key).collect::<Vec<_>>() == first)
        .expect("the refused batch is sent again");
    assert!(retry.accepted());
    // Retry-After: 1 was honoured (coarsely: not retried at once).
    assert!(retry.at.duration_since(refused.at) >= Duration::from_millis(900));
}

#[test]
fn hanging_receiver_does_not_hold_requests() {
    let receiver = OtlpReceiver::answering(Reply::Hang(Duration::from_secs(120)));
    let c = Canaries::new();
    // The exporter is stuck in its first request (within a second of the
    // first action) for most of the session; the app is not.
    let app = session_with_detailed_consent(&receiver.url(), &c);
    assert!(receiver.wait_until(DELIVERY, |reqs| !reqs.is_empty()));
    let counts = SinkCounts::read(&admin_browser(&app, &c));
    assert_eq!(counts.detailed("sent"), 0);
    assert!(receiver.requests().iter().all(|r| !r.accepted()));
}

#[test]
fn refused_connections_are_retried_and_requests_keep_working() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let c = Canaries::new();
    let app = session_with_detailed_consent(&format!("http://{closed}"), &c);
    let b = admin_browser(&app, &c);
    let counts = wait_for_counts(&b, "retries", |s| s.detailed("retried") >= 1);
    assert_eq!(counts.detailed("sent"), 0);
    assert!(
        !counts.last_error().contains("none"),
        "{}",
        counts.last_error()
    );
}

#[test]
fn telemetry_debug_sends_nothing() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |s| {
        s.telemetry_debug = true;
        s.enable_telemetry = Some("true".into());
    });
    consent(&app, &c, json!({"detailed": true}));
    let mut report = SessionReport::default();
    api_session(&app.base, &c, &mut report);
    let b = admin_browser(&app, &c);
    let counts = wait_for_counts(&b, "debug-logged records", |s| {
        s.detailed("debug_logged") >= 30 && s.base("debug_logged") >= 1
    });
    std::thread::sleep(QUIET);
    assert_eq!(receiver.connection_count(), 0, "{:?}", counts.counts);
}

// ---------------------------------------------------------------- replicas

/// Three replicas on one PostgreSQL database, heartbeats every two seconds
/// (a setting for tests only), one replica restarted midway: the receiver
/// gets exactly one `first_seen`, and heartbeats at most one per interval
/// for the installation — each is claimed in the shared database first.
#[test]
fn replicas_and_restarts_send_one_first_seen_and_one_heartbeat_per_interval() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let endpoint = receiver.url();
    let Some(app) = spawn_app_with(Db::Postgres, move |s| {
        s.grafana_otlp_endpoint = Some(endpoint);
        s.telemetry_heartbeat_interval = Some("2s".into());
        s.telemetry_test_short_intervals = true;
        s.installation_refresh_seconds = 1;
    }) else {
        return;
    };
    app.create_user(&c.admin(), &c.admin_password(), true);
    let started = std::time::Instant::now();
    consent(&app, &c, json!({"base": true}));
    let b = app.start_replica(1);
    let replica = app.start_replica(2);
    std::thread::sleep(Duration::from_millis(4500));
    // A restart in the middle of an interval sends no extra heartbeat.
    replica.stop();
    let replica = app.start_replica(3);
    std::thread::sleep(Duration::from_millis(5500));
    let elapsed = started.elapsed().as_secs_f64();
    replica.stop();
    b.stop();

    let named = |name: &str| -> Vec<std::time::Instant> {
        receiver
            .requests()
            .iter()
            .flat_map(|r| {
                r.records()
                    .into_iter()
                    .filter(|rec| event_name(rec) == name)
                    .map(|_| r.at)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    assert_eq!(
        named("base_telemetry.first_seen").len(),
        1,
        "{:?}",
        names(&receiver.requests())
    );
    let mut beats = named("base_telemetry.heartbeat");
    beats.sort();
    // Three replicas without claims send about three per interval.
    let most = (elapsed / 1.5).floor() as usize + 1;
    assert!(
        (3..=most).contains(&beats.len()),
        "{} heartbeats in {elapsed:.1} s (at most {most})",
        beats.len()
    );
    for pair in beats.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(1000),
            "two heartbeats {gap:?} apart"
        );
    }
}

/// Admin → Privacy & Analytics → **Download payload**: refused (no file)
/// while base telemetry is off; then the heartbeat exactly as a send posts
/// it — the receiver decodes the downloaded file into the same record a
/// real send delivered — and the download itself sends nothing.
#[test]
fn the_downloaded_payload_is_what_a_send_posts_and_the_download_sends_nothing() {
    // Base telemetry refused: no file, and nothing sent.
    let quiet = OtlpReceiver::start();
    let c = Canaries::new();
    let off = app(&quiet.url(), &c, |_| {});
    let b = admin_browser(&off, &c);
    let refused = b.submit_from("/admin/telemetry", "/admin/telemetry/export", &[]);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Base telemetry is off (disabled by test-harness"),
        "{}",
        refused.body
    );
    assert!(refused.headers.get("content-disposition").is_none());
    // No CSRF token: refused before anything happens.
    assert_eq!(b.post("/admin/telemetry/export", &[]).status, 403);
    std::thread::sleep(QUIET);
    assert_eq!(quiet.connection_count(), 0, "nothing was sent");

    // Allowed: JSON, so the download reads as text; the encoder is the same.
    let receiver = OtlpReceiver::start();
    let app = app(&receiver.url(), &c, |s| {
        s.grafana_otlp_protocol = Some("http/json".into());
        s.enable_telemetry = Some("true".into());
    });
    let b = admin_browser(&app, &c);
    assert!(
        receiver.wait_for_events(&[tt_telemetry::HEARTBEAT], DELIVERY),
        "{:?}",
        names(&receiver.requests())
    );
    std::thread::sleep(QUIET);
    let before = receiver.request_count();
    let file = b.submit_from("/admin/telemetry", "/admin/telemetry/export", &[]);
    assert_eq!(file.status, 200, "{}", file.body);
    assert_eq!(file.header("content-type"), "application/json");
    assert_eq!(
        file.header("content-disposition"),
        "attachment; filename=\"timetracker-telemetry.otlp.json\""
    );
    std::thread::sleep(QUIET);
    assert_eq!(
        receiver.request_count(),
        before,
        "the download sent nothing"
    );

    // Submitted by hand, the file is a heartbeat like the one sent.
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/v1/logs", receiver.url()))
        .header("content-type", "application/json")
        .body(file.body.clone())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let submitted = receiver.requests().pop().unwrap();
    assert_eq!(submitted.decode_error, None);
    let records = submitted.records();
    assert_eq!(records.len(), 1);
    assert_eq!(event_name(records[0]), tt_telemetry::HEARTBEAT);
    let sent = receiver.records_named(tt_telemetry::HEARTBEAT);
    let keys = |r: &opentelemetry_proto::tonic::logs::v1::LogRecord| {
        record_attrs(r).into_keys().collect::<BTreeSet<_>>()
    };
    assert_eq!(keys(records[0]), keys(&sent[0].1));
    assert_eq!(
        record_attrs(records[0])["install_id"],
        record_attrs(&sent[0].1)["install_id"]
    );
    assert_eq!(
        submitted.resource_attributes(),
        receiver.requests()[0].resource_attributes()
    );
}

/// Withdrawing consent sends no deletion request; **Request deletion**
/// (confirmed, with its CSRF token) sends exactly one, under the install id
/// of the time, and only then does the id change. A receiver that refuses
/// it leaves the id as it was, so the admin can ask again.
#[test]
fn a_deletion_request_only_on_request_then_a_new_install_id() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |_| {});
    let before = consent(&app, &c, json!({"base": true, "detailed": true}));
    let old_id = before["install_id"].as_str().unwrap().to_owned();
    assert!(
        receiver.wait_for_events(&[tt_telemetry::FIRST_SEEN], DELIVERY),
        "{:?}",
        names(&receiver.requests())
    );
    consent(&app, &c, json!({"base": false, "detailed": false}));
    std::thread::sleep(QUIET);
    let after_withdrawal = receiver.request_count();
    assert!(
        receiver
            .records_named(tt_telemetry::DELETION_REQUEST)
            .is_empty(),
        "withdrawal alone sends no deletion request"
    );

    let b = admin_browser(&app, &c);
    // Not confirmed, or no CSRF token: nothing is sent.
    b.submit_from("/admin/telemetry", "/admin/telemetry/delete-request", &[])
        .assert_redirect("/admin/telemetry");
    assert_eq!(
        b.post("/admin/telemetry/delete-request", &[("confirm", "on")])
            .status,
        403
    );
    assert_eq!(receiver.request_count(), after_withdrawal);

    // A receiver that refuses it: the page says so, the id stays.
    receiver.script([Reply::Status(400)]);
    let refused = b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/delete-request",
        &[("confirm", "on")],
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains(
            "The deletion request was not delivered: HTTP 400; the install id was not changed"
        ),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&old_id));

    let done = b.submit_from(
        "/admin/telemetry",
        "/admin/telemetry/delete-request",
        &[("confirm", "on")],
    );
    done.assert_redirect("/admin/telemetry");
    let mut api = Api::new(&app.base);
    api.login(&c.admin(), &c.admin_password());
    let (_, now) = api.get("/api/v1/admin/telemetry");
    let new_id = now["install_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, old_id);
    let page = b.page("/admin/telemetry").body;
    assert!(
        page.contains(&format!(
            "Deletion requested for install id {old_id}. New install id: {new_id}."
        )),
        "{page}"
    );
    std::thread::sleep(QUIET);
    let requests = receiver.records_named(tt_telemetry::DELETION_REQUEST);
    assert_eq!(requests.len(), 2, "one refused, one accepted");
    assert_eq!(
        requests
            .iter()
            .filter(|(request, _)| request.accepted())
            .count(),
        1
    );
    for (_, record) in &requests {
        let attrs = record_attrs(record);
        assert_eq!(attrs["install_id"].as_str(), old_id);
        let keys: BTreeSet<&str> = attrs.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from([
                "event.name",
                "event.category",
                "telemetry.level",
                "telemetry.schema_version",
                "install_id",
                "app_version",
                "requested_at",
            ])
        );
    }
    // Nothing else was sent: consent is still withdrawn.
    assert_eq!(receiver.request_count(), after_withdrawal + 2);
    assert!(
        receiver
            .requests()
            .iter()
            .flat_map(|r| r
                .records()
                .into_iter()
                .map(record_attrs)
                .collect::<Vec<_>>())
            .all(|a| a["install_id"].as_str() != new_id),
        "nothing under the new id"
    );

    // The JSON twin: admins only; the same, under the id of the time.
    app.create_user("worker", "a-long-password", false);
    let mut worker = Api::new(&app.base);
    worker.login("worker", "a-long-password");
    assert_eq!(
        worker
            .post("/api/v1/admin/telemetry/deletion-request", &json!({}))
            .0,
        403
    );
    let (s, body) = api.post("/api/v1/admin/telemetry/deletion-request", &json!({}));
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["deleted_install_id"], new_id.as_str());
    assert_ne!(body["install_id"], new_id.as_str());
    let requests = receiver.records_named(tt_telemetry::DELETION_REQUEST);
    assert_eq!(requests.len(), 3);
    assert_eq!(record_attrs(&requests[2].1)["install_id"].as_str(), new_id);
}

/// The deletion form carries the install id it was shown with: submitted
/// twice (a double click, two administrators), the second finds the id
/// already replaced and sends nothing (409); the API's `install_id` too.
#[test]
fn a_second_deletion_request_for_the_same_id_is_refused_and_sends_nothing() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |_| {});
    let before = consent(&app, &c, json!({"base": false, "detailed": false}));
    let old_id = before["install_id"].as_str().unwrap().to_owned();

    let b = admin_browser(&app, &c);
    let page = b.page("/admin/telemetry");
    assert!(
        page.body
            .contains(&format!(r#"name="install_id" value="{old_id}""#)),
        "{}",
        page.body
    );
    let token = page.csrf();
    let fields = [
        ("csrf_token", token.as_str()),
        ("confirm", "on"),
        ("install_id", old_id.as_str()),
    ];
    b.post("/admin/telemetry/delete-request", &fields)
        .assert_redirect("/admin/telemetry");
    let again = b.post("/admin/telemetry/delete-request", &fields);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again
            .body
            .contains("A deletion was already requested for install id"),
        "{}",
        again.body
    );

    let mut api = Api::new(&app.base);
    api.login(&c.admin(), &c.admin_password());
    let (s, body) = api.post(
        "/api/v1/admin/telemetry/deletion-request",
        &json!({"install_id": old_id}),
    );
    assert_eq!(s, 409, "{body}");
    assert!(
        body.to_string()
            .contains("a deletion was already requested for install id"),
        "{body}"
    );
    let (_, now) = api.get("/api/v1/admin/telemetry");
    let new_id = now["install_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, old_id);

    std::thread::sleep(QUIET);
    let requests = receiver.records_named(tt_telemetry::DELETION_REQUEST);
    assert_eq!(requests.len(), 1, "exactly one deletion request");
    assert_eq!(record_attrs(&requests[0].1)["install_id"].as_str(), old_id);
}

/// The receiver accepted the deletion request but the install id could not
/// be replaced (here: the installation file vanished): the answer says the
/// request was delivered and that the id still has to be rotated.
#[test]
fn a_delivered_deletion_whose_rotation_fails_says_so() {
    let receiver = OtlpReceiver::start();
    let c = Canaries::new();
    let app = app(&receiver.url(), &c, |_| {});
    let before = consent(&app, &c, json!({"base": false, "detailed": false}));
    let old_id = before["install_id"].as_str().unwrap().to_owned();
    let file = app.settings.data_dir.join("installation.json");
    assert!(file.exists(), "{}", file.display());
    std::fs::remove_file(&file).unwrap();

    let mut api = Api::new(&app.base);
    api.login(&c.admin(), &c.admin_password());
    let (s, body) = api.post("/api/v1/admin/telemetry/deletion-request", &json!({}));
    assert_eq!(s, 409, "{body}");
    let text = body.to_string();
    assert!(
        text.contains(&format!("deletion delivered for install id {old_id}")),
        "{text}"
    );
    assert!(text.contains("rotate it"), "{text}");
    std::thread::sleep(QUIET);
    assert_eq!(
        receiver.records_named(tt_telemetry::DELETION_REQUEST).len(),
        1
    );
}
