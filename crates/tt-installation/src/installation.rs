//! The [`Installation`] handle: the current document in memory, changes
//! persisted through a backend, and the consent seam on top.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use tt_consent::{ConsentLevel, ConsentSource, DeployerPolicy, EffectiveConsent};
use uuid::Uuid;

use crate::backend::InstallationBackend;
use crate::config::{ConsentDecision, InstallationConfig, now};
use crate::error::{InstallationError, StoreError};
use crate::file::FileBackend;

/// What [`Installation::change_consent`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentUpdate {
    /// The stored choice already was the one asked for: nothing written.
    Unchanged,
    /// The stored choice was replaced; `from` is what it was (`None`:
    /// never decided).
    Changed {
        /// The stored choice before.
        from: Option<bool>,
    },
}

/// The live installation: identity, setup state and consent choices.
///
/// Reads ([`snapshot`](Self::snapshot), [`effective`](ConsentSource::effective),
/// [`fingerprint`](Self::fingerprint)) come from memory under a read lock and
/// never do IO. Changes are read-modify-write on the backend's *stored*
/// document under its writer lock, so a change made by another process is
/// never overwritten; the in-memory copy is then replaced. Share one handle
/// through an `Arc`.
pub struct Installation {
    backend: Box<dyn InstallationBackend>,
    policy: DeployerPolicy,
    sink_configured: bool,
    current: RwLock<InstallationConfig>,
    consent_generation: AtomicU64,
    /// Which levels are allowed now (bit 0 base, bit 1 detailed), written
    /// with every change of `current` under its write lock: the telemetry
    /// sink asks on every tracked event, and one atomic load answers.
    allowed: AtomicU8,
    /// Keeps in-memory replacements in the same order as the stored writes.
    writer: Mutex<()>,
}

impl Installation {
    /// Loads the document from `backend`, creating and storing a fresh
    /// identity if there is none. A document that exists but cannot be
    /// read is an error: it is never replaced.
    ///
    /// `policy` is what the deployer decided (read by the app from its own
    /// settings); `sink_configured` says whether a
    /// telemetry endpoint is configured. Both are fixed for the handle's life.
    pub fn open(
        backend: impl InstallationBackend + 'static,
        policy: DeployerPolicy,
        sink_configured: bool,
    ) -> Result<Self, InstallationError> {
        // A plain read first: an existing install needs no lock and works
        // on a read-only volume.
        let doc = match backend.load()? {
            Some(doc) => doc,
            None => {
                let fresh = InstallationConfig::generate()?;
                // Create-if-absent inside `update`, so two first starts
                // racing on the same store end up with one identity.
                let stored = backend.update(&mut |current| match current {
                    Some(_) => None,
                    None => Some(fresh.clone()),
                })?;
                stored.ok_or_else(|| InstallationError::Missing {
                    location: backend.describe(),
                })?
            }
        };
        Ok(Installation {
            backend: Box::new(backend),
            policy,
            sink_configured,
            allowed: AtomicU8::new(allowed_levels(&doc, policy, sink_configured)),
            current: RwLock::new(doc),
            consent_generation: AtomicU64::new(0),
            writer: Mutex::new(()),
        })
    }

    /// [`open`](Self::open) with a [`FileBackend`] for
    /// `<dir>/installation.json`.
    pub fn open_in_dir(
        dir: impl AsRef<Path>,
        policy: DeployerPolicy,
        sink_configured: bool,
    ) -> Result<Self, InstallationError> {
        Self::open(FileBackend::new(dir), policy, sink_configured)
    }

    /// A copy of the current document.
    pub fn snapshot(&self) -> InstallationConfig {
        self.read().clone()
    }

    /// The current install id.
    pub fn install_id(&self) -> Uuid {
        self.read().install_id
    }

    /// Whether first-run setup has been completed.
    pub fn is_setup_complete(&self) -> bool {
        self.read().setup_complete
    }

    /// The deployer policy given at construction.
    pub fn policy(&self) -> DeployerPolicy {
        self.policy
    }

    /// Whether a telemetry sink is configured (given at construction).
    pub fn sink_configured(&self) -> bool {
        self.sink_configured
    }

    /// Where the document is kept, for messages and the admin page.
    pub fn describe_backend(&self) -> String {
        self.backend.describe()
    }

    /// A number that grows every time a stored consent choice changes in
    /// this handle (by a method here, or picked up by
    /// [`refresh`](Self::refresh)). Starts at 0 for each handle; it is not
    /// persisted. A telemetry sink can compare it to notice a withdrawal
    /// without comparing choices. Once a new value is visible, so are the
    /// choices that caused it.
    pub fn consent_generation(&self) -> u64 {
        self.consent_generation.load(Ordering::SeqCst)
    }

    /// The host fingerprint for `hostname`: see
    /// [`InstallationConfig::fingerprint`].
    pub fn fingerprint(&self, hostname: &str) -> String {
        self.read().fingerprint(hostname)
    }

    /// Records a consent choice for `level` by `decided_by` (e.g. `user:1`),
    /// stamped now, and returns the resulting effective state.
    ///
    /// Granting fails with [`InstallationError::DeployerDisabled`] while the
    /// deployer has switched telemetry off; withdrawing base telemetry fails
    /// with [`InstallationError::DeployerGranted`] while the deployer turned
    /// it on. Nothing is stored then.
    pub fn set_consent(
        &self,
        level: ConsentLevel,
        granted: bool,
        decided_by: &str,
    ) -> Result<EffectiveConsent, InstallationError> {
        self.decide(level, granted, decided_by, false)?;
        Ok(self.effective(level))
    }

    /// Like [`Self::set_consent`], but changes nothing when the stored
    /// choice for `level` already is `granted`, and says what it found: the
    /// stored choice is read and replaced under the backend's writer lock,
    /// so two identical requests (a double click, two replicas) change it
    /// once and each learns what it replaced.
    pub fn change_consent(
        &self,
        level: ConsentLevel,
        granted: bool,
        decided_by: &str,
    ) -> Result<ConsentUpdate, InstallationError> {
        self.decide(level, granted, decided_by, true)
    }

    /// Stores the choice under the writer lock; with `only_if_changed` a
    /// stored choice that already is `granted` is left as it is.
    fn decide(
        &self,
        level: ConsentLevel,
        granted: bool,
        decided_by: &str,
        only_if_changed: bool,
    ) -> Result<ConsentUpdate, InstallationError> {
        let decided_by = actor(decided_by)?;
        if granted {
            self.refuse_if_deployer_disabled(level)?;
        } else {
            self.refuse_if_deployer_granted(level)?;
        }
        self.modify(|doc| {
            let from = doc.consent(level).map(|d| d.granted);
            if only_if_changed && from == Some(granted) {
                return Ok(ConsentUpdate::Unchanged);
            }
            *doc.consent_mut(level) = Some(ConsentDecision {
                granted,
                decided_by: decided_by.clone(),
                decided_at: now(),
            });
            Ok(ConsentUpdate::Changed { from })
        })
    }

    /// Completes first-run setup, recording both consent answers (an
    /// unchecked box is a stored refusal) by `decided_by`.
    ///
    /// Runs once: if setup is already complete this fails with
    /// [`InstallationError::AlreadyComplete`] and changes nothing. Enabling a
    /// level while the deployer switched telemetry off fails with
    /// [`InstallationError::DeployerDisabled`], leaving setup incomplete.
    pub fn complete_setup(
        &self,
        base: bool,
        detailed: bool,
        decided_by: &str,
    ) -> Result<(), InstallationError> {
        let decided_by = actor(decided_by)?;
        self.modify(|doc| {
            if let Some(completed_at) = doc.setup_completed_at {
                return Err(InstallationError::AlreadyComplete { completed_at });
            }
            for (level, granted) in [
                (ConsentLevel::Base, base),
                (ConsentLevel::Detailed, detailed),
            ] {
                if granted {
                    self.refuse_if_deployer_disabled(level)?;
                }
            }
            let at = now();
            for (level, granted) in [
                (ConsentLevel::Base, base),
                (ConsentLevel::Detailed, detailed),
            ] {
                *doc.consent_mut(level) = Some(ConsentDecision {
                    granted,
                    decided_by: decided_by.clone(),
                    decided_at: at,
                });
            }
            doc.setup_complete = true;
            doc.setup_completed_at = Some(at);
            Ok(())
        })
    }

    /// Gives the installation a new random install id, unlinking future
    /// telemetry from past data. Consent choices and the salt are kept;
    /// `first_seen_at` restarts now and `first_seen_sent_at` is cleared, so
    /// the new identity announces itself once and shares no timestamp with
    /// the old one. Returns the new id.
    pub fn rotate_install_id(&self) -> Result<Uuid, InstallationError> {
        let fresh = InstallationConfig::generate()?;
        self.modify(|doc| {
            doc.install_id = fresh.install_id;
            doc.first_seen_at = fresh.first_seen_at;
            doc.first_seen_sent_at = None;
            Ok(fresh.install_id)
        })
    }

    /// Like [`Self::rotate_install_id`], but only while the stored install
    /// id is still `expected` (compared under the write lock, against what
    /// the backend holds now): `Ok(None)`, changing nothing, once another
    /// request or process has replaced it.
    pub fn rotate_install_id_if(&self, expected: Uuid) -> Result<Option<Uuid>, InstallationError> {
        let fresh = InstallationConfig::generate()?;
        self.modify(|doc| {
            if doc.install_id != expected {
                return Ok(None);
            }
            doc.install_id = fresh.install_id;
            doc.first_seen_at = fresh.first_seen_at;
            doc.first_seen_sent_at = None;
            Ok(Some(fresh.install_id))
        })
    }

    /// Records that the telemetry sink delivered `first_seen` for the
    /// current identity at `at`. The first record is kept: calling it again
    /// changes nothing.
    pub fn mark_first_seen_sent(&self, at: DateTime<Utc>) -> Result<(), InstallationError> {
        self.modify(|doc| {
            if doc.first_seen_sent_at.is_none() {
                doc.first_seen_sent_at = Some(at);
            }
            Ok(())
        })
    }

    /// Reloads the document from the backend, so a replica picks up a
    /// change made by another process. Returns whether anything changed.
    /// On error the in-memory document is kept as it was.
    pub fn refresh(&self) -> Result<bool, InstallationError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let doc = self
            .backend
            .load()?
            .ok_or_else(|| InstallationError::Missing {
                location: self.backend.describe(),
            })?;
        Ok(self.replace(doc))
    }

    fn refuse_if_deployer_granted(&self, level: ConsentLevel) -> Result<(), InstallationError> {
        match self.policy {
            DeployerPolicy::BaseGranted(switch) if level == ConsentLevel::Base => {
                Err(InstallationError::DeployerGranted { level, switch })
            }
            _ => Ok(()),
        }
    }

    fn refuse_if_deployer_disabled(&self, level: ConsentLevel) -> Result<(), InstallationError> {
        match self.policy {
            DeployerPolicy::Disabled(switch) => {
                Err(InstallationError::DeployerDisabled { level, switch })
            }
            _ => Ok(()),
        }
    }

    /// Applies `change` to the *stored* document under the backend's
    /// writer lock, stores the result if it differs, and adopts whatever is
    /// stored afterwards (even when `change` refused, since that is still
    /// the freshest state).
    fn modify<T>(
        &self,
        mut change: impl FnMut(&mut InstallationConfig) -> Result<T, InstallationError>,
    ) -> Result<T, InstallationError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut outcome = None;
        let stored = self.backend.update(&mut |current| {
            let Some(current) = current else {
                outcome = Some(Err(InstallationError::Missing {
                    location: self.backend.describe(),
                }));
                return None;
            };
            let mut next = current.clone();
            let result = change(&mut next);
            let write = result.is_ok() && next != *current;
            outcome = Some(result);
            write.then_some(next)
        })?;
        if let Some(doc) = stored {
            self.replace(doc);
        }
        outcome.unwrap_or_else(|| {
            Err(StoreError::Backend {
                backend: self.backend.describe(),
                source: "the backend's update did not call the edit".into(),
            }
            .into())
        })
    }

    /// Swaps in `doc`; bumps the consent generation if a choice changed.
    /// Returns whether anything changed.
    fn replace(&self, doc: InstallationConfig) -> bool {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if *current == doc {
            return false;
        }
        let consent_changed = current.base_consent != doc.base_consent
            || current.detailed_consent != doc.detailed_consent;
        self.allowed.store(
            allowed_levels(&doc, self.policy, self.sink_configured),
            Ordering::SeqCst,
        );
        *current = doc;
        if consent_changed {
            // Still under the write lock: whoever sees the new number and
            // then reads the choices sees the new choices.
            self.consent_generation.fetch_add(1, Ordering::SeqCst);
        }
        true
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, InstallationConfig> {
        self.current.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ConsentSource for Installation {
    fn effective(&self, level: ConsentLevel) -> EffectiveConsent {
        let stored = self
            .read()
            .consent(level)
            .map(ConsentDecision::to_stored_choice);
        EffectiveConsent::resolve(level, self.policy, self.sink_configured, stored.as_ref())
    }

    fn allows(&self, level: ConsentLevel) -> bool {
        self.allowed.load(Ordering::SeqCst) & level_bit(level) != 0
    }
}

fn level_bit(level: ConsentLevel) -> u8 {
    match level {
        ConsentLevel::Base => 1,
        ConsentLevel::Detailed => 2,
    }
}

/// The bit set of levels `doc` allows under `policy`.
fn allowed_levels(doc: &InstallationConfig, policy: DeployerPolicy, sink_configured: bool) -> u8 {
    ConsentLevel::ALL
        .into_iter()
        .filter(|&level| {
            let stored = doc.consent(level).map(ConsentDecision::to_stored_choice);
            EffectiveConsent::resolve(level, policy, sink_configured, stored.as_ref()).enabled
        })
        .map(level_bit)
        .fold(0, |bits, bit| bits | bit)
}

impl fmt::Debug for Installation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installation")
            .field("backend", &self.backend.describe())
            .field("policy", &self.policy)
            .field("sink_configured", &self.sink_configured)
            .field("current", &*self.read())
            .field("consent_generation", &self.consent_generation())
            .finish()
    }
}

/// Trims `decided_by` and refuses a blank one.
fn actor(decided_by: &str) -> Result<String, InstallationError> {
    let trimmed = decided_by.trim();
    if trimmed.is_empty() {
        return Err(InstallationError::BlankDecidedBy);
    }
    Ok(trimmed.to_owned())
}
