//! `timetracker privacy …`: a user's data export, and erasing local logs.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::Settings;

/// Writes everything stored about `username` (JSON, or CSV of entries) to
/// `output`, or to standard output.
pub fn export(
    settings: &Settings,
    username: &str,
    csv: bool,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let app = crate::open_app(settings)?;
    let data = tt_app::export::by_operator(&app, username).map_err(|e| match e {
        tt_app::AppError::NotFound => anyhow::anyhow!("no user named {username:?}"),
        other => anyhow::anyhow!("{other}"),
    })?;
    let bytes = if csv {
        tt_http::export::render_csv(&data)
    } else {
        tt_http::export::render_json(&data)
    }
    .map_err(|e| anyhow::anyhow!("cannot render the export: {e}"))?;
    match output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} bytes to {}", bytes.len(), path.display());
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

/// Whether a file in the log directory is one of ours: the daily files
/// `app.YYYY-MM-DD.jsonl` and the `app.jsonl` link to the newest.
pub(crate) fn is_log_file_name(name: &str) -> bool {
    name == "app.jsonl" || (name.starts_with("app.") && name.ends_with(".jsonl"))
}

/// The log files `erase-logs` would remove: `app.jsonl` and its rotations.
pub fn log_files(log_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(log_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", log_dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() || p.is_symlink())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_log_file_name)
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Removes the local log files after confirmation (`yes` skips it; without a
/// terminal to ask on, `yes` is required).
pub fn erase_logs(settings: &Settings, yes: bool) -> anyhow::Result<()> {
    let files = log_files(&settings.log_dir)?;
    if files.is_empty() {
        println!("no log files in {}", settings.log_dir.display());
        return Ok(());
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "refusing to erase {} log file(s) without --yes (no terminal to confirm on)",
                files.len()
            );
        }
        eprint!(
            "erase {} log file(s) in {}? type 'yes' to confirm: ",
            files.len(),
            settings.log_dir.display()
        );
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            bail!("not confirmed; nothing erased");
        }
    }
    for (i, f) in files.iter().enumerate() {
        std::fs::remove_file(f).with_context(|| format!("cannot remove {}", f.display()))?;
        eprintln!("[{}/{}] removed {}", i + 1, files.len(), f.display());
    }
    println!("erased {} log file(s)", files.len());
    Ok(())
}
