//! The schema's invariants and the transactions the application relies on,
//! each on SQLite and on PostgreSQL (a fresh database per test; skipped
//! loudly without `TEST_DATABASE_URL`, a failure under CI).

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use tt_domain::UserId;
use tt_persistence::{DbConnection, PersistenceError, Pool};
use tt_testkit::PgDatabase;

/// A fresh database of each backend, migrated: SQLite always, PostgreSQL
/// when available.
pub(crate) struct Fresh {
    pub(crate) name: &'static str,
    pub(crate) pool: Pool,
    _sqlite: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

pub(crate) fn each_backend(test: impl Fn(&Fresh)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("tt.db").display());
    let sqlite = Fresh {
        name: "sqlite",
        pool: Pool::connect_and_migrate(&url, 4).expect("sqlite pool"),
        _sqlite: Some(dir),
        _pg: None,
    };
    test(&sqlite);
    if let Some(db) = PgDatabase::try_create() {
        let postgres = Fresh {
            name: "postgres",
            pool: Pool::connect_and_migrate(&db.url, 4).expect("postgres pool"),
            _sqlite: None,
            _pg: Some(db),
        };
        test(&postgres);
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    let row: Count = diesel::sql_query(sql).get_result(conn).expect(sql);
    row.n
}

/// Runs `sql` and says whether the database accepted it.
fn accepts(conn: &mut DbConnection, sql: &str) -> bool {
    conn.batch_execute(sql).is_ok()
}

/// Two users (ids 1 and 2) and a project (id 1).
pub(crate) fn seed(conn: &mut DbConnection) {
    conn.batch_execute(
        "INSERT INTO users (id, username, password_hash, role, created_at) VALUES \
           (1, 'ada', 'x', 'admin', '2026-01-01 00:00:00'), \
           (2, 'bob', 'x', 'user', '2026-01-01 00:00:00'); \
         INSERT INTO projects (id, name, created_at) VALUES (1, 'Atlas', '2026-01-01 00:00:00');",
    )
    .expect("seed");
}

pub(crate) fn entry(user: i64, start: &str, end: Option<&str>) -> String {
    let end = end.map_or("NULL".to_owned(), |e| format!("'{e}'"));
    format!(
        "INSERT INTO time_entries (user_id, project_id, start_time, end_time, created_at) \
         VALUES ({user}, 1, '{start}', {end}, '2026-01-01 00:00:00')"
    )
}

#[test]
fn every_migration_applies_once_and_a_second_run_applies_none() {
    each_backend(|db| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(db.name);
        let on_disk = std::fs::read_dir(&dir).expect("migrations").count();
        let mut conn = db.pool.get().expect("connection");
        let applied = count(
            &mut conn,
            "SELECT count(*) AS n FROM __diesel_schema_migrations",
        );
        assert_eq!(
            applied,
            i64::try_from(on_disk).expect("count"),
            "{}",
            db.name
        );
        assert_eq!(
            tt_persistence::run_migrations(&mut conn).expect("run"),
            0,
            "{}",
            db.name
        );
    });
}

#[test]
fn a_user_has_at_most_one_running_timer_whatever_the_application_does() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        assert!(accepts(&mut c, &entry(1, "2026-03-02 09:00:00", None)));
        assert!(
            !accepts(&mut c, &entry(1, "2026-03-02 10:00:00", None)),
            "{}: a second running timer",
            db.name
        );
        assert!(
            accepts(&mut c, &entry(2, "2026-03-02 10:00:00", None)),
            "another user's"
        );
        assert!(accepts(
            &mut c,
            &entry(1, "2026-03-01 09:00:00", Some("2026-03-01 10:00:00"))
        ));
        c.batch_execute("UPDATE time_entries SET end_time = '2026-03-02 09:30:00' WHERE user_id = 1 AND end_time IS NULL")
            .expect("stop");
        assert!(
            accepts(&mut c, &entry(1, "2026-03-02 10:00:00", None)),
            "after the stop"
        );
        assert_eq!(
            count(
                &mut c,
                "SELECT count(*) AS n FROM time_entries WHERE end_time IS NULL"
            ),
            2
        );
    });
}

#[test]
fn constraints_refuse_what_no_rule_should_let_through() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        let refused = [
            // An entry that ends before it starts.
            entry(1, "2026-03-02 10:00:00", Some("2026-03-02 09:00:00")),
            // An entry of a project that does not exist.
            "INSERT INTO time_entries (user_id, project_id, start_time, created_at) \
             VALUES (1, 99, '2026-03-02 09:00:00', '2026-01-01 00:00:00')"
                .to_owned(),
            // A username that differs only in letter case.
            "INSERT INTO users (username, password_hash, role, created_at) \
             VALUES ('ADA', 'x', 'user', '2026-01-01 00:00:00')"
                .to_owned(),
            // A role that does not exist.
            "INSERT INTO users (username, password_hash, role, created_at) \
             VALUES ('eve', 'x', 'root', '2026-01-01 00:00:00')"
                .to_owned(),
            // A comment on both a project and a task (or on neither).
            "INSERT INTO comments (user_id, body, created_at) VALUES (1, 'x', '2026-01-01 00:00:00')"
                .to_owned(),
        ];
        for sql in refused {
            assert!(!accepts(&mut c, &sql), "{}: accepted {sql}", db.name);
        }
        assert_eq!(count(&mut c, "SELECT count(*) AS n FROM time_entries"), 0);
        assert_eq!(count(&mut c, "SELECT count(*) AS n FROM users"), 2);
    });
}

#[test]
fn a_failed_write_transaction_leaves_nothing_behind() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        let result: Result<(), PersistenceError> = tt_persistence::write_transaction(&mut c, |c| {
            c.batch_execute(&entry(1, "2026-03-02 09:00:00", None))?;
            c.batch_execute(&entry(1, "2026-03-02 10:00:00", None))?; // a second timer
            Ok(())
        });
        assert!(result.is_err(), "{}", db.name);
        assert_eq!(
            count(&mut c, "SELECT count(*) AS n FROM time_entries"),
            0,
            "{}: the first insert was rolled back",
            db.name
        );
    });
}

/// Two writers to one user's timeline take turns: the second enters its
/// transaction (and its lock: the user's row on PostgreSQL, the database's
/// write lock on SQLite) only once the first has committed, so it sees
/// the first's entry — the guarantee the no-overlap rule stands on.
#[test]
fn writers_to_one_timeline_take_turns() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        drop(c);
        let barrier = Arc::new(Barrier::new(2));
        let log = Arc::new(Mutex::new(Vec::new()));
        let hold = Duration::from_millis(300);
        let writers: Vec<_> = (0..2)
            .map(|i| {
                let (pool, barrier, log) = (db.pool.clone(), barrier.clone(), log.clone());
                std::thread::spawn(move || {
                    let mut c = pool.get().expect("connection");
                    if i == 1 {
                        barrier.wait();
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    tt_persistence::write_transaction(&mut c, |c| {
                        tt_persistence::locks::user_timeline(c, UserId::new(1).expect("id"))?;
                        let seen = count(c, "SELECT count(*) AS n FROM time_entries");
                        log.lock()
                            .expect("log")
                            .push((i, "in", seen, Instant::now()));
                        if i == 0 {
                            barrier.wait();
                            std::thread::sleep(hold);
                        }
                        c.batch_execute(&entry(
                            1,
                            &format!("2026-03-0{} 09:00:00", i + 1),
                            Some(&format!("2026-03-0{} 10:00:00", i + 1)),
                        ))?;
                        log.lock()
                            .expect("log")
                            .push((i, "commit", seen, Instant::now()));
                        Ok(())
                    })
                    .expect("write");
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        let log = log.lock().expect("log");
        let order: Vec<_> = log
            .iter()
            .map(|(i, what, seen, _)| (*i, *what, *seen))
            .collect();
        assert_eq!(
            order,
            [
                (0, "in", 0),
                (0, "commit", 0),
                (1, "in", 1),
                (1, "commit", 1)
            ],
            "{}",
            db.name
        );
    });
}
