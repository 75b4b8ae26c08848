//! The crate's errors: one enum for storage, one for validation, one for the
//! [`Installation`](crate::Installation) handle.

use std::io;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tt_consent::{ConsentLevel, DeployerSwitch};
use uuid::Uuid;

/// What an operator should do about a document that cannot be loaded.
const RECOVER: &str = "Restore it from a backup, or move it away to create a new installation \
     identity (this changes the install id and resets every consent choice)";

/// Loading or saving the installation document failed.
///
/// Every variant about a stored document names where it lives (the full file
/// path for [`FileBackend`](crate::FileBackend)), and the ones an operator
/// has to act on say what to do. The underlying cause is kept as the error's
/// [`source`](std::error::Error::source), not repeated in the message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file exists but could not be read (permissions, a directory in
    /// its place, an IO error).
    #[error(
        "cannot read the installation config {}. Check that it is a regular file readable by \
         the server's user; if it is damaged, restore it from a backup, or move it away to \
         create a new installation identity (this changes the install id and resets every \
         consent choice)",
        path.display()
    )]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },

    /// The document exists but is empty (or only whitespace).
    #[error("the installation config {location} is empty. {RECOVER}")]
    Empty {
        /// Where the document lives.
        location: String,
    },

    /// The document is not UTF-8 text.
    #[error("the installation config {location} is not UTF-8 text. {RECOVER}")]
    NotUtf8 {
        /// Where the document lives.
        location: String,
        /// Where decoding failed.
        #[source]
        source: std::str::Utf8Error,
    },

    /// The document is not JSON of the expected shape: truncated, corrupt,
    /// a wrong type or a missing field.
    #[error("the installation config {location} is corrupt or truncated. {RECOVER}")]
    Malformed {
        /// Where the document lives.
        location: String,
        /// What the JSON parser said, with line and column.
        #[source]
        source: serde_json::Error,
    },

    /// The document parsed but breaks a rule (see [`ValidationError`]).
    #[error("the installation config {location} is invalid. {RECOVER}")]
    Invalid {
        /// Where the document lives.
        location: String,
        /// The rule it breaks.
        #[source]
        source: ValidationError,
    },

    /// The document was written by a newer version of the application.
    #[error(
        "the installation config {location} has schema version {found}, but this build only \
         understands up to {supported}. Upgrade the application, or restore the file from a backup \
         made by this version"
    )]
    UnsupportedSchema {
        /// Where the document lives.
        location: String,
        /// The version found in the document.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },

    /// The document could not be turned into JSON (it cannot happen for
    /// [`InstallationConfig`](crate::InstallationConfig), but serde's API is
    /// fallible).
    #[error("cannot encode the installation config for {location}")]
    Encode {
        /// Where the document was going.
        location: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },

    /// Writing, syncing or renaming failed; the previous document is intact.
    #[error("cannot write the installation config: {} failed", path.display())]
    Write {
        /// The file or directory the failing step was working on.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },

    /// The lock that serialises writers could not be taken.
    #[error("cannot lock {} to write the installation config", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },

    /// A backend implemented outside this crate failed (a database, say).
    #[error("the installation config backend {backend} failed")]
    Backend {
        /// The backend's [`describe`](crate::InstallationBackend::describe).
        backend: String,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// A rule an [`InstallationConfig`](crate::InstallationConfig) breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// `schema_version` is not the one this build writes.
    #[error("schema_version is {found}, expected {expected}")]
    SchemaVersion {
        /// The version in the document.
        found: u32,
        /// The version this build writes.
        expected: u32,
    },

    /// `install_id` is not a random (version 4, RFC 4122) UUID.
    #[error("install_id {found} is not a random (version 4) UUID")]
    InstallIdNotRandom {
        /// The id in the document.
        found: Uuid,
    },

    /// `telemetry_salt` does not have 64 characters.
    #[error("telemetry_salt must be 64 hex characters, found {found}")]
    SaltLength {
        /// The number of characters found.
        found: usize,
    },

    /// `telemetry_salt` has a character that is not `0-9` or `a-f`.
    #[error("telemetry_salt must contain only lower-case hex digits (0-9, a-f)")]
    SaltNotLowerHex,

    /// `setup_complete` and `setup_completed_at` disagree.
    #[error(
        "setup_complete is {setup_complete} but setup_completed_at is {}",
        if *setup_complete { "null" } else { "set" }
    )]
    SetupStateInconsistent {
        /// The value of `setup_complete`.
        setup_complete: bool,
    },

    /// A consent decision does not say who made it.
    #[error("{level} consent has an empty decided_by")]
    BlankDecidedBy {
        /// The level whose decision is anonymous.
        level: ConsentLevel,
    },
}

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed; cannot create a new installation identity")]
pub struct RandomUnavailable;

/// An operation on an [`Installation`](crate::Installation) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallationError {
    /// Loading or saving the document failed.
    #[error(transparent)]
    Store(#[from] StoreError),

    /// A fresh identity could not be generated.
    #[error(transparent)]
    Random(#[from] RandomUnavailable),

    /// The deployer switched telemetry off, so no level can be enabled.
    #[error(
        "{level} telemetry cannot be enabled: the deployer switched telemetry off ({}). \
         Remove that setting and restart to allow it",
        switch.as_str()
    )]
    DeployerDisabled {
        /// The level somebody tried to enable.
        level: ConsentLevel,
        /// The deployer's setting in force.
        switch: DeployerSwitch,
    },

    /// The deployer turned this level on (base telemetry for an unattended
    /// install), so withdrawing it here would change nothing that is sent.
    #[error(
        "{level} telemetry cannot be turned off here: the deployer turned it on ({}). \
         Remove that setting and restart the server to decide here",
        switch.as_str()
    )]
    DeployerGranted {
        /// The level somebody tried to withdraw.
        level: ConsentLevel,
        /// The deployer's setting in force.
        switch: DeployerSwitch,
    },

    /// Setup was already completed; nothing was changed.
    #[error("setup is already complete (since {completed_at})")]
    AlreadyComplete {
        /// When it was completed.
        completed_at: DateTime<Utc>,
    },

    /// `decided_by` was empty or only whitespace.
    #[error("a consent decision must say who made it (e.g. `user:1`), but decided_by was blank")]
    BlankDecidedBy,

    /// The document disappeared from the backend after start-up.
    #[error(
        "the installation config {location} has disappeared. Restore it from a backup; \
         the application will not silently create a new identity while running"
    )]
    Missing {
        /// Where the document used to be.
        location: String,
    },
}
