//! Opening the installation store: `installation.json` on SQLite, a shared
//! database row on PostgreSQL (seeded from the file when one exists), and the
//! refresh loop that lets replicas see each other's changes.

use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use tt_installation::{
    FileBackend, Installation, InstallationBackend, InstallationConfig, StoreError, seed_if_empty,
};
use tt_persistence::{Backend, PersistenceError, Pool};

use crate::Settings;

/// The installation document kept in the `installation_state` table, so
/// every replica on one PostgreSQL database shares one identity and one
/// consent state.
#[derive(Debug, Clone)]
pub struct DbInstallationBackend {
    pool: Pool,
}

impl DbInstallationBackend {
    /// A backend on `pool`.
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    fn err(&self, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
        StoreError::Backend {
            backend: self.describe(),
            source: Box::new(e),
        }
    }
}

/// Errors inside the locked update: ours or the document's.
enum UpdateError {
    Db(PersistenceError),
    Store(StoreError),
}

impl From<PersistenceError> for UpdateError {
    fn from(e: PersistenceError) -> Self {
        UpdateError::Db(e)
    }
}

impl InstallationBackend for DbInstallationBackend {
    fn load(&self) -> Result<Option<InstallationConfig>, StoreError> {
        let mut conn = self.pool.get().map_err(|e| self.err(e))?;
        let doc = tt_persistence::installation::load(&mut conn).map_err(|e| self.err(e))?;
        doc.map(|d| InstallationConfig::from_json(d.as_bytes(), &self.describe()))
            .transpose()
    }

    fn save(&self, cfg: &InstallationConfig) -> Result<(), StoreError> {
        let json = cfg.to_json(&self.describe())?;
        let text = String::from_utf8(json).map_err(|e| self.err(e))?;
        let mut conn = self.pool.get().map_err(|e| self.err(e))?;
        tt_persistence::installation::save(&mut conn, &text).map_err(|e| self.err(e))
    }

    fn describe(&self) -> String {
        "database table installation_state".into()
    }

    fn update(
        &self,
        edit: &mut tt_installation::Edit<'_>,
    ) -> Result<Option<InstallationConfig>, StoreError> {
        let location = self.describe();
        let mut conn = self.pool.get().map_err(|e| self.err(e))?;
        let stored = tt_persistence::installation::update(&mut conn, |current| {
            let parsed = current
                .map(|d| InstallationConfig::from_json(d.as_bytes(), &location))
                .transpose()
                .map_err(UpdateError::Store)?;
            match edit(parsed.as_ref()) {
                None => Ok(None),
                Some(next) => {
                    next.validate().map_err(|source| {
                        UpdateError::Store(StoreError::Invalid {
                            location: location.clone(),
                            source,
                        })
                    })?;
                    let bytes = next.to_json(&location).map_err(UpdateError::Store)?;
                    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
                }
            }
        })
        .map_err(|e| match e {
            UpdateError::Db(d) => self.err(d),
            UpdateError::Store(s) => s,
        })?;
        stored
            .map(|d| InstallationConfig::from_json(d.as_bytes(), &location))
            .transpose()
    }
}

/// Opens the installation store for this configuration.
pub fn open_installation(
    settings: &Settings,
    pool: &Pool,
    sink: bool,
) -> anyhow::Result<Arc<Installation>> {
    let policy = settings.deployer_policy();
    let dir = settings.installation_dir();
    let installation = match pool.backend() {
        Backend::Sqlite => {
            refuse_a_lost_identity(&FileBackend::new(&dir), pool)?;
            Installation::open_in_dir(&dir, policy, sink)
        }
        Backend::Postgres => {
            let db = DbInstallationBackend::new(pool.clone());
            let file = FileBackend::new(&dir);
            if file.path().exists() {
                seed_if_empty(&file, &db)
                    .context("cannot seed the database from installation.json")?;
            }
            Installation::open(db, policy, sink)
        }
    }
    .context("cannot open the installation store")?;
    Ok(Arc::new(installation))
}

/// A missing `installation.json` next to a database that already has
/// accounts means the identity and the consent choices were lost (a
/// restore without it, a wrong `INSTALLATION_CONFIG_DIR`): making a new
/// one silently would change the install id and re-open setup. Refuse, and
/// say how to recover.
fn refuse_a_lost_identity(file: &FileBackend, pool: &Pool) -> anyhow::Result<()> {
    if file.path().exists() {
        return Ok(());
    }
    let mut conn = pool.get()?;
    if tt_persistence::users::count(&mut conn)? == 0 {
        return Ok(());
    }
    anyhow::bail!(
        "{} is missing, but the database already has accounts: the install id and the consent \
         choices would be lost. Restore the file from a backup (or point INSTALLATION_CONFIG_DIR \
         at it), or run `timetracker installation recover` to make a new install id with setup \
         complete and both telemetry levels off.",
        file.path().display()
    )
}

/// `timetracker installation recover`: after `installation.json` was lost,
/// a new one with a new install id, setup complete and both consent levels
/// off. Refuses when there is nothing to recover.
pub fn recover(settings: &Settings) -> anyhow::Result<Arc<Installation>> {
    let pool = crate::open_database(settings)?;
    if pool.backend() == Backend::Postgres {
        anyhow::bail!(
            "on PostgreSQL the installation lives in the database; there is no file to recover"
        );
    }
    let dir = settings.installation_dir();
    let file = FileBackend::new(&dir);
    if file.path().exists() {
        anyhow::bail!(
            "{} exists; there is nothing to recover",
            file.path().display()
        );
    }
    let sink = crate::telemetry::telemetry_config(settings)?.sink_configured();
    let installation = Installation::open_in_dir(&dir, settings.deployer_policy(), sink)
        .context("cannot create the installation store")?;
    installation
        .complete_setup(false, false, "installation-recover")
        .context("cannot record setup as complete")?;
    Ok(Arc::new(installation))
}

/// Re-reads the shared state every `every` so a change made by another
/// replica (or process) is seen within that time. Stops when the
/// installation is dropped.
pub fn spawn_refresh(installation: &Arc<Installation>, every: Duration) {
    let weak: Weak<Installation> = Arc::downgrade(installation);
    let every = every.max(Duration::from_millis(100));
    let _ = std::thread::Builder::new().name("tt-installation-refresh".into()).spawn(move || {
        loop {
            std::thread::sleep(every);
            let Some(inst) = weak.upgrade() else { break };
            if let Err(e) = inst.refresh() {
                tracing::warn!(error = %format!("{e:#}"), "cannot refresh the installation state");
            }
        }
    });
}

/// This machine's hostname, for the fingerprint only.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}
