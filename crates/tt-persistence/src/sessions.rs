//! Browser sessions kept on the server. The cookie carries a random key;
//! only its SHA-256 is stored here, with the session's state (a JSON map)
//! and, once signed in, its user. Deleting a row ends the session for
//! every replica at once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tt_domain::UserId;

use crate::entries::{EntryRow, RunningEntry, running_entry};
use crate::schema::{projects, sessions, tasks, time_entries, users};
use crate::users::UserRow;
use crate::{DbConnection, FixedSqlDsl, Result, Stamp, id, to_naive, to_utc};

/// How stale `last_seen_at` may get before a request refreshes it: reads
/// stay reads, except at most once a minute per session.
pub const LAST_SEEN_GRANULARITY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// A live session as loaded for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// Row id: what the profile page names a session by.
    pub id: i64,
    /// The signed-in user, if any.
    pub user_id: Option<UserId>,
    /// The state map, as JSON.
    pub state: String,
    /// Whether its last-seen time is more than [`LAST_SEEN_GRANULARITY`]
    /// old: then [`record_seen`] should follow.
    pub seen_is_stale: bool,
}

/// What is written for a session.
#[derive(Debug, Clone, Copy)]
pub struct SessionWrite<'a> {
    /// SHA-256 of the cookie key, lower hex.
    pub key_hash: &'a str,
    /// The signed-in user, if any.
    pub user_id: Option<UserId>,
    /// The state map, as JSON.
    pub state: &'a str,
    /// Browser family and platform, e.g. "Firefox on Linux".
    pub browser: Option<&'a str>,
}

/// A signed-in session, as listed on its user's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Row id.
    pub id: i64,
    /// Browser family and platform.
    pub browser: Option<String>,
    /// When the user signed in.
    pub created_at: DateTime<Utc>,
    /// Last request (to the minute).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends on its own.
    pub expires_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sessions)]
struct LoadedRow {
    id: i64,
    user_id: Option<i64>,
    state: String,
    last_seen_at: Stamp,
    expires_at: Stamp,
}

/// A signed-in session's user as loaded with it: the account (whatever its
/// state: the caller decides what an inactive one may do) and their
/// running timer with its names.
pub type SignedIn = (tt_domain::User, Option<RunningEntry>);

/// The live session with this key hash, and its user with their running
/// timer if it is signed in, in one statement: every page needs both, and
/// reading them together costs one trip to the database, not two.
/// Expired sessions are not found. Only reads.
pub fn load(
    conn: &mut DbConnection,
    key_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(StoredSession, Option<SignedIn>)>> {
    type Found = (
        LoadedRow,
        Option<UserRow>,
        Option<EntryRow>,
        Option<String>,
        Option<String>,
    );
    // No `LIMIT`: the unique index on `key_hash` allows one row at most,
    // and the partial unique index one running entry per user. The expiry
    // is compared here rather than bound into the statement: the statement
    // then has nothing to bind but the key.
    let row: Option<Found> = crate::native!(conn, c => sessions::table
        .left_join(users::table)
        .left_join(
            time_entries::table.on(time_entries::user_id
                .nullable()
                .eq(sessions::user_id)
                .and(time_entries::end_time.is_null())),
        )
        .left_join(projects::table.on(projects::id.eq(time_entries::project_id)))
        .left_join(tasks::table.on(time_entries::task_id.eq(tasks::id.nullable())))
        .filter(sessions::key_hash.eq(key_hash))
        .select((
            LoadedRow::as_select(),
            Option::<UserRow>::as_select(),
            Option::<EntryRow>::as_select(),
            projects::name.nullable(),
            tasks::name.nullable(),
        ))
        .fixed_sql()
        .get_result(c))
    .optional()?;
    let Some((row, user, entry, project, task)) = row.filter(|r| r.0.expires_at.utc() > now) else {
        return Ok(None);
    };
    let signed_in = match user {
        Some(user) => Some((user.into_domain()?.0, running_entry(entry, project, task)?)),
        None => None,
    };
    let session = StoredSession {
        id: row.id,
        user_id: row.user_id.map(|u| id(u, UserId::new)).transpose()?,
        state: row.state,
        seen_is_stale: row.last_seen_at.utc() < now - LAST_SEEN_GRANULARITY,
    };
    Ok(Some((session, signed_in)))
}

/// Records that session `id` was seen at `now`; guarded, so concurrent
/// requests write it once a [`LAST_SEEN_GRANULARITY`].
pub fn record_seen(conn: &mut DbConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    let stale = to_naive(now - LAST_SEEN_GRANULARITY);
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::last_seen_at.lt(stale)),
    )
    .set(sessions::last_seen_at.eq(to_naive(now)))
    .execute(conn)?;
    Ok(())
}

/// Stores a new session lasting until `expires_at`; returns its row id.
/// Sessions that have expired are swept on the way.
pub fn insert(
    conn: &mut DbConnection,
    new: &SessionWrite<'_>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<i64> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(to_naive(now)))).execute(conn)?;
    Ok(diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(new.key_hash),
            sessions::user_id.eq(new.user_id.map(UserId::get)),
            sessions::state.eq(new.state),
            sessions::browser.eq(new.browser),
            sessions::created_at.eq(to_naive(now)),
            sessions::last_seen_at.eq(to_naive(now)),
            sessions::expires_at.eq(to_naive(expires_at)),
        ))
        .returning(sessions::id)
        .get_result(conn)?)
}

/// Replaces a live session's state. A session ended meanwhile (signed out
/// elsewhere, password changed) stays ended: `false`.
pub fn update(conn: &mut DbConnection, new: &SessionWrite<'_>, now: DateTime<Utc>) -> Result<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::key_hash.eq(new.key_hash))
            .filter(sessions::expires_at.gt(to_naive(now))),
    )
    .set((
        sessions::state.eq(new.state),
        sessions::user_id.eq(new.user_id.map(UserId::get)),
        sessions::browser.eq(new.browser),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Ends the session with this key hash (if it exists).
pub fn delete(conn: &mut DbConnection, key_hash: &str) -> Result<()> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash))).execute(conn)?;
    Ok(())
}

/// A user's live sessions, most recently used first.
pub fn list_for_user(
    conn: &mut DbConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<SessionInfo>> {
    let rows: Vec<(
        i64,
        Option<String>,
        chrono::NaiveDateTime,
        chrono::NaiveDateTime,
        chrono::NaiveDateTime,
    )> = sessions::table
        .filter(sessions::user_id.eq(user.get()))
        .filter(sessions::expires_at.gt(to_naive(now)))
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select((
            sessions::id,
            sessions::browser,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::expires_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, browser, created, seen, expires)| SessionInfo {
            id,
            browser,
            created_at: to_utc(created),
            last_seen_at: to_utc(seen),
            expires_at: to_utc(expires),
        })
        .collect())
}

/// Ends one of a user's sessions; `false` if they have no such session.
pub fn delete_of_user(conn: &mut DbConnection, user: UserId, session: i64) -> Result<bool> {
    let n = diesel::delete(
        sessions::table
            .find(session)
            .filter(sessions::user_id.eq(user.get())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Ends every session of a user except `keep`; returns how many ended.
pub fn delete_all_of_user(
    conn: &mut DbConnection,
    user: UserId,
    keep: Option<i64>,
) -> Result<usize> {
    let mine = sessions::table.filter(sessions::user_id.eq(user.get()));
    Ok(match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::id.ne(keep))).execute(conn)?,
        None => diesel::delete(mine).execute(conn)?,
    })
}
