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

/// Each user's `entry_count` against a count of their rows, for users 1–3.
fn counts_agree(c: &mut DbConnection, backend: &str, step: &str) {
    for user in 1..=3 {
        let kept = count(
            c,
            // A user who is gone has none.
            &format!("SELECT coalesce(max(entry_count), 0) AS n FROM users WHERE id = {user}"),
        );
        let rows = count(
            c,
            &format!("SELECT count(*) AS n FROM time_entries WHERE user_id = {user}"),
        );
        assert_eq!(kept, rows, "{backend}, user {user}, after {step}");
    }
}

/// The count of each user's entries that the database keeps follows every
/// way an entry comes, goes or changes hands, whichever statement does it:
/// inserts, deletes, an update of other columns, a move to another user
/// (anonymising), and the cascade when a user is deleted.
#[test]
fn each_users_entry_count_follows_their_entries_whatever_changes_them() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        c.batch_execute(
            "INSERT INTO users (id, username, password_hash, role, created_at) \
             VALUES (3, 'cy', 'x', 'user', '2026-01-01 00:00:00')",
        )
        .expect("third user");
        counts_agree(&mut c, db.name, "seeding");
        for day in 1..=9 {
            let start = format!("2026-03-0{day} 09:00:00");
            let end = format!("2026-03-0{day} 10:00:00");
            c.batch_execute(&entry(1, &start, Some(&end))).expect("ada");
            c.batch_execute(&entry(2, &start, Some(&end))).expect("bob");
        }
        c.batch_execute(&entry(2, "2026-03-10 09:00:00", None))
            .expect("bob's timer");
        counts_agree(&mut c, db.name, "inserts");
        assert_eq!(
            count(&mut c, "SELECT entry_count AS n FROM users WHERE id = 2"),
            10,
            "{}",
            db.name
        );
        let steps = [
            (
                "deleting two",
                "DELETE FROM time_entries WHERE user_id = 1 AND start_time < '2026-03-03 00:00:00'",
            ),
            (
                "changing other columns",
                "UPDATE time_entries SET notes = 'x', user_id = user_id",
            ),
            (
                "moving three",
                "UPDATE time_entries SET user_id = 3 \
                 WHERE user_id = 1 AND start_time >= '2026-03-07 00:00:00'",
            ),
            (
                "moving none",
                "UPDATE time_entries SET user_id = 3 WHERE user_id = 1 AND 1 = 0",
            ),
            ("deleting a user", "DELETE FROM users WHERE id = 2"),
            ("deleting everything", "DELETE FROM time_entries"),
        ];
        for (step, sql) in steps {
            c.batch_execute(sql).expect(step);
            counts_agree(&mut c, db.name, step);
        }
        assert_eq!(
            count(
                &mut c,
                "SELECT count(*) AS n FROM users WHERE entry_count <> 0"
            ),
            0,
            "{}",
            db.name
        );
    });
}

/// Writers in parallel, without the application's locks, each adding,
/// deleting or moving one user's entries in its own transaction: the
/// counts the database keeps still equal the rows (on PostgreSQL under
/// READ COMMITTED, where an increment read-modify-written outside the row
/// lock would lose updates).
#[test]
fn entry_counts_hold_under_parallel_writers() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        drop(c);
        parallel_writers(db, false, |t, i| {
            // Distinct times per writer and round; users 1 and 2.
            let user = 1 + (t + i) % 2;
            let (start, end) = slot(t * WRITER_ROUNDS + i);
            match i % 4 {
                // Its own latest entry goes again.
                3 => format!(
                    "DELETE FROM time_entries WHERE id = \
                     (SELECT max(id) FROM time_entries WHERE notes = 'w{t}')"
                ),
                // Moves go one way only (user 1 to 2), so two
                // writers never wait on each other crosswise.
                2 => format!(
                    "UPDATE time_entries SET user_id = 2 WHERE id = \
                     (SELECT min(id) FROM time_entries WHERE user_id = 1 AND notes = 'w{t}')"
                ),
                _ => format!(
                    "INSERT INTO time_entries \
                     (user_id, project_id, start_time, end_time, notes, created_at) \
                     VALUES ({user}, 1, '{start}', '{end}', 'w{t}', '2026-01-01 00:00:00')"
                ),
            }
        });
        let mut c = db.pool.get().expect("connection");
        counts_agree(&mut c, db.name, "the parallel writers");
    });
}

const WRITERS: usize = 8;
const WRITER_ROUNDS: usize = 40;

/// A minute's slot in April, from 08:00: its start and half past.
fn slot(minute: usize) -> (String, String) {
    let start = format!(
        "2026-04-{:02} {:02}:{:02}:00",
        1 + minute / 600,
        (minute / 60) % 10 + 8,
        minute % 60
    );
    let end = format!("{}:30", &start[..16]);
    (start, end)
}

/// `WRITERS` threads, started together, each running `WRITER_ROUNDS`
/// statements `sql(writer, round)`, each in its own write transaction on
/// a connection taken from the pool for that round (more writers than
/// connections). With `retries`, a transaction the database failed to
/// break a deadlock is accepted, as long as most committed; any other
/// failure fails the test. At least one row is left in `time_entries`.
fn parallel_writers(db: &Fresh, retries: bool, sql: fn(usize, usize) -> String) {
    let failed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|t| {
            let (pool, barrier, failed) = (db.pool.clone(), barrier.clone(), failed.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..WRITER_ROUNDS {
                    let mut c = pool.get().expect("connection");
                    let statement = sql(t, i);
                    let done = tt_persistence::write_transaction(&mut c, |c| {
                        c.batch_execute(&statement)?;
                        Ok(())
                    });
                    match done {
                        Ok(()) => {}
                        Err(PersistenceError::Retry) if retries => {
                            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => panic!("writer {t}, round {i}: {e}"),
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let failed = failed.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        failed * 2 < WRITERS * WRITER_ROUNDS,
        "{}: {failed} of {} transactions failed",
        db.name,
        WRITERS * WRITER_ROUNDS
    );
    let mut c = db.pool.get().expect("connection");
    let rows = count(&mut c, "SELECT count(*) AS n FROM time_entries");
    assert!(rows > 0, "{}: the writers wrote", db.name);
}

/// The recent work the database keeps follows every way an entry comes,
/// goes or changes, whichever statement does it: inserts (older and newer
/// than the latest), deletes of the latest and of the only entry of a
/// combination, changes of start, project and task, a change of other
/// columns, a move to another user, a task deleted under its entries, and
/// the cascade when a user is deleted.
#[test]
fn recent_work_follows_the_entries_whatever_changes_them() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        c.batch_execute(
            "INSERT INTO users (id, username, password_hash, role, created_at) \
               VALUES (3, 'cy', 'x', 'user', '2026-01-01 00:00:00'); \
             INSERT INTO projects (id, name, created_at) VALUES (2, 'Borealis', '2026-01-01 00:00:00'); \
             INSERT INTO tasks (id, project_id, name, status, created_at) VALUES \
               (1, 1, 'Design', 'todo', '2026-01-01 00:00:00'), \
               (2, 2, 'Build', 'todo', '2026-01-01 00:00:00');",
        )
        .expect("work");
        let agree = |c: &mut DbConnection, step: &str| {
            assert_eq!(
                count(c, tt_testkit::RECENT_WORK_DIFF),
                0,
                "{}, after {step}",
                db.name
            );
        };
        let add = |user: i64, project: i64, task: &str, start: &str| {
            // Half an hour from `start` (`YYYY-MM-DD HH:00:00`).
            let end = format!("{}30:00", &start[..14]);
            format!(
                "INSERT INTO time_entries (user_id, project_id, task_id, start_time, end_time, created_at) \
                 VALUES ({user}, {project}, {task}, '{start}', '{end}', '2026-01-01 00:00:00')"
            )
        };
        for day in 1..=6 {
            let (p, t) = [(1, "NULL"), (1, "1"), (2, "2")][day % 3];
            c.batch_execute(&add(1, p, t, &format!("2026-03-0{day} 09:00:00")))
                .expect("ada");
            c.batch_execute(&add(2, p, t, &format!("2026-03-0{day} 10:00:00")))
                .expect("bob");
        }
        // Older than the latest of its combination: the latest stays.
        c.batch_execute(&add(1, 2, "2", "2026-02-01 09:00:00"))
            .expect("an older one");
        agree(&mut c, "inserts");
        assert_eq!(
            count(
                &mut c,
                "SELECT count(*) AS n FROM recent_work WHERE user_id = 1"
            ),
            3,
            "{}: three combinations",
            db.name
        );
        let steps = [
            (
                "deleting the latest of a combination",
                "DELETE FROM time_entries WHERE user_id = 1 AND start_time = '2026-03-06 09:00:00'",
            ),
            (
                "moving a start earlier",
                "UPDATE time_entries SET start_time = '2026-01-15 09:00:00', \
                 end_time = '2026-01-15 10:00:00' \
                 WHERE user_id = 1 AND start_time = '2026-03-05 09:00:00'",
            ),
            (
                "changing project and task",
                "UPDATE time_entries SET project_id = 2, task_id = NULL \
                 WHERE user_id = 2 AND start_time = '2026-03-04 10:00:00'",
            ),
            (
                "changing other columns",
                "UPDATE time_entries SET notes = 'x', user_id = user_id, start_time = start_time",
            ),
            (
                "moving entries to another user",
                "UPDATE time_entries SET user_id = 3 WHERE user_id = 1 AND project_id = 2",
            ),
            (
                "deleting a task under its entries",
                "DELETE FROM tasks WHERE id = 1",
            ),
            (
                "deleting every entry of a combination",
                "DELETE FROM time_entries WHERE user_id = 3",
            ),
            ("deleting a user", "DELETE FROM users WHERE id = 2"),
            ("deleting everything", "DELETE FROM time_entries"),
        ];
        for (step, sql) in steps {
            c.batch_execute(sql).expect(step);
            agree(&mut c, step);
        }
        assert_eq!(
            count(&mut c, "SELECT count(*) AS n FROM recent_work"),
            0,
            "{}",
            db.name
        );
    });
}

/// Writers in parallel, each in its own transaction and without the
/// application's locks, adding entries of one combination, deleting their
/// latest and moving their oldest to another project: the recent work the
/// database keeps still equals the entries (on PostgreSQL under READ
/// COMMITTED, where two transactions remove the latest entries of one
/// combination at once, each before the other has committed).
#[test]
fn recent_work_holds_under_parallel_writers() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        c.batch_execute("INSERT INTO projects (id, name, created_at) VALUES (2, 'Borealis', '2026-01-01 00:00:00')")
            .expect("second project");
        drop(c);
        // Writers crossing on the same rows: PostgreSQL breaks a deadlock
        // by failing one of them.
        parallel_writers(db, true, |t, i| {
            // Writers' times interleave round by round, so the latest
            // entries of the combination are the ones they delete at the
            // same moment.
            let (start, end) = slot(i * WRITERS + t);
            match i % 4 {
                3 => format!(
                    "DELETE FROM time_entries WHERE id = \
                     (SELECT max(id) FROM time_entries WHERE notes = 'w{t}')"
                ),
                2 => format!(
                    "UPDATE time_entries SET project_id = 3 - project_id WHERE id = \
                     (SELECT min(id) FROM time_entries WHERE notes = 'w{t}')"
                ),
                _ => format!(
                    "INSERT INTO time_entries \
                     (user_id, project_id, start_time, end_time, notes, created_at) \
                     VALUES (1, 1, '{start}', '{end}', 'w{t}', '2026-01-01 00:00:00')"
                ),
            }
        });
        let mut c = db.pool.get().expect("connection");
        assert_eq!(
            count(&mut c, tt_testkit::RECENT_WORK_DIFF),
            0,
            "{}",
            db.name
        );
    });
}

/// Two transactions remove the two latest entries of one combination at
/// the same moment and commit a little later: on PostgreSQL (READ
/// COMMITTED) each would see the other's entry still there when it looks
/// for the latest remaining start, and the one committing last would keep
/// a start whose entry is gone. The database must end with the third.
#[test]
fn recent_work_survives_two_removals_of_the_latest_at_once() {
    each_backend(|db| {
        let mut c = db.pool.get().expect("connection");
        seed(&mut c);
        for day in 1..=3 {
            c.batch_execute(&entry(
                1,
                &format!("2026-03-0{day} 09:00:00"),
                Some(&format!("2026-03-0{day} 10:00:00")),
            ))
            .expect("entry");
        }
        drop(c);
        let barrier = Arc::new(Barrier::new(2));
        let removers: Vec<_> = ["2026-03-03 09:00:00", "2026-03-02 09:00:00"]
            .into_iter()
            .map(|start| {
                let (pool, barrier) = (db.pool.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut c = pool.get().expect("connection");
                    barrier.wait();
                    tt_persistence::write_transaction(&mut c, |c| {
                        c.batch_execute(&format!(
                            "DELETE FROM time_entries WHERE start_time = '{start}'"
                        ))?;
                        // Both deletes (and their triggers) have run before
                        // either commits.
                        std::thread::sleep(Duration::from_millis(300));
                        Ok(())
                    })
                    .expect("remove");
                })
            })
            .collect();
        for r in removers {
            r.join().expect("remover");
        }
        let mut c = db.pool.get().expect("connection");
        assert_eq!(
            count(&mut c, tt_testkit::RECENT_WORK_DIFF),
            0,
            "{}",
            db.name
        );
        assert_eq!(
            count(&mut c, "SELECT count(*) AS n FROM recent_work"),
            1,
            "{}",
            db.name
        );
    });
}
