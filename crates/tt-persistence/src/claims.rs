//! Claims by compare-and-set: which process of an installation may do a
//! thing now (send this interval's heartbeat, send `first_seen`), decided
//! by the database every replica shares, so replicas and restarts never do
//! it twice.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::telemetry_claims;
use crate::{DbConnection, Result, to_naive};

/// How a claim may be taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Its holder may claim it again at any time (a retry); others only
    /// once it is older than the hold.
    ByHolder,
    /// Nobody, the holder included, before the hold has passed.
    Never,
}

/// Claims `name` for `holder` at `now`: succeeds if nobody holds it, if it
/// was last claimed at or before `now - hold`, or (with
/// [`Renewal::ByHolder`]) if `holder` holds it. Atomic on both databases:
/// of simultaneous claims exactly one succeeds.
pub fn claim(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: std::time::SystemTime,
    hold: std::time::Duration,
    renewal: Renewal,
) -> Result<bool> {
    let now: DateTime<Utc> = now.into();
    let hold = chrono::Duration::from_std(hold).unwrap_or(chrono::Duration::MAX);
    let row = (
        telemetry_claims::name.eq(name),
        telemetry_claims::holder.eq(holder),
        telemetry_claims::claimed_at.eq(to_naive(now)),
    );
    let insert = diesel::insert_into(telemetry_claims::table).values(row);
    let inserted = match conn {
        DbConnection::Postgres(pg) => insert.on_conflict_do_nothing().execute(pg)?,
        DbConnection::Sqlite(lite) => insert.on_conflict_do_nothing().execute(lite)?,
    };
    if inserted == 1 {
        return Ok(true);
    }
    let expired = telemetry_claims::claimed_at.le(to_naive(
        now.checked_sub_signed(hold)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    ));
    let target = telemetry_claims::table.filter(telemetry_claims::name.eq(name));
    let changed = match renewal {
        Renewal::ByHolder => {
            diesel::update(target.filter(expired.or(telemetry_claims::holder.eq(holder))))
                .set((
                    telemetry_claims::holder.eq(holder),
                    telemetry_claims::claimed_at.eq(to_naive(now)),
                ))
                .execute(conn)?
        }
        Renewal::Never => diesel::update(target.filter(expired))
            .set((
                telemetry_claims::holder.eq(holder),
                telemetry_claims::claimed_at.eq(to_naive(now)),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000 + secs)
    }

    #[test]
    fn one_claim_per_hold_and_holders_may_retry() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let mut conn = crate::establish(&url).expect("db");
        crate::run_migrations(&mut conn).expect("migrate");
        let hold = std::time::Duration::from_secs(10);
        let hb = |c: &mut DbConnection, who: &str, t: u64| {
            claim(c, "heartbeat", who, at(t), hold, Renewal::Never).expect("claim")
        };
        assert!(hb(&mut conn, "a", 0));
        assert!(!hb(&mut conn, "b", 1));
        assert!(
            !hb(&mut conn, "a", 9),
            "not even the holder before the hold"
        );
        assert!(hb(&mut conn, "b", 10));
        assert!(!hb(&mut conn, "a", 15));
        let fs = |c: &mut DbConnection, who: &str, t: u64| {
            claim(c, "first_seen", who, at(t), hold, Renewal::ByHolder).expect("claim")
        };
        assert!(fs(&mut conn, "a", 0));
        assert!(fs(&mut conn, "a", 3), "the holder retries");
        assert!(!fs(&mut conn, "b", 12), "held until 13");
        assert!(fs(&mut conn, "b", 13));
        assert!(!fs(&mut conn, "a", 14));
    }
}
