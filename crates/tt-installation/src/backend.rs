//! Where the installation document is kept: the [`InstallationBackend`]
//! trait, an in-memory implementation, and seeding one backend from another.

use std::sync::{Arc, Mutex, PoisonError};

use crate::config::InstallationConfig;
use crate::error::StoreError;

/// An edit applied by [`InstallationBackend::update`]: given the stored
/// document (`None` if there is none), returns the document to store, or
/// `None` to leave the store as it is.
pub type Edit<'a> = dyn FnMut(Option<&InstallationConfig>) -> Option<InstallationConfig> + 'a;

/// Somewhere the installation document can be kept.
///
/// [`FileBackend`](crate::FileBackend) keeps it in `installation.json`;
/// an app can keep it elsewhere (a database shared by replicas, say) by
/// implementing this trait in its own crate. Implementations should decode
/// with [`InstallationConfig::from_json`] and encode with
/// [`InstallationConfig::to_json`] (or at least call
/// [`InstallationConfig::validate`] before storing), so that every store
/// applies the same rules, and must never replace a document they cannot
/// read with a fresh one.
///
/// # Example: a backend written outside this crate
///
/// ```
/// use std::sync::Mutex;
/// use tt_installation::{Edit, InstallationBackend, InstallationConfig, StoreError};
///
/// /// Keeps the JSON text in a single "row", as a database backend would.
/// #[derive(Debug, Default)]
/// struct OneRow(Mutex<Option<Vec<u8>>>);
///
/// impl InstallationBackend for OneRow {
///     fn load(&self) -> Result<Option<InstallationConfig>, StoreError> {
///         let row = self.0.lock().unwrap();
///         row.as_deref()
///             .map(|bytes| InstallationConfig::from_json(bytes, &self.describe()))
///             .transpose()
///     }
///
///     fn save(&self, cfg: &InstallationConfig) -> Result<(), StoreError> {
///         let bytes = cfg.to_json(&self.describe())?;
///         *self.0.lock().unwrap() = Some(bytes);
///         Ok(())
///     }
///
///     // A real database backend would override `update` to run in one
///     // transaction (`SELECT ... FOR UPDATE`); the default is fine here.
///
///     fn describe(&self) -> String {
///         "table installation_config, row 1".into()
///     }
/// }
///
/// let row = OneRow::default();
/// assert!(row.load()?.is_none());
/// let cfg = InstallationConfig::generate()?;
/// row.save(&cfg)?;
/// assert_eq!(row.load()?, Some(cfg));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait InstallationBackend: Send + Sync {
    /// The stored document, or `None` if none was ever stored. A document
    /// that exists but cannot be read or decoded is an error, never `None`.
    fn load(&self) -> Result<Option<InstallationConfig>, StoreError>;

    /// Replaces the stored document, atomically: a reader sees the old
    /// document or the new one, never a mix.
    fn save(&self, cfg: &InstallationConfig) -> Result<(), StoreError>;

    /// Where the document lives, for messages: a full file path, a table.
    fn describe(&self) -> String;

    /// Read-modify-write: calls `edit` exactly once with the stored
    /// document and stores what it returns, if anything. Returns the
    /// document stored afterwards.
    ///
    /// Backends that can should run this under one exclusive lock or
    /// transaction, so two writers (in one process or several) cannot lose
    /// each other's changes and two first starts cannot create two
    /// identities. The default is a plain [`load`](Self::load) then
    /// [`save`](Self::save), which is only safe with a single writer.
    fn update(&self, edit: &mut Edit<'_>) -> Result<Option<InstallationConfig>, StoreError> {
        let current = self.load()?;
        match edit(current.as_ref()) {
            Some(next) => {
                self.save(&next)?;
                Ok(Some(next))
            }
            None => Ok(current),
        }
    }
}

impl<T: InstallationBackend + ?Sized> InstallationBackend for Arc<T> {
    fn load(&self) -> Result<Option<InstallationConfig>, StoreError> {
        (**self).load()
    }
    fn save(&self, cfg: &InstallationConfig) -> Result<(), StoreError> {
        (**self).save(cfg)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn update(&self, edit: &mut Edit<'_>) -> Result<Option<InstallationConfig>, StoreError> {
        (**self).update(edit)
    }
}

impl<T: InstallationBackend + ?Sized> InstallationBackend for Box<T> {
    fn load(&self) -> Result<Option<InstallationConfig>, StoreError> {
        (**self).load()
    }
    fn save(&self, cfg: &InstallationConfig) -> Result<(), StoreError> {
        (**self).save(cfg)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn update(&self, edit: &mut Edit<'_>) -> Result<Option<InstallationConfig>, StoreError> {
        (**self).update(edit)
    }
}

/// A backend that keeps the document in memory only: for tests of other
/// crates and for apps that want no persistent identity. Every process
/// start is a new installation.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    doc: Mutex<Option<InstallationConfig>>,
}

impl MemoryBackend {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that already holds `cfg`.
    pub fn with(cfg: InstallationConfig) -> Self {
        MemoryBackend {
            doc: Mutex::new(Some(cfg)),
        }
    }
}

impl InstallationBackend for MemoryBackend {
    fn load(&self) -> Result<Option<InstallationConfig>, StoreError> {
        Ok(self
            .doc
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    fn save(&self, cfg: &InstallationConfig) -> Result<(), StoreError> {
        cfg.validate().map_err(|source| StoreError::Invalid {
            location: self.describe(),
            source,
        })?;
        *self.doc.lock().unwrap_or_else(PoisonError::into_inner) = Some(cfg.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        "memory (not persisted)".into()
    }

    fn update(&self, edit: &mut Edit<'_>) -> Result<Option<InstallationConfig>, StoreError> {
        let mut doc = self.doc.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(next) = edit(doc.as_ref()) {
            next.validate().map_err(|source| StoreError::Invalid {
                location: self.describe(),
                source,
            })?;
            *doc = Some(next);
        }
        Ok(doc.clone())
    }
}

/// What [`seed_if_empty`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The target already had a document; nothing was copied.
    TargetAlreadySet,
    /// The source's document was copied into the empty target.
    Copied,
    /// Both were empty; nothing was copied.
    SourceEmpty,
}

/// Copies the document from `source` into `target` if `target` has none,
/// keeping the identity and consent of an existing install when moving to a
/// new backend (e.g. seeding a database from `installation.json`).
///
/// The copy happens inside `target.update`, so two processes seeding at
/// once copy at most once. An unreadable source is an error, as it would be
/// at start-up. The source is left as it is.
pub fn seed_if_empty(
    source: &dyn InstallationBackend,
    target: &dyn InstallationBackend,
) -> Result<SeedOutcome, StoreError> {
    let seed = source.load()?;
    let mut outcome = SeedOutcome::TargetAlreadySet;
    target.update(&mut |current| {
        if current.is_some() {
            outcome = SeedOutcome::TargetAlreadySet;
            return None;
        }
        outcome = if seed.is_some() {
            SeedOutcome::Copied
        } else {
            SeedOutcome::SourceEmpty
        };
        seed.clone()
    })?;
    Ok(outcome)
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn seeding_copies_once_and_never_overwrites() {
        let file_doc = InstallationConfig::generate().expect("rng");
        let source = MemoryBackend::with(file_doc.clone());
        let target = MemoryBackend::new();
        assert_eq!(
            seed_if_empty(&source, &target).expect("seed"),
            SeedOutcome::Copied
        );
        assert_eq!(target.load().expect("load"), Some(file_doc.clone()));

        let other = MemoryBackend::with(InstallationConfig::generate().expect("rng"));
        assert_eq!(
            seed_if_empty(&other, &target).expect("seed"),
            SeedOutcome::TargetAlreadySet
        );
        assert_eq!(target.load().expect("load"), Some(file_doc));

        let empty_target = MemoryBackend::new();
        assert_eq!(
            seed_if_empty(&MemoryBackend::new(), &empty_target).expect("seed"),
            SeedOutcome::SourceEmpty
        );
        assert_eq!(empty_target.load().expect("load"), None);
    }

    #[test]
    fn memory_backend_refuses_invalid_documents() {
        let mut cfg = InstallationConfig::generate().expect("rng");
        cfg.setup_complete = true;
        let backend = MemoryBackend::new();
        assert!(matches!(
            backend.save(&cfg),
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(backend.load().expect("load"), None);
    }
}
