//! Passwords, API tokens, sessions and CSRF.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use tt_domain::{Password, User, UserId};

use crate::error::ApiError;
use crate::state::AppState;
use crate::web::PageError;

/// Hashes a password with argon2id (PHC string). Slow by design: call it
/// off the async executor.
pub fn hash_password(password: &Password) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Checks a password against a stored PHC hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that no password matches, verified against when the username is
/// unknown so that response time does not reveal which usernames exist.
pub(crate) fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2B1Tg5c7dd3yVhlOSIb8LHzXq1d5XSd3GZkP7DsCpwA"
}

fn random_bytes(buf: &mut [u8]) -> Result<(), ApiError> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| ApiError::Internal("system random failed".into()))
}

/// A new random token (URL-safe, 256 bits).
pub(crate) fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    random_bytes(&mut bytes)?;
    Ok(format!("tt_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Lower-hex SHA-256 of a token: only this is stored.
pub(crate) fn token_hash(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The user behind a valid `Authorization: Bearer` API token.
#[derive(Debug, Clone)]
pub(crate) struct ApiUser(pub User);

impl ApiUser {
    pub(crate) fn id(&self) -> UserId {
        self.0.id
    }

    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

pub(crate) fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty() && token.len() <= 256).then(|| token.to_owned())
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthorized)?;
            let state = state.ok_or_else(|| ApiError::Internal("state missing".into()))?;
            let hash = token_hash(&token);
            let user = state
                .db(move |c| tt_persistence::users::find_by_token_hash(c, &hash))
                .await
                .map_err(|e| match e {
                    ApiError::NotFound => ApiError::Unauthorized,
                    other => other,
                })?;
            crate::observe::note_user(&req, user.id.get());
            Ok(ApiUser(user))
        })
    }
}

const SESSION_USER: &str = "uid";
const SESSION_ISSUED: &str = "iat";
const SESSION_CSRF: &str = "csrf";

/// The CSRF token of this browser session, created on first use.
pub(crate) fn csrf_token(session: &Session) -> Result<String, ApiError> {
    if let Ok(Some(t)) = session.get::<String>(SESSION_CSRF) {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    random_bytes(&mut bytes)?;
    let t = URL_SAFE_NO_PAD.encode(bytes);
    session
        .insert(SESSION_CSRF, &t)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(t)
}

/// Checks a submitted CSRF token against the session's, in constant time.
pub(crate) fn verify_csrf(session: &Session, submitted: &str) -> Result<(), ApiError> {
    let expected = session
        .get::<String>(SESSION_CSRF)
        .ok()
        .flatten()
        .ok_or(ApiError::Csrf)?;
    // Comparing digests keeps the comparison's timing independent of how
    // many leading characters of the secret were guessed right.
    let digest = |s: &str| ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    if digest(&expected).as_ref() == digest(submitted).as_ref() {
        Ok(())
    } else {
        Err(ApiError::Csrf)
    }
}

/// Starts a login session for `user`, replacing any previous session (so a
/// session id cannot be fixed before login).
pub(crate) fn start_session(session: &Session, user: UserId) -> Result<(), ApiError> {
    session.renew();
    session.clear();
    let now = chrono::Utc::now().timestamp();
    session
        .insert(SESSION_USER, user.get())
        .and_then(|()| session.insert(SESSION_ISSUED, now))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The user id of a live session: `None` if absent or older than the TTL.
pub(crate) fn session_user(session: &Session, state: &AppState) -> Option<UserId> {
    let uid = session.get::<i64>(SESSION_USER).ok().flatten()?;
    let issued = session.get::<i64>(SESSION_ISSUED).ok().flatten()?;
    let ttl = i64::try_from(state.settings.session_ttl.as_secs()).unwrap_or(i64::MAX);
    let age = chrono::Utc::now().timestamp() - issued;
    if !(0..=ttl).contains(&age) {
        session.purge();
        return None;
    }
    UserId::new(uid)
}

/// A browser user with a live session; pages redirect to login without one.
#[derive(Clone)]
pub(crate) struct WebUser {
    pub user: User,
    pub session: Session,
}

impl std::fmt::Debug for WebUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebUser")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

impl WebUser {
    pub(crate) fn require_admin(&self) -> Result<(), PageError> {
        if self.user.is_admin() {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }
}

/// An optional session, for pages that work both ways.
pub(crate) struct MaybeSession(pub Session);

impl std::fmt::Debug for MaybeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MaybeSession")
    }
}

impl FromRequest for MaybeSession {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeSession(req.get_session())))
    }
}

/// Where the login form should send the browser back to: the page asked
/// for, if it was a plain `GET` (a `POST` target is no page to return to).
fn login_return_path(req: &HttpRequest) -> Option<String> {
    (req.method() == actix_web::http::Method::GET)
        .then(|| req.uri().path_and_query().map(|pq| pq.as_str().to_owned()))
        .flatten()
        .filter(|p| p != "/")
}

impl FromRequest for WebUser {
    type Error = PageError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let next = login_return_path(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| PageError::Internal("state missing".into()))?;
            let Some(uid) = session_user(&session, &state) else {
                return Err(PageError::Login(next));
            };
            let found = state.db(move |c| tt_persistence::users::find(c, uid)).await;
            let user = match found {
                Ok(user) if user.active => user,
                Ok(_) | Err(ApiError::NotFound) => {
                    // Deactivated or deleted since login: the session is over.
                    session.purge();
                    return Err(PageError::Login(next));
                }
                Err(other) => return Err(other.into()),
            };
            crate::observe::note_user(&req, user.id.get());
            Ok(WebUser { user, session })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_roundtrip() {
        let p = Password::parse("correct horse battery").expect("valid");
        let h = hash_password(&p).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("", dummy_hash()));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
