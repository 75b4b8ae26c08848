//! `cargo bench -p tt-telemetry`: what `track()` costs the caller, with
//! consent off and on, and how fast the exporter drains to a loopback
//! receiver. Plain `Instant` loops; numbers are printed. The one check:
//! every event the exporter counts as sent reached the receiver decodable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::*;
use tt_consent::ConsentLevel;
use tt_telemetry::Id;
use tt_telemetry::{Outcome, Telemetry, UserId};

fn event(i: i64) -> Event {
    Event::TimerStarted {
        entry_id: Id::new(i),
        project_id: Id::new(7),
        task_id: Some(Id::new(3)),
        surface: Surface::Web,
    }
}

fn per_op(n: u64, f: impl Fn(i64)) -> f64 {
    // Warm up, then measure.
    for i in 0..10_000 {
        f(i);
    }
    let start = Instant::now();
    for i in 0..n {
        f(i64::try_from(i).unwrap_or(0));
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let n: u64 = 1_000_000;

    // Consent off: a consent check, a counter, and a (disabled) log line.
    let off = Telemetry::new(
        config(Some("http://127.0.0.1:9".to_owned())),
        Switches::new(false, false),
        identity(),
    )
    .unwrap();
    let ns_off = per_op(n, |i| off.track(black_box(event(i)), Some(UserId::new(1))));
    off.shutdown();

    // Consent on, receiver hanging: pure enqueue, nothing drains.
    let hanging = Receiver::answering(Reply::Hang(Duration::from_secs(60)));
    let mut c = config(Some(hanging.url()));
    c.queue_capacity = 2_000_000;
    c.shutdown_timeout = Duration::from_millis(100);
    let on = Telemetry::new(c, Switches::new(false, true), identity()).unwrap();
    let ns_on = per_op(n, |i| on.track(black_box(event(i)), Some(UserId::new(1))));
    on.shutdown();

    // Consent on, queue full: every enqueue evicts the oldest.
    let mut c = config(Some(hanging.url()));
    c.queue_capacity = 1_000;
    c.shutdown_timeout = Duration::from_millis(100);
    let full = Telemetry::new(c, Switches::new(false, true), identity()).unwrap();
    let ns_full = per_op(n, |i| full.track(black_box(event(i)), Some(UserId::new(1))));
    let dropped = full
        .status()
        .count(ConsentLevel::Detailed, Outcome::DroppedQueueFull);
    full.shutdown();

    // Consent on, with a JSON log subscriber writing every line to a null
    // writer: what the app's logs/app.jsonl line costs on top.
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .finish();
    let mut c = config(Some(hanging.url()));
    c.queue_capacity = 2_000_000;
    c.shutdown_timeout = Duration::from_millis(100);
    let logged = Telemetry::new(c, Switches::new(false, true), identity()).unwrap();
    let ns_logged = tracing::subscriber::with_default(subscriber, || {
        per_op(n / 4, |i| {
            logged.track(black_box(event(i)), Some(UserId::new(1)))
        })
    });
    logged.shutdown();

    println!("track() cost per call ({n} calls, no log subscriber unless noted)");
    println!("  consent off                         {ns_off:8.1} ns/op");
    println!("  consent on, enqueue                 {ns_on:8.1} ns/op");
    println!("  consent on, queue full (drop-oldest) {ns_full:7.1} ns/op  ({dropped} dropped)");
    println!("  consent on, + JSON log line         {ns_logged:8.1} ns/op");
    println!(
        "  ratio on/off                        {:8.2}",
        ns_on / ns_off
    );

    // Exporter throughput to a loopback receiver that decodes every body
    // (and keeps only counts: the recording receiver of the tests grows by
    // every body twice and each decoded record, and became the bottleneck).
    let receiver = Receiver::tallying();
    let m: u64 = 100_000;
    let mut c = config(Some(receiver.url()));
    c.queue_capacity = 200_000;
    c.batch_size = 512;
    c.export_interval = Duration::from_millis(5);
    let t = Telemetry::new(c, Switches::new(false, true), identity()).unwrap();
    let start = Instant::now();
    for i in 0..m {
        t.track(event(i64::try_from(i).unwrap_or(0)), Some(UserId::new(1)));
    }
    let sent = |t: &Telemetry| t.status().count(ConsentLevel::Detailed, Outcome::Sent);
    let deadline = Instant::now() + Duration::from_secs(120);
    while sent(&t) < m && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    let delivered = sent(&t);
    t.shutdown();
    let tally = receiver.tally();
    // Every event sent (including any the shutdown flushed) arrived as a
    // record that decodes: the figure counts delivered events, not
    // requests the receiver could not read.
    assert_eq!(tally.records as u64, sent(&t), "{tally:?}");
    assert_eq!(tally.undecodable, 0, "{tally:?}");
    println!();
    println!("exporter, protobuf, batch 512, loopback receiver decoding each request");
    println!(
        "  {delivered} events in {:.2} s = {:.0} events/s over {} requests",
        elapsed.as_secs_f64(),
        delivered as f64 / elapsed.as_secs_f64(),
        tally.requests
    );
    println!(
        "  {:.1} body bytes/event, {:.1} wire bytes/event (with HTTP headers)",
        tally.body_bytes as f64 / delivered.max(1) as f64,
        tally.wire_bytes as f64 / delivered.max(1) as f64
    );
}
