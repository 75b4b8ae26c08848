//! The stored state of the login throttle, shared by every replica: one
//! row per throttled key (`bucket`, a hash the caller computes) with the
//! instant its allowance is used up to. The rule itself is
//! `tt_domain::Throttle`.

use diesel::prelude::*;

use crate::schema::login_throttle;
use crate::{DbConnection, Result};

/// Reads a bucket's state for an update in this write transaction: on
/// PostgreSQL the row is created if missing and locked (`FOR UPDATE`), so
/// simultaneous attempts on the same bucket from any replica take turns and
/// each sees the one before; on SQLite the write transaction already
/// excludes every other writer. `None` for a bucket never seen (or
/// forgotten).
pub fn lock(conn: &mut DbConnection, bucket: &str) -> Result<Option<i64>> {
    if let DbConnection::Postgres(pg) = conn {
        // A row to lock, whoever creates it first: the loser of a
        // simultaneous insert waits for the winner's commit, then inserts
        // nothing.
        diesel::insert_into(login_throttle::table)
            .values((
                login_throttle::bucket.eq(bucket),
                login_throttle::used_until_ms.eq(i64::MIN),
            ))
            .on_conflict_do_nothing()
            .execute(pg)?;
        let state = login_throttle::table
            .find(bucket)
            .select(login_throttle::used_until_ms)
            .for_update()
            .first::<i64>(pg)
            .optional()?;
        return Ok(state.filter(|s| *s != i64::MIN));
    }
    Ok(login_throttle::table
        .find(bucket)
        .select(login_throttle::used_until_ms)
        .first::<i64>(conn)
        .optional()?)
}

/// Stores a bucket's new state (after [`lock`], in the same transaction).
pub fn store(conn: &mut DbConnection, bucket: &str, used_until_ms: i64) -> Result<()> {
    let row = (
        login_throttle::bucket.eq(bucket),
        login_throttle::used_until_ms.eq(used_until_ms),
    );
    match conn {
        DbConnection::Postgres(pg) => diesel::insert_into(login_throttle::table)
            .values(row)
            .on_conflict(login_throttle::bucket)
            .do_update()
            .set(login_throttle::used_until_ms.eq(used_until_ms))
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(login_throttle::table)
            .values(row)
            .on_conflict(login_throttle::bucket)
            .do_update()
            .set(login_throttle::used_until_ms.eq(used_until_ms))
            .execute(lite)?,
    };
    Ok(())
}

/// Deletes the buckets that have fully recovered by `now_ms` (their state
/// is in the past, so forgetting them changes no decision); the number
/// deleted. On PostgreSQL rows an attempt holds locked right now are
/// skipped, never waited for.
pub fn forget_recovered(conn: &mut DbConnection, now_ms: i64) -> Result<usize> {
    match conn {
        DbConnection::Postgres(pg) => Ok(diesel::sql_query(
            "DELETE FROM login_throttle WHERE bucket IN (SELECT bucket FROM login_throttle \
             WHERE used_until_ms <= $1 FOR UPDATE SKIP LOCKED)",
        )
        .bind::<diesel::sql_types::BigInt, _>(now_ms)
        .execute(pg)?),
        DbConnection::Sqlite(lite) => Ok(diesel::delete(
            login_throttle::table.filter(login_throttle::used_until_ms.le(now_ms)),
        )
        .execute(lite)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_recovered_buckets_are_forgotten() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let mut conn = crate::establish(&url).expect("db");
        crate::run_migrations(&mut conn).expect("migrate");
        assert_eq!(lock(&mut conn, "a").expect("lock"), None);
        store(&mut conn, "a", 1_000).expect("store");
        store(&mut conn, "b", 5_000).expect("store");
        store(&mut conn, "a", 2_000).expect("store again");
        assert_eq!(lock(&mut conn, "a").expect("lock"), Some(2_000));
        assert_eq!(forget_recovered(&mut conn, 2_000).expect("forget"), 1);
        assert_eq!(lock(&mut conn, "a").expect("lock"), None);
        assert_eq!(lock(&mut conn, "b").expect("lock"), Some(5_000));
    }
}
