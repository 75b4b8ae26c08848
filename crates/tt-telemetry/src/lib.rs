//! Opt-in product telemetry for any Rust application: declare the events
//! your application may send, and this crate records them without ever
//! blocking or failing the caller, checks consent when an event is recorded
//! and again right before it is sent, and ships OTLP logs over HTTP (built
//! on `opentelemetry_sdk` and `opentelemetry-otlp`) with batching,
//! timeouts, retries and counters. It also sends the installation's own
//! *base* events — a one-time `first_seen` and a periodic heartbeat — and,
//! when an administrator asks, a deletion request.
//!
//! Privacy is structural: an event property can only be an internal id, a
//! count, a boolean, a duration or one value of a list in the application's
//! [`Catalog`] ([`Property`], [`PropertyValue`]); no API takes text at run
//! time, and the sink checks the catalog when it starts, so every string
//! that can reach a receiver is a word the catalog lists — names, e-mails,
//! notes, concrete paths and hostnames have no way in. Consent comes
//! from a [`tt_consent::ConsentSource`] the application implements; the
//! installation's identity from an [`InstallIdentity`]. The resource
//! carries only `service.name` and `service.version`. The crate reads no
//! environment variable and no file: it is configured by a
//! [`TelemetryConfig`] value.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use tt_consent::{ConsentLevel, ConsentSource, DeployerPolicy, EffectiveConsent};
//! use tt_telemetry::values::DeploymentType;
//! use tt_telemetry::{
//!     AppVersion, Catalog, Category, Count, HostFacts, InMemoryIdentity, Outcome, Telemetry,
//!     TelemetryConfig, UserId,
//! };
//!
//! const NOTES: Category = Category::new("notes", "Notes");
//!
//! tt_telemetry::events! {
//!     /// What happens in the notes app.
//!     pub enum Event {
//!         /// A note was saved.
//!         NoteSaved = "note.saved", NOTES, Detailed {
//!             /// How many words it has.
//!             words: Count,
//!         }
//!     }
//! }
//!
//! static CATALOG: Catalog = Catalog {
//!     app_name: "Notes",
//!     service_name: "notes",
//!     schema_version: 1,
//!     categories: &[NOTES],
//!     events: Event::EVENTS,
//!     notes: "",
//! };
//!
//! /// Nobody opted in.
//! struct NeverAsked;
//! impl ConsentSource for NeverAsked {
//!     fn effective(&self, level: ConsentLevel) -> EffectiveConsent {
//!         EffectiveConsent::resolve(level, DeployerPolicy::Unset, true, None)
//!     }
//! }
//!
//! let mut config = TelemetryConfig::new(&CATALOG, AppVersion::parse("1.4.2")?);
//! config.endpoint = Some("http://127.0.0.1:4318".into()); // `/v1/logs` is appended
//! let identity = InMemoryIdentity::generate(
//!     "server-hostname",        // hashed with the salt; never sent or kept
//!     "0123456789abcdef",
//!     HostFacts::detect(DeploymentType::Native),
//! );
//! let telemetry = Telemetry::new(config, Arc::new(NeverAsked), Arc::new(identity))?;
//!
//! // In a request handler: returns at once, whatever the sink is doing.
//! telemetry.track(Event::NoteSaved { words: Count::new(12) }, Some(UserId::new(1)));
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
//! // The catalog, for the docs and the admin page.
//! assert_eq!(CATALOG.len(), 4); // three base events and ours
//! assert!(CATALOG.markdown().contains("`note.saved`"));
//!
//! let report = telemetry.shutdown(); // bounded by config.shutdown_timeout
//! assert!(report.completed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A complete program, with a consent store on disk and a receiver, is in
//! `examples/embed` of the repository.
//!
//! # Wiring it into an application
//!
//! 1. Declare the events with [`events!`] (and enumerations with
//!    [`closed_enum!`]) and a [`Catalog`] listing them; commit
//!    [`Catalog::json`] and bump the schema version when
//!    [`Catalog::fingerprint`] changes.
//! 2. Install a `metrics` recorder if you want counters, then call
//!    [`describe_metrics`].
//! 3. Build a [`TelemetryConfig`] from your own settings, an
//!    `Arc<dyn ConsentSource>` and an `Arc<dyn InstallIdentity>`, and call
//!    [`Telemetry::new`]; keep the handle (it is `Clone`).
//! 4. Call [`Telemetry::track`] where each action happens.
//! 5. On every consent change call [`Telemetry::consent_changed`]; after an
//!    install-id rotation call [`Telemetry::identity_changed`].
//! 6. Show [`Telemetry::status`] and [`Telemetry::preview_heartbeat`] to
//!    the administrator.
//! 7. Call [`Telemetry::shutdown`] before exit.

#![warn(missing_docs)]

mod base;
mod catalog;
mod config;
mod deletion;
mod error;
mod event;
mod identity;
mod recipient;
mod record;
mod sink;
mod stats;
mod transport;
pub mod values;
mod worker;

pub use base::{DELETION_REQUEST, FIRST_SEEN, HEARTBEAT};
pub use catalog::Catalog;
pub use config::{Protocol, RetrySettings, TelemetryConfig};
pub use deletion::send_deletion_request;
pub use error::{ConfigError, EncodeFailure, InvalidValue, TelemetryError};
#[doc(hidden)]
pub use event::__private;
pub use event::{
    AppEvent, Category, Count, DurationSecs, ENVELOPE_ATTRIBUTES, EventDescriptor, Id,
    MAX_PROPERTIES, Properties, Property, PropertyDescriptor, PropertyKind, PropertyValue, UserId,
    WireValue,
};
pub use identity::{
    AppVersion, Fingerprint, HostFacts, IdentitySnapshot, InMemoryIdentity, InstallId,
    InstallIdentity, Locale, OsVersion, TimeZoneName,
};
pub use recipient::{Recipient, VendorMetadata, endpoint_host};
pub use secrecy::SecretString;
pub use sink::{HeartbeatPreview, ShutdownReport, SinkState, Telemetry, TelemetryStatus};
pub use stats::{EVENTS_TOTAL, LastError, Outcome, QUEUE_DEPTH, describe_metrics};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
