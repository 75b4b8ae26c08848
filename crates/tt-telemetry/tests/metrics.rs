//! The counters reach the `metrics` facade with the documented names and
//! labels, and `describe_metrics` gives each a description.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::*;
use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, Key, KeyName, Metadata, Recorder, SharedString,
    Unit,
};
use tt_telemetry::{EVENTS_TOTAL, QUEUE_DEPTH, Telemetry, UserId, describe_metrics};

#[derive(Default)]
struct Capture {
    counters: Mutex<BTreeMap<String, Arc<Count>>>,
    described: Mutex<Vec<String>>,
}

#[derive(Default)]
struct Count(AtomicU64);

impl CounterFn for Count {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::SeqCst);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::SeqCst);
    }
}

struct Ignore;
impl GaugeFn for Ignore {
    fn increment(&self, _: f64) {}
    fn decrement(&self, _: f64) {}
    fn set(&self, _: f64) {}
}

fn render(key: &Key) -> String {
    let mut labels: Vec<String> = key
        .labels()
        .map(|l| format!("{}={}", l.key(), l.value()))
        .collect();
    labels.sort();
    format!("{}{{{}}}", key.name(), labels.join(","))
}

impl Recorder for Capture {
    fn describe_counter(&self, key: KeyName, _: Option<Unit>, d: SharedString) {
        assert!(!d.is_empty());
        self.described.lock().unwrap().push(key.as_str().to_owned());
    }
    fn describe_gauge(&self, key: KeyName, _: Option<Unit>, d: SharedString) {
        assert!(!d.is_empty());
        self.described.lock().unwrap().push(key.as_str().to_owned());
    }
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let c = Arc::clone(
            self.counters
                .lock()
                .unwrap()
                .entry(render(key))
                .or_default(),
        );
        Counter::from_arc(c)
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(Arc::new(Ignore))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[test]
fn outcomes_are_counted_with_level_and_outcome_labels() {
    run_isolated("metrics::isolated_metrics");
}

#[test]
#[ignore = "run in a child process by outcomes_are_counted_with_level_and_outcome_labels"]
fn isolated_metrics() {
    let capture = Capture::default();
    metrics::with_local_recorder(&capture, || {
        describe_metrics();
        // Consent off: counted on the caller's thread.
        let t = Telemetry::new(config(None), Switches::new(false, false), identity()).unwrap();
        t.track(Event::AuthLogout {}, Some(UserId::new(1)));
        t.track(Event::AuthLogout {}, None);
        t.shutdown();
    });
    let described = capture.described.lock().unwrap().clone();
    assert_eq!(described, [EVENTS_TOTAL, QUEUE_DEPTH]);
    let counters = capture.counters.lock().unwrap();
    let key = format!("{EVENTS_TOTAL}{{level=detailed,outcome=dropped_no_consent}}");
    assert_eq!(
        counters[&key].0.load(Ordering::SeqCst),
        2,
        "{:?}",
        counters.keys()
    );
}
