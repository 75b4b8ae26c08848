//! The file backend: `installation.json` in a directory, written atomically
//! and durably, one writer at a time.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::backend::{Edit, InstallationBackend};
use crate::config::{FILE_NAME, InstallationConfig};
use crate::error::StoreError;

/// Keeps the document in `<dir>/installation.json`.
///
/// * **Atomic and durable writes:** the new document goes to
///   `installation.json.tmp` in the same directory, is fsynced, renamed over
///   `installation.json`, and the directory is fsynced. A crash or `kill -9`
///   at any moment leaves the old file or the new one, never a torn one, and
///   readers (which take no lock) see one or the other.
/// * **One writer at a time:** a mutex within the process, and an exclusive
///   lock on `installation.json.lock` across processes (advisory, via
///   [`File::lock`](std::fs::File::lock)). The lock file is left in place; it is empty.
/// * **No silent regeneration:** a file that is present but empty, corrupt
///   or unreadable is an error naming its full path.
///
/// Files are created with mode `0600` on Unix: the salt is a secret.
#[derive(Debug)]
pub struct FileBackend {
    dir: PathBuf,
    path: PathBuf,
    tmp_path: PathBuf,
    lock_path: PathBuf,
    writer: Mutex<()>,
}

impl FileBackend {
    /// A backend for `<dir>/installation.json`. A relative `dir` is made
    /// absolute against the current directory now, so messages name the
    /// full path. Nothing is touched until the first load or save; the
    /// directory is created on the first save if needed.
    pub fn new(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        FileBackend {
            path: dir.join(FILE_NAME),
            tmp_path: dir.join(format!("{FILE_NAME}.tmp")),
            lock_path: dir.join(format!("{FILE_NAME}.lock")),
            dir,
            writer: Mutex::new(()),
        }
    }

    /// The document's full path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file writers take (`installation.json.lock`).
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// Runs `f` while holding both the in-process and the cross-process
    /// writer locks.
    fn with_write_lock<T>(
        &self,
        f: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _in_process = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        private_dir_builder()
            .create(&self.dir)
            .map_err(|source| StoreError::Write {
                path: self.dir.clone(),
                source,
            })?;
        let lock_err = |source| StoreError::Lock {
            path: self.lock_path.clone(),
            source,
        };
        let lock_file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(lock_err)?;
        // Released when `lock_file` is dropped, including when the process dies.
        lock_file.lock().map_err(lock_err)?;
        f()
    }

    /// Replaces the file. Callers hold the writer locks.
    fn write_atomically(&self, bytes: &[u8]) -> Result<(), StoreError> {
        let failed = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Write { path, source }
        };
        let mut tmp = private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.tmp_path)
            .map_err(failed(&self.tmp_path))?;
        tmp.write_all(bytes).map_err(failed(&self.tmp_path))?;
        tmp.sync_all().map_err(failed(&self.tmp_path))?;
        drop(tmp);
        fs::rename(&self.tmp_path, &self.path).map_err(failed(&self.path))?;
        sync_dir(&self.dir).map_err(failed(&self.dir))
    }
}

impl InstallationBackend for FileBackend {
    fn load(&self) -> Result<Option<InstallationConfig>, StoreError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        InstallationConfig::from_json(&bytes, &self.describe()).map(Some)
    }

    fn save(&self, cfg: &InstallationConfig) -> Result<(), StoreError> {
        let bytes = cfg.to_json(&self.describe())?;
        self.with_write_lock(|| self.write_atomically(&bytes))
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn update(&self, edit: &mut Edit<'_>) -> Result<Option<InstallationConfig>, StoreError> {
        self.with_write_lock(|| {
            let current = self.load()?;
            match edit(current.as_ref()) {
                Some(next) => {
                    let bytes = next.to_json(&self.describe())?;
                    self.write_atomically(&bytes)?;
                    Ok(Some(next))
                }
                None => Ok(current),
            }
        })
    }
}

/// Directories the store creates are its owner's alone (`0700`).
fn private_dir_builder() -> fs::DirBuilder {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
}

fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Windows cannot open a directory as a file; NTFS journals the rename.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
