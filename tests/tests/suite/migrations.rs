//! Migrations bring an empty database to the schema; running them twice is
//! a no-op.

use tt_tests::{Db, PgDatabase, postgres_base_url};

fn migrate_twice(url: &str) {
    let mut conn = tt_persistence::establish(url).unwrap();
    let first = tt_persistence::run_migrations(&mut conn).unwrap();
    assert!(first >= 1);
    assert_eq!(tt_persistence::run_migrations(&mut conn).unwrap(), 0);
    // The schema is usable: the timer index exists and works.
    assert_eq!(
        tt_persistence::entries::count_running(&mut conn).unwrap(),
        0
    );
    assert_eq!(tt_persistence::users::count(&mut conn).unwrap(), 0);
}

#[test]
fn sqlite_fresh_database_migrates_once() {
    let dir = tempfile::tempdir().unwrap();
    migrate_twice(&format!("sqlite://{}", dir.path().join("t.db").display()));
    let _ = Db::Sqlite;
}

#[test]
fn postgres_fresh_database_migrates_once() {
    let Some(base) = postgres_base_url() else {
        return;
    };
    let db = PgDatabase::create(&base);
    migrate_twice(&db.url);
}
