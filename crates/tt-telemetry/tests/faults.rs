//! Delivery under faults: status codes, Retry-After, timeouts, refused
//! connections, floods and shutdown — against a real loopback receiver.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::common::*;
use tt_consent::ConsentLevel;
use tt_telemetry::{Outcome, Telemetry, TelemetryConfig, UserId};

const D: ConsentLevel = ConsentLevel::Detailed;

/// Detailed consent only, so the base heartbeat stays out of the counts.
fn start(c: TelemetryConfig) -> Telemetry {
    Telemetry::new(c, Switches::new(false, true), identity()).unwrap()
}

fn one_event(t: &Telemetry) {
    t.track(Event::AuthLogout {}, Some(UserId::new(1)));
}

#[test]
fn a_400_is_never_retried() {
    let receiver = Receiver::answering(Reply::Status(400));
    let t = start(config(Some(receiver.url())));
    one_event(&t);
    assert!(eventually(Duration::from_secs(5), || t
        .status()
        .count(D, Outcome::Failed)
        == 1));
    std::thread::sleep(Duration::from_millis(300));
    t.shutdown();
    assert_eq!(receiver.request_count(), 1);
    let s = t.status();
    assert_eq!(s.count(D, Outcome::Retried), 0);
    assert_eq!(s.last_error.map(|e| e.reason), Some("HTTP 400".to_owned()));
}

/// An OTLP partial success (200 with `rejected_log_records`) is honoured
/// and counted, never retried — in both encodings.
#[test]
fn a_partial_success_is_counted_and_never_retried() {
    for protocol in ["http/protobuf", "http/json"] {
        let receiver = Receiver::answering(Reply::Partial(1, "attribute too long"));
        let mut c = config(Some(receiver.url()));
        c.protocol = tt_telemetry::Protocol::parse(protocol).unwrap();
        c.batch_size = 3;
        let t = start(c);
        for _ in 0..3 {
            one_event(&t);
        }
        assert!(
            eventually(Duration::from_secs(5), || t
                .status()
                .count(D, Outcome::Rejected)
                == 1),
            "{protocol}: {:?}",
            t.status()
        );
        std::thread::sleep(Duration::from_millis(300));
        t.shutdown();
        let s = t.status();
        assert_eq!(s.count(D, Outcome::Sent), 2, "{protocol}");
        assert_eq!(s.count(D, Outcome::Retried), 0, "{protocol}");
        assert_eq!(s.count(D, Outcome::Failed), 0, "{protocol}");
        assert_eq!(receiver.request_count(), 1, "{protocol}");
        assert_eq!(
            s.last_error.map(|e| e.reason),
            Some("receiver rejected 1 record(s): attribute too long".to_owned()),
            "{protocol}"
        );
    }
}

#[test]
fn a_500_fails_without_retry() {
    // 500 is not in OTLP's retryable list (429, 502, 503, 504).
    let receiver = Receiver::answering(Reply::Status(500));
    let t = start(config(Some(receiver.url())));
    one_event(&t);
    assert!(eventually(Duration::from_secs(5), || t
        .status()
        .count(D, Outcome::Failed)
        == 1));
    std::thread::sleep(Duration::from_millis(300));
    t.shutdown();
    assert_eq!(receiver.request_count(), 1);
    assert_eq!(t.status().count(D, Outcome::Retried), 0);
}

#[test]
fn retryable_statuses_are_retried_until_accepted() {
    let receiver = Receiver::start();
    receiver.script([Reply::Status(502), Reply::Status(503), Reply::Status(504)]);
    let t = start(config(Some(receiver.url())));
    one_event(&t);
    assert!(eventually(Duration::from_secs(5), || t
        .status()
        .count(D, Outcome::Sent)
        == 1));
    t.shutdown();
    assert_eq!(receiver.request_count(), 4);
    let s = t.status();
    assert_eq!(s.count(D, Outcome::Retried), 3);
    assert_eq!(s.count(D, Outcome::Failed), 0);
    assert_eq!(s.last_error.map(|e| e.reason), Some("HTTP 504".to_owned()));
    assert!(s.last_success.is_some());
}

#[test]
fn retries_stop_after_the_configured_limit() {
    let receiver = Receiver::answering(Reply::Status(503));
    let mut c = config(Some(receiver.url()));
    c.retry.max_retries = 2;
    let t = start(c);
    one_event(&t);
    assert!(eventually(Duration::from_secs(5), || t
        .status()
        .count(D, Outcome::Failed)
        == 1));
    t.shutdown();
    assert_eq!(receiver.request_count(), 3);
    assert_eq!(t.status().count(D, Outcome::Retried), 2);
}

#[test]
fn retry_after_is_honoured() {
    let receiver = Receiver::start();
    receiver.script([Reply::RetryAfter(429, 1)]);
    let mut c = config(Some(receiver.url()));
    // Far shorter than the server's ask: Retry-After must win.
    c.retry.initial_backoff = Duration::from_millis(10);
    let t = start(c);
    one_event(&t);
    assert!(receiver.wait_for_requests(2, Duration::from_secs(5)));
    let r = receiver.requests();
    let gap = r[1].at - r[0].at;
    assert!(gap >= Duration::from_millis(1000), "waited only {gap:?}");
    assert!(eventually(Duration::from_secs(2), || t
        .status()
        .count(D, Outcome::Sent)
        == 1));
    t.shutdown();
    assert_eq!(t.status().count(D, Outcome::Retried), 1);
}

#[test]
fn a_retry_after_beyond_the_limit_fails_the_batch() {
    let receiver = Receiver::answering(Reply::RetryAfter(503, 3600));
    let t = start(config(Some(receiver.url())));
    one_event(&t);
    assert!(eventually(Duration::from_secs(5), || t
        .status()
        .count(D, Outcome::Failed)
        == 1));
    t.shutdown();
    assert_eq!(receiver.request_count(), 1);
}

#[test]
fn a_hanging_receiver_is_cut_off_by_the_request_timeout() {
    let receiver = Receiver::answering(Reply::Hang(Duration::from_secs(10)));
    let mut c = config(Some(receiver.url()));
    c.request_timeout = Duration::from_secs(1);
    c.retry.max_retries = 1;
    let t = start(c);
    let started = Instant::now();
    one_event(&t);
    assert!(eventually(Duration::from_secs(5), || t
        .status()
        .count(D, Outcome::Failed)
        == 1));
    let took = started.elapsed();
    // Two attempts of at most 1 s each, one short backoff, generous slack
    // for a loaded machine; without the timeout this would take 10 s+.
    assert!(
        took < Duration::from_secs(5),
        "two bounded attempts took {took:?}"
    );
    assert!(took >= Duration::from_secs(2));
    assert!(
        receiver.wait_for_requests(2, Duration::from_secs(2)),
        "a timeout is retried"
    );
    assert_eq!(receiver.request_count(), 2);
    let s = t.status();
    assert_eq!(s.count(D, Outcome::Retried), 1);
    assert!(s.last_error.unwrap().reason.starts_with("timeout"));
    t.shutdown();
}

#[test]
fn refused_connections_are_retried_then_counted_failed() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = config(Some(format!("http://127.0.0.1:{port}")));
    c.retry.max_retries = 2;
    let t = start(c);
    for _ in 0..3 {
        one_event(&t);
    }
    assert!(eventually(Duration::from_secs(5), || t
        .status()
        .count(D, Outcome::Failed)
        == 3));
    let s = t.status();
    assert_eq!(s.count(D, Outcome::Retried), 6, "3 records × 2 retries");
    assert!(
        s.last_error
            .unwrap()
            .reason
            .starts_with("connection failed")
    );
    t.shutdown();
}

#[test]
fn tracking_never_waits_for_a_hanging_receiver() {
    let hang = Duration::from_secs(3);
    let receiver = Receiver::answering(Reply::Hang(hang));
    let mut c = config(Some(receiver.url()));
    c.request_timeout = Duration::from_secs(10);
    c.queue_capacity = 20_000;
    c.batch_size = 100;
    c.shutdown_timeout = Duration::from_millis(500);
    let t = start(c);
    one_event(&t);
    assert!(receiver.wait_for_requests(1, Duration::from_secs(5)));
    let first_request = Instant::now();
    for i in 0..10_000 {
        t.track(
            Event::TimeEntryDeleted {
                entry_id: tt_telemetry::Id::new(i),
                surface: Surface::Web,
            },
            Some(UserId::new(1)),
        );
    }
    let tracked_in = first_request.elapsed();
    // The receiver has not answered anything yet, and all 10 000 are queued.
    assert!(tracked_in < hang, "10k track() calls took {tracked_in:?}");
    assert_eq!(receiver.request_count(), 1);
    assert_eq!(t.status().queue_depth, 10_000);
    let report = t.shutdown();
    assert!(report.elapsed < Duration::from_secs(3));
}

#[test]
fn the_queue_stays_bounded_under_a_flood() {
    let receiver = Receiver::answering(Reply::Hang(Duration::from_secs(5)));
    let mut c = config(Some(receiver.url()));
    c.queue_capacity = 100;
    c.batch_size = 10;
    c.request_timeout = Duration::from_secs(10);
    let t = start(c);
    let mut max_depth = 0;
    for i in 0..10_000 {
        t.track(
            Event::TimerStarted {
                entry_id: tt_telemetry::Id::new(i),
                project_id: tt_telemetry::Id::new(1),
                task_id: None,
                surface: Surface::Api,
            },
            Some(UserId::new(1)),
        );
        if i % 100 == 0 {
            max_depth = max_depth.max(t.status().queue_depth);
        }
    }
    let s = t.status();
    max_depth = max_depth.max(s.queue_depth);
    assert!(max_depth <= 100, "depth reached {max_depth}");
    assert_eq!(s.queue_depth, 100);
    let dropped = s.count(D, Outcome::DroppedQueueFull);
    // At most one batch (10) is out of the queue, in flight.
    assert!(
        (10_000 - 100 - 10..=10_000 - 100).contains(&dropped),
        "{dropped}"
    );
    let report = t.shutdown();
    assert!(!report.completed || report.unsent == 0);
}

#[test]
fn shutdown_is_bounded_against_a_hanging_receiver() {
    let receiver = Receiver::answering(Reply::Hang(Duration::from_secs(30)));
    let mut c = config(Some(receiver.url()));
    c.request_timeout = Duration::from_secs(20);
    c.shutdown_timeout = Duration::from_millis(500);
    let t = start(c);
    for _ in 0..10 {
        one_event(&t);
    }
    assert!(receiver.wait_for_requests(1, Duration::from_secs(5)));
    for _ in 0..10 {
        one_event(&t);
    }
    let report = t.shutdown();
    assert!(
        report.elapsed < Duration::from_secs(2),
        "{:?}",
        report.elapsed
    );
    assert!(!report.completed);
    // A second call returns at once.
    let again = t.shutdown();
    assert!(again.elapsed < Duration::from_millis(100));
    // Tracking after shutdown is still harmless.
    one_event(&t);
    assert_eq!(t.status().count(D, Outcome::DroppedShutdown), 1);
}

#[test]
fn shutdown_flushes_what_is_queued() {
    let receiver = Receiver::start();
    let mut c = config(Some(receiver.url()));
    c.export_interval = Duration::from_secs(60);
    c.batch_size = 1000;
    let t = start(c);
    std::thread::sleep(Duration::from_millis(50));
    for _ in 0..5 {
        one_event(&t);
    }
    assert_eq!(receiver.request_count(), 0);
    let report = t.shutdown();
    assert!(report.completed);
    assert_eq!(report.unsent, 0);
    assert_eq!(receiver.event_names().len(), 5);
    assert_eq!(t.status().count(D, Outcome::Sent), 5);
}

#[test]
fn start_up_does_not_wait_for_a_hanging_sink() {
    let receiver = Receiver::answering(Reply::Hang(Duration::from_secs(5)));
    let mut c = config(Some(receiver.url()));
    c.request_timeout = Duration::from_secs(30);
    c.shutdown_timeout = Duration::from_millis(200);
    let started = Instant::now();
    // Base consent on: the start-up heartbeat goes out at once and hangs.
    let t = Telemetry::new(c, Switches::new(true, true), identity()).unwrap();
    one_event(&t);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(receiver.wait_for_requests(1, Duration::from_secs(5)));
    let report = t.shutdown();
    assert!(report.elapsed < Duration::from_secs(1));
}

#[test]
fn dropping_every_handle_stops_the_exporter() {
    let receiver = Receiver::start();
    let t = start(config(Some(receiver.url())));
    let clone = t.clone();
    std::thread::spawn(move || clone.track(Event::AuthLogout {}, None))
        .join()
        .unwrap();
    drop(t);
    // Nothing to assert beyond "this returns": the thread exits by itself.
}
