//! Connections on a real SQLite file: the planner option the build must
//! carry, and the per-thread readers behind `Pool::read`.

use diesel::connection::SimpleConnection;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use tt_persistence::{DbConnection, PersistenceError, Pool, planner_is_stable};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn notes(conn: &mut DbConnection) -> Result<i64, PersistenceError> {
    let row: Count = diesel::sql_query("SELECT count(*) AS n FROM scratch").get_result(conn)?;
    Ok(row.n)
}

fn pool() -> (tempfile::TempDir, Pool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("tt.db").display());
    let pool = Pool::connect_and_migrate(&url, 2).expect("pool");
    pool.get()
        .expect("connection")
        .batch_execute("CREATE TABLE scratch (note TEXT NOT NULL)")
        .expect("create table");
    (dir, pool)
}

#[test]
fn the_pool_opens_one_connection_at_start_and_more_when_needed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("tt.db").display());
    let pool = Pool::connect_and_migrate(&url, 4).expect("pool");
    let state = pool.state();
    assert_eq!(
        (state.connections, state.max),
        (1, 4),
        "an idle pool holds one"
    );
    let held: Vec<_> = (0..3).map(|_| pool.get().expect("connection")).collect();
    // The pool may already be opening a spare to keep one idle.
    let state = pool.state();
    assert!(
        (3..=4).contains(&state.connections),
        "three at once need three: {} open",
        state.connections
    );
    drop(held);
    assert!(pool.state().idle >= 3, "returned, they wait for the next");
}

#[test]
fn the_bundled_sqlite_keeps_a_statements_plan_whatever_is_bound() {
    let (_dir, pool) = pool();
    let stable = planner_is_stable(&mut pool.get().expect("connection")).expect("query");
    assert!(
        stable,
        "SQLite was built without SQLITE_ENABLE_QPSG (see .cargo/config.toml): \
         every cached statement with a bound LIMIT would be planned again on each use"
    );
}

#[test]
fn a_read_sees_every_write_committed_before_it() {
    let (_dir, pool) = pool();
    assert_eq!(pool.read(notes).expect("read"), 0);
    for expected in 1..=3 {
        let mut writer = pool.get().expect("connection");
        tt_persistence::write_transaction(&mut writer, |c| {
            c.batch_execute("INSERT INTO scratch (note) VALUES ('x')")?;
            Ok(())
        })
        .expect("write");
        // The same thread's reader, kept from the last read: no snapshot
        // and no cache stand between it and the commit.
        assert_eq!(pool.read(notes).expect("read"), expected);
    }
}

#[test]
fn a_write_through_a_reader_fails_and_changes_nothing() {
    let (_dir, pool) = pool();
    let err = pool
        .read(|c| -> Result<(), PersistenceError> {
            c.batch_execute("INSERT INTO scratch (note) VALUES ('x')")?;
            Ok(())
        })
        .expect_err("a reader cannot write");
    assert!(format!("{err:?}").contains("readonly"), "{err:?}");
    assert_eq!(pool.read(notes).expect("read"), 0);
}

#[test]
fn reads_nest_and_pools_keep_their_own_readers() {
    let (_dir, a) = pool();
    let (_other, b) = pool();
    let mut writer = b.get().expect("connection");
    writer
        .batch_execute("INSERT INTO scratch (note) VALUES ('only in b')")
        .expect("insert");
    let (outer, inner) = a
        .read(|c| Ok::<_, PersistenceError>((notes(c)?, b.read(notes)?)))
        .expect("nested reads");
    assert_eq!((outer, inner), (0, 1));
    let again = a
        .read(|_| a.read(notes))
        .expect("a read inside a read of the same pool");
    assert_eq!(again, 0);
}
