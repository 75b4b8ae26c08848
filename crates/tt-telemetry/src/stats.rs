//! Counting what happens to every record: in-process counters for the admin
//! page and the CLI, mirrored to the `metrics` facade for `/metrics` by
//! [`Stats::publish`] (on every export round and when the app asks, e.g.
//! at scrape time) — never on the caller's path, where counting is one
//! relaxed atomic add.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use tt_consent::ConsentLevel;

/// The counter of records by level and outcome.
pub const EVENTS_TOTAL: &str = "tt_telemetry_events_total";
/// The gauge of records waiting to be sent.
pub const QUEUE_DEPTH: &str = "tt_telemetry_queue_depth";

/// What became of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Accepted by the receiver (2xx).
    Sent,
    /// Not sent because its consent level was off (at track time or right
    /// before export), or because no sink is configured.
    DroppedNoConsent,
    /// Pushed out of the full queue by a newer record.
    DroppedQueueFull,
    /// Gave up: a non-retryable answer, retries exhausted, or the shutdown
    /// flush ran out of time.
    Failed,
    /// One more attempt was scheduled (counted per record per retry).
    Retried,
    /// Removed from the queue by an explicit purge (consent withdrawn,
    /// install id rotated).
    Purged,
    /// Tracked after shutdown began; never queued.
    DroppedShutdown,
    /// Debug mode: written to the log instead of being sent.
    DebugLogged,
    /// Refused for good by a receiver that accepted the rest of its batch
    /// (an OTLP partial success); never retried.
    Rejected,
    /// Not in the catalog the sink was configured with; never queued.
    DroppedNotInCatalog,
}

impl Outcome {
    /// Every outcome, in a stable order.
    pub const ALL: [Outcome; 10] = [
        Outcome::Sent,
        Outcome::DroppedNoConsent,
        Outcome::DroppedQueueFull,
        Outcome::Failed,
        Outcome::Retried,
        Outcome::Purged,
        Outcome::DroppedShutdown,
        Outcome::DebugLogged,
        Outcome::Rejected,
        Outcome::DroppedNotInCatalog,
    ];

    /// The `outcome` label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::DroppedNoConsent => "dropped_no_consent",
            Outcome::DroppedQueueFull => "dropped_queue_full",
            Outcome::Failed => "failed",
            Outcome::Retried => "retried",
            Outcome::Purged => "purged",
            Outcome::DroppedShutdown => "dropped_shutdown",
            Outcome::DebugLogged => "debug_logged",
            Outcome::Rejected => "rejected",
            Outcome::DroppedNotInCatalog => "dropped_not_in_catalog",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

const fn level_index(level: ConsentLevel) -> usize {
    match level {
        ConsentLevel::Base => 0,
        ConsentLevel::Detailed => 1,
    }
}

/// Registers the help text of this crate's metrics with the installed
/// `metrics` recorder. Call once after installing the recorder (e.g. the
/// Prometheus exporter), so `promtool` sees a HELP line for each.
pub fn describe_metrics() {
    metrics::describe_counter!(
        EVENTS_TOTAL,
        metrics::Unit::Count,
        "Telemetry records by consent level (base|detailed) and outcome (sent, dropped_no_consent, dropped_queue_full, failed, retried, purged, dropped_shutdown, debug_logged)."
    );
    metrics::describe_gauge!(
        QUEUE_DEPTH,
        metrics::Unit::Count,
        "Telemetry records waiting in the bounded queue."
    );
}

/// When and why the last export failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// When.
    pub at: SystemTime,
    /// A short reason, e.g. `HTTP 503` or `timeout`; never a response body.
    pub reason: String,
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    counts: [[AtomicU64; Outcome::ALL.len()]; 2],
    /// How much of each count the `metrics` facade has been given.
    published: [[AtomicU64; Outcome::ALL.len()]; 2],
    last_success: Mutex<Option<SystemTime>>,
    last_error: Mutex<Option<LastError>>,
}

impl Stats {
    pub(crate) fn record(&self, level: ConsentLevel, outcome: Outcome, n: u64) {
        if n == 0 {
            return;
        }
        self.counts[level_index(level)][outcome.index()].fetch_add(n, Ordering::Relaxed);
    }

    /// Gives the `metrics` facade what was counted since the last call.
    /// Concurrent calls hand over disjoint parts.
    pub(crate) fn publish(&self) {
        for level in ConsentLevel::ALL {
            for outcome in Outcome::ALL {
                let (l, o) = (level_index(level), outcome.index());
                let now = self.counts[l][o].load(Ordering::Relaxed);
                let before = self.published[l][o].fetch_max(now, Ordering::Relaxed);
                if now > before {
                    metrics::counter!(
                        EVENTS_TOTAL,
                        "level" => level.as_str(),
                        "outcome" => outcome.as_str()
                    )
                    .increment(now - before);
                }
            }
        }
    }

    pub(crate) fn count(&self, level: ConsentLevel, outcome: Outcome) -> u64 {
        self.counts[level_index(level)][outcome.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn success(&self, at: SystemTime) {
        *lock(&self.last_success) = Some(at);
    }

    pub(crate) fn error(&self, at: SystemTime, reason: String) {
        *lock(&self.last_error) = Some(LastError { at, reason });
    }

    pub(crate) fn last_success(&self) -> Option<SystemTime> {
        *lock(&self.last_success)
    }

    pub(crate) fn last_error(&self) -> Option<LastError> {
        lock(&self.last_error).clone()
    }
}

pub(crate) fn set_queue_depth(depth: usize) {
    metrics::gauge!(QUEUE_DEPTH).set(depth as f64);
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
