//! The telemetry sink of TimeTracker: a typed catalog of every event that can
//! be sent, a consent-gated bounded queue that [`Telemetry::track`] fills
//! without ever blocking or failing, and a background exporter that ships
//! OTLP logs over HTTP (built on `opentelemetry_sdk` and
//! `opentelemetry-otlp`) with batching, timeouts, retries and counters.
//!
//! Privacy is structural: event properties can only be internal ids, counts,
//! booleans, durations or closed enumerations ([`catalog::values`]), so free
//! text — names, e-mails, notes, concrete paths, hostnames — cannot be
//! expressed; consent ([`tt_consent::ConsentSource`]) is checked on enqueue
//! and again right before every export; the resource carries only
//! `service.name` and `service.version`; the operator's `OTEL_*` variables
//! never reconfigure this pipeline.
//!
//! **Architecture invariant:** among our crates this one depends on
//! `tt-consent` only, and never — not even transitively — on diesel,
//! actix-web, `tt-domain`, `tt-persistence`, `tt-installation` or `tt-http`.
//! The app adapts its installation store through [`InstallIdentity`] and its
//! domain ids through the id newtypes here.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use tt_consent::{resolve, ConsentLevel, ConsentSource, DeployerPolicy, EffectiveConsent};
//! use tt_telemetry::values::{DeploymentType, ProjectId, TaskId, TaskStatus, UserId};
//! use tt_telemetry::{
//!     AppVersion, Event, HostFacts, InMemoryIdentity, Outcome, Telemetry, TelemetryConfig,
//! };
//!
//! /// Nobody opted in.
//! struct NeverAsked;
//! impl ConsentSource for NeverAsked {
//!     fn effective(&self, level: ConsentLevel) -> EffectiveConsent {
//!         resolve(level, DeployerPolicy::Unset, true, None)
//!     }
//! }
//!
//! let mut config = TelemetryConfig::new(AppVersion::parse("1.4.2")?);
//! config.endpoint = Some("http://127.0.0.1:4318".into()); // `/v1/logs` is appended
//! let identity = InMemoryIdentity::generate(
//!     "server-hostname",        // hashed with the salt; never sent or kept
//!     "0123456789abcdef",
//!     HostFacts::detect(DeploymentType::Native),
//! );
//! let telemetry = Telemetry::new(config, Arc::new(NeverAsked), Arc::new(identity))?;
//!
//! // In a request handler: returns at once, whatever the sink is doing.
//! telemetry.track(
//!     Event::TaskStatusChanged {
//!         task_id: TaskId::new(7),
//!         project_id: ProjectId::new(3),
//!         old_status: TaskStatus::Todo,
//!         new_status: TaskStatus::Done,
//!     },
//!     Some(UserId::new(1)),
//! );
//! // No consent: logged locally, counted, never queued.
//! let status = telemetry.status();
//! assert_eq!(status.count(ConsentLevel::Detailed, Outcome::DroppedNoConsent), 1);
//! assert_eq!(status.queue_depth, 0);
//!
//! // What the next heartbeat would carry, from the same encoder as the send path.
//! let preview = telemetry.preview_heartbeat()?;
//! assert!(preview.json.contains("base_telemetry.heartbeat"));
//! assert!(!preview.json.contains("server-hostname"));
//!
//! // The catalog, for docs/all_tracked_events.md and the admin page.
//! assert!(tt_telemetry::catalog().len() >= 30);
//! assert!(tt_telemetry::catalog_markdown().contains("`task.status_changed`"));
//!
//! let report = telemetry.shutdown(); // bounded by config.shutdown_timeout
//! assert!(report.completed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Wiring it into the app
//!
//! 1. Install the `metrics` recorder, then call [`describe_metrics`].
//! 2. Build a [`TelemetryConfig`] (or [`TelemetryConfig::from_env`]), an
//!    `Arc<dyn ConsentSource>` and an `Arc<dyn InstallIdentity>`, and call
//!    [`Telemetry::new`]; keep the handle in the app state (it is `Clone`).
//! 3. Call [`Telemetry::track`] from the route that performs each action.
//! 4. On every consent toggle call [`Telemetry::consent_changed`]; after an
//!    install-id rotation call [`Telemetry::identity_changed`].
//! 5. Show [`Telemetry::status`] and [`Telemetry::preview_heartbeat`] on the
//!    admin page and in the CLI; render [`catalog_markdown`] for the docs.
//! 6. Call [`Telemetry::shutdown`] before exit.

mod catalog;
mod config;
mod deletion;
mod error;
mod identity;
mod recipient;
mod record;
mod sink;
mod stats;
mod transport;
mod worker;

pub use catalog::base::{DELETION_REQUEST, FIRST_SEEN, HEARTBEAT};
pub use catalog::values;
pub use catalog::{
    Category, ENVELOPE_ATTRIBUTES, Event, EventDescriptor, PropertyDescriptor, SCHEMA_VERSION,
    catalog, catalog_fingerprint, catalog_json, catalog_markdown,
};
pub use config::{EmbeddedSink, Protocol, RetrySettings, SecretToken, TelemetryConfig};
pub use deletion::send_deletion_request;
pub use error::{ConfigError, EncodeFailure, InvalidValue, TelemetryError};
pub use identity::{
    AppVersion, Fingerprint, HostFacts, IdentitySnapshot, InMemoryIdentity, InstallId,
    InstallIdentity, Locale, OsVersion, TimeZoneName,
};
pub use recipient::{Recipient, VendorMetadata, endpoint_host};
pub use record::SERVICE_NAME;
pub use sink::{HeartbeatPreview, ShutdownReport, SinkState, Telemetry, TelemetryStatus};
pub use stats::{EVENTS_TOTAL, LastError, Outcome, QUEUE_DEPTH, describe_metrics};
