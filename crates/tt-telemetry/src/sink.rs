//! The [`Telemetry`] handle: consent check and enqueue on the caller's
//! thread, everything else on the exporter thread (see `worker`).

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use tt_consent::{ConsentLevel, ConsentSource};

use crate::base::{BaseKind, BuildInfo, base_attributes};
use crate::catalog::Catalog;
use crate::config::{Protocol, RetrySettings, TelemetryConfig, logs_url};
use crate::deletion::DeletionTarget;
use crate::error::TelemetryError;
use crate::event::{AppEvent, Properties, UserId};
use crate::identity::InstallIdentity;
use crate::record::{Encoder, Payload, QueuedItem, body_to_json};
use crate::stats::{LastError, Outcome, Stats, lock, set_queue_depth};
use crate::transport::{Attempt, Transport};
use crate::worker;

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkState {
    /// No endpoint configured: nothing can be sent; every record counts as
    /// `dropped_no_consent` (consent cannot be effective without a sink).
    NotConfigured,
    /// Debug mode: payloads are written to the log, never sent.
    Debug,
    /// Sending to this URL (shown without credentials).
    Endpoint(String),
}

/// A snapshot for an admin page or a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryStatus {
    /// Where records go.
    pub sink: SinkState,
    /// The body encoding.
    pub protocol: Protocol,
    /// Records waiting now.
    pub queue_depth: usize,
    /// The most that can wait.
    pub queue_capacity: usize,
    /// When the receiver last accepted a request.
    pub last_success: Option<SystemTime>,
    /// The last failure and its short reason.
    pub last_error: Option<LastError>,
    /// Whether the exporter has stopped.
    pub shut_down: bool,
    counts: [[u64; Outcome::ALL.len()]; 2],
}

impl TelemetryStatus {
    /// How many records of `level` ended with `outcome` since start.
    pub fn count(&self, level: ConsentLevel, outcome: Outcome) -> u64 {
        let l = match level {
            ConsentLevel::Base => 0,
            ConsentLevel::Detailed => 1,
        };
        Outcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .map_or(0, |i| self.counts[l][i])
    }

    /// The same count summed over both levels.
    pub fn total(&self, outcome: Outcome) -> u64 {
        ConsentLevel::ALL
            .iter()
            .map(|l| self.count(*l, outcome))
            .sum()
    }
}

/// What [`Telemetry::shutdown`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Whether the exporter finished within the timeout.
    pub completed: bool,
    /// Records still queued when it returned (not sent).
    pub unsent: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// The exact next heartbeat, as it would be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatPreview {
    /// The request's `Content-Type`.
    pub content_type: String,
    /// The request body, as the send path would produce it.
    pub body: Vec<u8>,
    /// The body decoded to indented JSON for reading.
    pub json: String,
}

pub(crate) struct QueueState {
    pub items: VecDeque<QueuedItem>,
    /// No more enqueues.
    pub closed: bool,
    /// Set by `shutdown()`: flush until then, then stop.
    pub deadline: Option<Instant>,
    /// Consent changed: re-check base telemetry now.
    pub nudged: bool,
}

pub(crate) struct Settings {
    pub capacity: usize,
    pub batch_size: usize,
    pub export_interval: Duration,
    pub heartbeat_interval: Duration,
    pub shutdown_timeout: Duration,
    pub retry: RetrySettings,
    pub protocol: Protocol,
    pub build: BuildInfo,
    pub catalog: &'static Catalog,
}

/// State shared by every handle and the exporter thread.
pub(crate) struct Shared {
    pub consent: Arc<dyn ConsentSource>,
    pub identity: Arc<dyn InstallIdentity>,
    pub settings: Settings,
    pub sink: SinkState,
    pub queue: Mutex<QueueState>,
    pub wake: Condvar,
    pub stats: Stats,
    /// Held by the exporter across each export attempt (staleness check,
    /// encoding, request); taking it pauses the exporter between attempts.
    pub export_gate: Mutex<()>,
    epochs: [AtomicU64; 2],
    /// Where a deletion request would go, or why it cannot be sent.
    deletion: Result<DeletionTarget, String>,
}

const fn level_index(level: ConsentLevel) -> usize {
    match level {
        ConsentLevel::Base => 0,
        ConsentLevel::Detailed => 1,
    }
}

impl Shared {
    pub(crate) fn lock_queue(&self) -> MutexGuard<'_, QueueState> {
        lock(&self.queue)
    }

    /// Whether `level` may be sent right now: a sink exists and consent holds.
    pub(crate) fn allows(&self, level: ConsentLevel) -> bool {
        !matches!(self.sink, SinkState::NotConfigured) && self.consent.allows(level)
    }

    pub(crate) fn epoch(&self, level: ConsentLevel) -> u64 {
        self.epochs[level_index(level)].load(Ordering::Acquire)
    }

    /// Consent check and enqueue; never blocks beyond a short lock.
    fn enqueue(&self, payload: Payload, level: ConsentLevel) -> bool {
        if !self.allows(level) {
            self.stats.record(level, Outcome::DroppedNoConsent, 1);
            return false;
        }
        let item = QueuedItem {
            payload,
            level,
            at: SystemTime::now(),
            epoch: self.epoch(level),
            install_id: self.identity.install_id(),
        };
        let mut q = self.lock_queue();
        if q.closed {
            drop(q);
            self.stats.record(level, Outcome::DroppedShutdown, 1);
            return false;
        }
        let evicted = if q.items.len() >= self.settings.capacity {
            q.items.pop_front()
        } else {
            None
        };
        q.items.push_back(item);
        let wake = q.items.len() == self.settings.batch_size;
        drop(q);
        if let Some(old) = evicted {
            self.stats.record(old.level, Outcome::DroppedQueueFull, 1);
        }
        if wake {
            self.wake.notify_one();
        }
        true
    }

    /// Queues a base event built from the current identity.
    pub(crate) fn enqueue_base(&self, kind: BaseKind) -> bool {
        let identity = self.identity.snapshot();
        let attributes = base_attributes(kind, &identity, &self.settings.build, SystemTime::now());
        self.enqueue(Payload::Base { kind, attributes }, ConsentLevel::Base)
    }

    /// Removes every queued record of `level`, counting them as `outcome`,
    /// and (for explicit purges) makes in-flight ones stale.
    pub(crate) fn purge(&self, level: ConsentLevel, outcome: Outcome) -> usize {
        if outcome == Outcome::Purged {
            self.epochs[level_index(level)].fetch_add(1, Ordering::AcqRel);
        }
        let mut q = self.lock_queue();
        let before = q.items.len();
        q.items.retain(|item| item.level != level);
        let removed = before - q.items.len();
        let depth = q.items.len();
        drop(q);
        self.stats.record(level, outcome, removed as u64);
        set_queue_depth(depth);
        removed
    }
}

struct Worker {
    thread: JoinHandle<()>,
    done: mpsc::Receiver<()>,
}

/// Owns the exporter thread; the last handle to go stops it without waiting.
struct Handle {
    shared: Arc<Shared>,
    worker: Mutex<Option<Worker>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut q = self.shared.lock_queue();
        q.closed = true;
        if q.deadline.is_none() {
            q.deadline = Some(Instant::now());
        }
        drop(q);
        self.shared.wake.notify_all();
    }
}

/// The telemetry sink. Cheap to clone and share across threads.
///
/// See the crate docs for the whole picture.
#[derive(Clone)]
pub struct Telemetry {
    handle: Arc<Handle>,
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry")
            .field("sink", &self.handle.shared.sink)
            .finish_non_exhaustive()
    }
}

impl Telemetry {
    /// Builds the sink and starts its exporter thread. Returns at once: the
    /// receiver is not contacted here.
    pub fn new(
        config: TelemetryConfig,
        consent: Arc<dyn ConsentSource>,
        identity: Arc<dyn InstallIdentity>,
    ) -> Result<Telemetry, TelemetryError> {
        config
            .catalog
            .check()
            .map_err(|e| TelemetryError::Config(crate::ConfigError::InvalidCatalog(e)))?;
        let url = config
            .endpoint
            .as_deref()
            .map(|e| logs_url(e, "endpoint"))
            .transpose()?;
        let sink = match (&url, config.debug) {
            (_, true) => SinkState::Debug,
            (None, false) => SinkState::NotConfigured,
            (Some(url), false) => SinkState::Endpoint(without_credentials(url)),
        };
        let transport = match (&sink, &url) {
            (SinkState::Endpoint(_), Some(url)) => Some(
                Transport::network(
                    url.clone(),
                    config.token.as_ref().map(crate::config::authorization),
                    config.request_timeout,
                )
                .map_err(TelemetryError::HttpClient)?,
            ),
            (SinkState::Debug, _) => Some(Transport::capture()),
            _ => None,
        };
        let settings = Settings {
            capacity: config.queue_capacity.max(1),
            batch_size: config.batch_size.max(1),
            export_interval: config.export_interval,
            heartbeat_interval: config.heartbeat_interval,
            shutdown_timeout: config.shutdown_timeout,
            retry: config.retry.clone(),
            protocol: config.protocol,
            build: BuildInfo::of(&config),
            catalog: config.catalog,
        };
        let shared = Arc::new(Shared {
            consent,
            identity,
            settings,
            sink,
            queue: Mutex::new(QueueState {
                items: VecDeque::new(),
                closed: false,
                deadline: None,
                nudged: false,
            }),
            wake: Condvar::new(),
            stats: Stats::default(),
            export_gate: Mutex::new(()),
            epochs: [AtomicU64::new(0), AtomicU64::new(0)],
            deletion: DeletionTarget::of(&config).map_err(|e| match e {
                TelemetryError::NotDelivered(why) => why,
                other => other.to_string(),
            }),
        });
        let worker = match transport {
            Some(transport) => {
                let encoder = Encoder::new(
                    transport,
                    url.as_deref().unwrap_or(PLACEHOLDER_URL),
                    config.protocol,
                    &BuildInfo::of(&config),
                    config.request_timeout,
                )?;
                let (done_tx, done) = mpsc::channel();
                let for_thread = Arc::clone(&shared);
                let thread = std::thread::Builder::new()
                    .name("tt-telemetry-export".to_owned())
                    .spawn(move || {
                        worker::run(&for_thread, &encoder);
                        let _ = done_tx.send(());
                    })
                    .map_err(TelemetryError::Thread)?;
                Some(Worker { thread, done })
            }
            None => None,
        };
        Ok(Telemetry {
            handle: Arc::new(Handle {
                shared,
                worker: Mutex::new(worker),
            }),
        })
    }

    fn shared(&self) -> &Shared {
        &self.handle.shared
    }

    /// Records that something happened. Never blocks, never fails: checks
    /// consent for the event's level, enqueues (dropping the oldest record
    /// when the queue is full), and writes one `tt_telemetry::event` log line
    /// saying whether it was queued. `user` is the internal id of the signed-in
    /// user, if any. An event that is not in the configured catalog is never
    /// sent (counted as `dropped_not_in_catalog`).
    pub fn track(&self, event: impl AppEvent, user: Option<UserId>) {
        let descriptor = event.descriptor();
        let level = descriptor.level;
        let shared = self.shared();
        // Consent first: with consent off this is all a call costs (the
        // log line below formats nothing unless it is enabled).
        let queued = if !shared.allows(level) {
            shared.stats.record(level, Outcome::DroppedNoConsent, 1);
            false
        } else if !shared.settings.catalog.contains(descriptor) {
            shared.stats.record(level, Outcome::DroppedNotInCatalog, 1);
            false
        } else {
            let mut properties = Properties::new();
            event.write_properties(&mut properties);
            shared.enqueue(
                Payload::Product {
                    descriptor,
                    properties,
                    user,
                },
                level,
            )
        };
        tracing::info!(
            target: "tt_telemetry::event",
            event_type = descriptor.name,
            category = descriptor.category.as_str(),
            level = level.as_str(),
            user_id = user.map(UserId::get),
            properties = %LazyProperties(&event),
            queued,
            "telemetry event"
        );
    }

    /// The catalog this sink was configured with.
    pub fn catalog(&self) -> &'static Catalog {
        self.shared().settings.catalog
    }

    /// Drops every queued record of `level` now (counted as `purged`);
    /// records of that level already taken for export are dropped before
    /// their next attempt. Returns how many were removed from the queue.
    pub fn purge(&self, level: ConsentLevel) -> usize {
        self.shared().purge(level, Outcome::Purged)
    }

    /// Call after any consent change: purges each level that is no longer allowed, and lets the exporter
    /// send `base_telemetry.first_seen` promptly when base telemetry was
    /// just switched on.
    pub fn consent_changed(&self) {
        for level in ConsentLevel::ALL {
            if !self.shared().allows(level) {
                self.purge(level);
            }
        }
        self.shared().lock_queue().nudged = true;
        self.shared().wake.notify_all();
    }

    /// Call after the admin rotated the install id: everything queued under
    /// the old identity is purged (both levels), so nothing recorded before
    /// the rotation is ever sent linked to the new id.
    pub fn identity_changed(&self) {
        for level in ConsentLevel::ALL {
            self.purge(level);
        }
        self.shared().lock_queue().nudged = true;
        self.shared().wake.notify_all();
    }

    /// Sends one `base_telemetry.deletion_request` under the current
    /// install id, now, whatever the consent levels say (an administrator
    /// asked for it explicitly; withdrawing consent never sends one), and
    /// waits for the receiver's answer — a few seconds at most, retrying
    /// network failures and 429/502/503/504. `Ok` once it was accepted.
    /// Blocks: call it off any async executor. Replacing the install id
    /// afterwards is the caller's job: call this inside
    /// [`Self::replace_identity`], which keeps the exporter from sending
    /// anything around it.
    pub fn send_deletion_request(&self) -> Result<(), TelemetryError> {
        let shared = self.shared();
        let target = shared
            .deletion
            .as_ref()
            .map_err(|why| TelemetryError::NotDelivered(why.clone()))?;
        let result = target.deliver(shared.identity.snapshot());
        let now = SystemTime::now();
        match &result {
            Ok(()) => {
                shared.stats.record(ConsentLevel::Base, Outcome::Sent, 1);
                shared.stats.success(now);
            }
            Err(e) => shared.stats.error(now, format!("deletion request {e}")),
        }
        result
    }

    /// Runs `replace` — send the deletion request, then rotate the install
    /// id — with the exporter paused: waits for an export attempt in flight
    /// to end, purges both levels (queued and already taken records alike)
    /// *before* `replace` runs, purges again after it (whatever was queued
    /// meanwhile was queued under the old id), then lets the exporter go on.
    /// So nothing recorded under the old id reaches the receiver after the
    /// deletion request, and nothing recorded before the rotation is sent
    /// under the new id. Records are also sent only under the id they were
    /// queued with, which covers a rotation done by another process.
    /// Blocks for as long as an export attempt and `replace` take.
    pub fn replace_identity<R>(&self, replace: impl FnOnce() -> R) -> R {
        let shared = self.shared();
        let result = {
            let _paused = lock(&shared.export_gate);
            for level in ConsentLevel::ALL {
                self.purge(level);
            }
            let result = replace();
            for level in ConsentLevel::ALL {
                self.purge(level);
            }
            result
        };
        shared.lock_queue().nudged = true;
        shared.wake.notify_all();
        result
    }

    /// Counts, queue depth, last success and last error.
    pub fn status(&self) -> TelemetryStatus {
        let shared = self.shared();
        let (depth, closed) = {
            let q = shared.lock_queue();
            (q.items.len(), q.closed)
        };
        let mut counts = [[0u64; Outcome::ALL.len()]; 2];
        for (l, level) in ConsentLevel::ALL.iter().enumerate() {
            for (o, outcome) in Outcome::ALL.iter().enumerate() {
                counts[l][o] = shared.stats.count(*level, *outcome);
            }
        }
        TelemetryStatus {
            sink: shared.sink.clone(),
            protocol: shared.settings.protocol,
            queue_depth: depth,
            queue_capacity: shared.settings.capacity,
            last_success: shared.stats.last_success(),
            last_error: shared.stats.last_error(),
            shut_down: closed,
            counts,
        }
    }

    /// The next heartbeat exactly as it would be sent now: built from the
    /// current identity and encoded by the same exporter as the send path,
    /// without sending anything. Independent of consent (it shows what
    /// *would* be sent).
    pub fn preview_heartbeat(&self) -> Result<HeartbeatPreview, TelemetryError> {
        let shared = self.shared();
        let transport = Transport::capture();
        let encoder = Encoder::new(
            transport,
            PLACEHOLDER_URL,
            shared.settings.protocol,
            &shared.settings.build,
            Duration::from_secs(1),
        )?;
        let identity = shared.identity.snapshot();
        let now = SystemTime::now();
        let item = QueuedItem {
            payload: Payload::Base {
                kind: BaseKind::Heartbeat,
                attributes: base_attributes(
                    BaseKind::Heartbeat,
                    &identity,
                    &shared.settings.build,
                    now,
                ),
            },
            level: ConsentLevel::Base,
            at: now,
            epoch: 0,
            install_id: identity.install_id,
        };
        let record = encoder.record(&item, identity.install_id);
        match encoder.export(std::slice::from_ref(&record)) {
            Ok(Attempt::Captured { content_type, body }) => {
                let json = body_to_json(shared.settings.protocol, &body)
                    .map_err(TelemetryError::Encode)?;
                Ok(HeartbeatPreview {
                    content_type,
                    body,
                    json,
                })
            }
            Ok(other) => Err(TelemetryError::Encode(crate::error::EncodeFailure(
                format!("unexpected transport result {other:?}"),
            ))),
            Err(e) => Err(TelemetryError::Encode(e)),
        }
    }

    /// Hands the counts of [`Outcome`]s since the last call to the
    /// `metrics` facade (`tt_telemetry_events_total`). The exporter does so
    /// on every round; call it before rendering metrics (e.g. at scrape
    /// time) so they are exact. Tracking itself never touches the facade.
    pub fn publish_metrics(&self) {
        self.shared().stats.publish();
    }

    /// Stops the exporter: flushes what is queued for at most the configured
    /// shutdown timeout (default 5 s), then gives up and returns — even if
    /// the receiver hangs. Later calls return at once.
    pub fn shutdown(&self) -> ShutdownReport {
        let started = Instant::now();
        let timeout = self.shared().settings.shutdown_timeout;
        {
            let mut q = self.shared().lock_queue();
            q.closed = true;
            if q.deadline.is_none() {
                q.deadline = Some(started + timeout);
            }
        }
        self.shared().wake.notify_all();
        let worker = lock(&self.handle.worker).take();
        let completed = match worker {
            Some(worker) => {
                // A little grace past the deadline for the worker to count
                // what it gave up on; an in-flight request is not waited for.
                let grace = Duration::from_millis(250);
                let remaining =
                    (started + timeout + grace).saturating_duration_since(Instant::now());
                match worker.done.recv_timeout(remaining) {
                    Ok(()) => {
                        let _ = worker.thread.join();
                        true
                    }
                    Err(_) => {
                        tracing::warn!(
                            target: "tt_telemetry",
                            "telemetry exporter did not stop within {timeout:?}; giving up"
                        );
                        false
                    }
                }
            }
            None => true,
        };
        self.publish_metrics();
        ShutdownReport {
            completed,
            unsent: self.shared().lock_queue().items.len(),
            elapsed: started.elapsed(),
        }
    }
}

/// The builder needs some URL; the transport never uses it.
const PLACEHOLDER_URL: &str = "http://127.0.0.1:9/v1/logs";

fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.to_string()
        }
        Err(_) => String::from("(invalid)"),
    }
}

struct LazyProperties<'a, E>(&'a E);

impl<E: AppEvent> fmt::Display for LazyProperties<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.properties_json())
    }
}
