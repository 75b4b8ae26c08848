//! An installation's config and consent store, for any self-hosted Rust
//! application: one small
//! document (`installation.json` by default) holding the installation's
//! random identity (install id and telemetry salt), whether first-run setup
//! is done, the base and detailed consent choices with who made them and
//! when, and when the identity was first seen. It is written atomically and
//! durably, one writer at a time, is never silently regenerated when it
//! cannot be read, and answers the consent seam's
//! [`ConsentSource`](tt_consent::ConsentSource) from memory.
//!
//! **This crate depends on no other crate of this workspace except
//! `tt-consent`** (no database, no HTTP, no telemetry): other Rust apps
//! embed it as it is. It reads no environment variable; the app passes the
//! directory and the [`DeployerPolicy`](tt_consent::DeployerPolicy) it read
//! from its own settings at start-up.
//!
//! # Pieces
//!
//! * [`InstallationConfig`] — the document, its validation and JSON form.
//! * [`InstallationBackend`] — where it is kept: [`FileBackend`] here,
//!   [`MemoryBackend`] for tests and throwaway installs, and any backend an
//!   app writes (a database shared by replicas), which can be seeded from an
//!   existing file with [`seed_if_empty`].
//! * [`Installation`] — the live handle: read from memory, change through
//!   the backend, [`refresh`](Installation::refresh) to pick up changes made
//!   by other processes.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use tt_consent::{ConsentLevel, ConsentSource, DeployerPolicy, Reason};
//! use tt_installation::{Installation, InstallationError};
//!
//! let dir = tempfile::tempdir()?;
//! // Read once at start-up by the app from its own settings.
//! let policy = DeployerPolicy::Unset;
//! let install = Arc::new(Installation::open_in_dir(dir.path(), policy, true)?);
//!
//! // Nothing is on until somebody says so.
//! assert!(!install.allows(ConsentLevel::Base));
//! assert_eq!(install.effective(ConsentLevel::Base).reason, Reason::NeverAsked);
//!
//! // First-run setup records both answers; unchecked boxes are refusals.
//! install.complete_setup(true, false, "user:1")?;
//! assert!(install.allows(ConsentLevel::Base));
//! assert!(matches!(
//!     install.complete_setup(true, true, "user:1"),
//!     Err(InstallationError::AlreadyComplete { .. })
//! ));
//!
//! // Hand the consent seam to a telemetry sink; withdrawal shows at once.
//! let consent: Arc<dyn ConsentSource> = install.clone();
//! let generation = install.consent_generation();
//! install.set_consent(ConsentLevel::Base, false, "user:1")?;
//! assert!(!consent.allows(ConsentLevel::Base));
//! assert!(install.consent_generation() > generation);
//! assert_eq!(
//!     consent.effective(ConsentLevel::Base).reason.to_string(),
//!     "disabled by user:1"
//! );
//!
//! // The same identity comes back on the next start.
//! let again = Installation::open_in_dir(dir.path(), policy, true)?;
//! assert_eq!(again.install_id(), install.install_id());
//! assert_eq!(again.fingerprint("host-a").len(), 64);
//!
//! // A deployer's hard-off cannot be overridden from a UI.
//! let off = DeployerPolicy::Disabled(tt_consent::DeployerSwitch::new("DO_NOT_TRACK=1"));
//! let locked = Installation::open_in_dir(dir.path(), off, true)?;
//! assert!(matches!(
//!     locked.set_consent(ConsentLevel::Detailed, true, "user:1"),
//!     Err(InstallationError::DeployerDisabled { .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod backend;
mod config;
mod error;
mod file;
mod installation;

pub use backend::{Edit, InstallationBackend, MemoryBackend, SeedOutcome, seed_if_empty};
pub use config::{ConsentDecision, FILE_NAME, InstallationConfig, SCHEMA_VERSION, TelemetrySalt};
pub use error::{InstallationError, RandomUnavailable, StoreError, ValidationError};
pub use file::FileBackend;
pub use installation::{ConsentUpdate, Installation};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
