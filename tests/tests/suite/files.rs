//! What the server writes to disk is its own user's alone: the data and log
//! directories it creates are `0700`; the SQLite database, its WAL, the
//! secret key, `installation.json` and the log files are `0600`.

#[cfg(unix)]
#[test]
fn data_and_log_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = tt_tests::spawn_app();
    // Some traffic, so the WAL and a log line exist.
    app.user("boss", true)
        .post_ok("/api/v1/clients", &tt_tests::json!({"name": "Acme"}), 201);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let data = app.settings.data_dir.clone();
    let logs = app.settings.log_dir.clone();
    assert_eq!(mode(&data), 0o700, "{}", data.display());
    assert_eq!(mode(&logs), 0o700, "{}", logs.display());
    let mut checked = 0;
    for dir in [&data, &logs] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                assert_eq!(mode(&entry.path()), 0o600, "{}", entry.path().display());
                checked += 1;
            }
        }
    }
    let names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.ends_with(".db-wal")), "{names:?}");
    assert!(checked >= 5, "only {checked} files checked: {names:?}");
}
