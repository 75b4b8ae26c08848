//! Browser sessions, kept in the database so that ending one ends it on
//! every replica at once. The web layer's session store calls the storage
//! functions here with the raw cookie key; only its SHA-256 is stored. A
//! signed-in user lists their sessions and ends them one by one or all
//! but the current one.

use std::time::Duration;

use chrono::Utc;
use tt_domain::UserId;
use tt_persistence::sessions::{self as repo, SessionWrite};
pub use tt_persistence::sessions::{SessionInfo, SignedIn, StoredSession};

use crate::auth::token_hash;
use crate::{Actor, App, AppError, Result, events};

/// How long a session nobody has signed in to lasts (a login form left
/// open longer asks to be reloaded). Short, so that anonymous visitors
/// leave little behind.
pub const ANONYMOUS_LIFETIME: Duration = Duration::from_secs(3600);

/// A session's contents as the web layer hands them over.
#[derive(Debug, Clone, Copy)]
pub struct SessionData<'a> {
    /// The signed-in user, if any.
    pub user: Option<UserId>,
    /// The state map, serialised.
    pub state: &'a str,
    /// Browser family and platform, e.g. "Firefox on Linux".
    pub browser: Option<&'a str>,
}

fn write<'a>(key_hash: &'a str, data: &SessionData<'a>) -> SessionWrite<'a> {
    SessionWrite {
        key_hash,
        user_id: data.user,
        state: data.state,
        browser: data.browser,
    }
}

/// The live session behind a cookie key, if any, and — when it is signed
/// in — its user with their running timer (as [`crate::timer::signed_in`]),
/// read together. Only reads: when its `seen_is_stale`, follow with
/// [`record_seen`].
pub fn load(app: &App, key: &str) -> Result<Option<(StoredSession, Option<SignedIn>)>> {
    let hash = token_hash(key);
    app.read(|c| Ok(repo::load(c, &hash, Utc::now())?))
}

/// Records that the session with row id `id` was seen now (at most once a
/// minute; the profile's session list shows it).
pub fn record_seen(app: &App, id: i64) -> Result<()> {
    app.write(|c| Ok(repo::record_seen(c, id, Utc::now())?))
}

/// Stores a new session under `key`. A signed-in session lasts
/// `signed_in_lifetime` from now, whatever happens to it meanwhile; an
/// anonymous one [`ANONYMOUS_LIFETIME`].
pub fn save(
    app: &App,
    key: &str,
    data: &SessionData<'_>,
    signed_in_lifetime: Duration,
) -> Result<i64> {
    let hash = token_hash(key);
    let lifetime = if data.user.is_some() {
        signed_in_lifetime
    } else {
        ANONYMOUS_LIFETIME.min(signed_in_lifetime)
    };
    let now = Utc::now();
    let expires = now
        + chrono::TimeDelta::from_std(lifetime)
            .map_err(|_| AppError::internal("session lifetime out of range"))?;
    app.write(|c| Ok(repo::insert(c, &write(&hash, data), now, expires)?))
}

/// Replaces the state of the session under `key`; a session ended
/// meanwhile stays ended (`false`).
pub fn update(app: &App, key: &str, data: &SessionData<'_>) -> Result<bool> {
    let hash = token_hash(key);
    app.write(|c| Ok(repo::update(c, &write(&hash, data), Utc::now())?))
}

/// Forgets the session under `key`.
pub fn delete(app: &App, key: &str) -> Result<()> {
    let hash = token_hash(key);
    app.write(|c| Ok(repo::delete(c, &hash)?))
}

/// The actor's live sessions, most recently used first.
pub fn list(app: &App, actor: &Actor) -> Result<Vec<SessionInfo>> {
    app.read(|c| Ok(repo::list_for_user(c, actor.id(), Utc::now())?))
}

/// Ends one of the actor's sessions; someone else's is `NotFound`.
pub fn end(app: &App, actor: &Actor, session: i64) -> Result<()> {
    let ended = app.write(|c| Ok(repo::delete_of_user(c, actor.id(), session)?))?;
    if !ended {
        return Err(AppError::NotFound);
    }
    app.track(events::logout(), Some(actor.id()));
    Ok(())
}

/// Ends every session of the actor but `current`; returns how many ended.
pub fn end_others(app: &App, actor: &Actor, current: i64) -> Result<usize> {
    app.write(|c| Ok(repo::delete_all_of_user(c, actor.id(), Some(current))?))
}
