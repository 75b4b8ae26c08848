//! Files and directories only the server's own user may read: data and log
//! directories are created `0700`, the SQLite database `0600` (SQLite gives
//! its `-wal` and `-shm` files the database file's mode), log files `0600`.
//! Directories the operator made beforehand keep the mode they chose.

use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents; those it creates are `0700`.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates `file` empty with mode `0600` if it does not exist yet, so that
/// whatever opens it later (SQLite) does not create it with the umask's.
pub fn create_file(file: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(file).map(drop)
}

/// Makes the regular files directly in `dir` whose names satisfy `ours`
/// readable by the owner only.
pub fn restrict_files(dir: &Path, ours: impl Fn(&str) -> bool) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let is_file = entry.file_type()?.is_file();
            if is_file && name.to_str().is_some_and(&ours) {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, ours);
    Ok(())
}
