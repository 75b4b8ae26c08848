//! actix-session's storage backend on our database (through `tt_app`):
//! the cookie carries a random key, the state lives in the `sessions`
//! table, so logging out or revoking a session ends it on the server —
//! for every replica sharing the database at once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tt_app::App;
use tt_app::sessions::{SessionData, SignedIn};
use tt_domain::UserId;

use crate::auth::{SESSION_BROWSER, SESSION_ID, SESSION_USER};

type State = HashMap<String, String>;

tokio::task_local! {
    /// The signed-in user read with this request's session (the same
    /// statement), kept for [`crate::auth::WebUser`] so that a page does
    /// not read them a second time. One per request: see
    /// [`with_loaded_user_slot`].
    static LOADED_USER: RefCell<Option<SignedIn>>;
}

/// Runs `request` (the session middleware and everything inside it) with
/// its own, empty place for the user its session is loaded with. Called by
/// the middleware just outside the session middleware
/// ([`crate::transport::secure_cookies`]), so it costs no layer of its own.
pub(crate) async fn with_loaded_user_slot<F: std::future::Future>(request: F) -> F::Output {
    LOADED_USER.scope(RefCell::new(None), request).await
}

/// The signed-in user loaded with this request's session, if it is `user`
/// (the session's state names the user; the row read with it must agree).
/// Taken: a second extractor in the same request reads afresh.
pub(crate) fn take_loaded_user(user: UserId) -> Option<SignedIn> {
    LOADED_USER
        .try_with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.as_ref().is_some_and(|(u, _)| u.id == user) {
                slot.take()
            } else {
                None
            }
        })
        .ok()
        .flatten()
}

/// Sessions kept in the application database.
#[derive(Clone)]
pub(crate) struct DbSessionStore {
    app: App,
    /// How long a signed-in session lasts.
    lifetime: Duration,
}

impl DbSessionStore {
    pub(crate) fn new(app: App, lifetime: Duration) -> Self {
        DbSessionStore { app, lifetime }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&App) -> tt_app::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let app = self.app.clone();
        Ok(actix_web::web::block(move || f(&app)).await??)
    }
}

/// A fresh random session key: 256 bits, URL-safe.
fn new_key() -> anyhow::Result<SessionKey> {
    let mut bytes = [0u8; 32];
    tt_app::passwords::random_bytes(&mut bytes)?;
    SessionKey::try_from(URL_SAFE_NO_PAD.encode(bytes)).map_err(anyhow::Error::new)
}

/// What is stored for `state`: the map without the row id (which the
/// store itself adds on load), its user and its browser.
struct Stored {
    json: String,
    user: Option<UserId>,
    browser: Option<String>,
}

fn stored(mut state: State) -> anyhow::Result<Stored> {
    state.remove(SESSION_ID);
    let user = state
        .get(SESSION_USER)
        .and_then(|v| serde_json::from_str::<i64>(v).ok())
        .and_then(UserId::new);
    let browser = state
        .get(SESSION_BROWSER)
        .and_then(|v| serde_json::from_str::<String>(v).ok());
    Ok(Stored {
        json: serde_json::to_string(&state)?,
        user,
        browser,
    })
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let key = session_key.as_ref().to_owned();
        let found = if self.app.reads_are_local() {
            // One statement on this thread's own SQLite connection.
            tt_app::sessions::load(&self.app, &key).map_err(|e| LoadError::Other(e.into()))
        } else {
            self.blocking(move |app| tt_app::sessions::load(app, &key))
                .await
                .map_err(LoadError::Other)
        }?;
        let Some((session, signed_in)) = found else {
            return Ok(None);
        };
        if let Some(signed_in) = signed_in {
            // Outside a request's scope (none is set) it is simply not kept.
            let _ = LOADED_USER.try_with(|slot| *slot.borrow_mut() = Some(signed_in));
        }
        if session.seen_is_stale {
            let id = session.id;
            self.blocking(move |app| tt_app::sessions::record_seen(app, id))
                .await
                .map_err(LoadError::Other)?;
        }
        let mut state: State = serde_json::from_str(&session.state)
            .map_err(|e| LoadError::Deserialization(e.into()))?;
        state.insert(SESSION_ID.to_owned(), session.id.to_string());
        Ok(Some(state))
    }

    async fn save(&self, state: State, _ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let stored = stored(state).map_err(SaveError::Serialization)?;
        let key = new_key().map_err(SaveError::Other)?;
        let raw = key.as_ref().to_owned();
        let lifetime = self.lifetime;
        self.blocking(move |app| {
            let data = SessionData {
                user: stored.user,
                state: &stored.json,
                browser: stored.browser.as_deref(),
            };
            tt_app::sessions::save(app, &raw, &data, lifetime)
        })
        .await
        .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let stored = stored(state).map_err(UpdateError::Serialization)?;
        let raw = session_key.as_ref().to_owned();
        // A session ended meanwhile (signed out elsewhere) stays ended: the
        // update finds no row and the next request starts afresh.
        self.blocking(move |app| {
            let data = SessionData {
                user: stored.user,
                state: &stored.json,
                browser: stored.browser.as_deref(),
            };
            tt_app::sessions::update(app, &raw, &data)
        })
        .await
        .map_err(UpdateError::Other)?;
        Ok(session_key)
    }

    async fn update_ttl(&self, _key: &SessionKey, _ttl: &CookieDuration) -> anyhow::Result<()> {
        // A session's end is fixed at sign-in; activity does not extend it.
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let raw = session_key.as_ref().to_owned();
        self.blocking(move |app| tt_app::sessions::delete(app, &raw))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_id_is_never_stored_and_user_and_browser_are_read_out() {
        let mut state = State::new();
        state.insert(SESSION_ID.into(), "7".into());
        state.insert(SESSION_USER.into(), "42".into());
        state.insert(SESSION_BROWSER.into(), "\"Firefox on Linux\"".into());
        state.insert("csrf".into(), "\"abc\"".into());
        let s = stored(state).expect("stored");
        assert_eq!(s.user, UserId::new(42));
        assert_eq!(s.browser.as_deref(), Some("Firefox on Linux"));
        let back: State = serde_json::from_str(&s.json).expect("json");
        assert!(!back.contains_key(SESSION_ID));
        assert_eq!(back.len(), 3);
    }

    #[test]
    fn keys_are_long_random_and_distinct() {
        let a = new_key().expect("key");
        let b = new_key().expect("key");
        assert_ne!(a.as_ref(), b.as_ref());
        assert_eq!(a.as_ref().len(), 43);
    }
}
