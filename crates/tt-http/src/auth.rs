//! Who is asking: API tokens, browser sessions, and the extractors that
//! make them (and CSRF) impossible to forget — `ApiUser`, `WebUser` and
//! `CsrfForm` are types in a handler's signature.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq as _;
use tt_app::{Actor, Surface};
use tt_domain::{Calendar, User, UserId};

use crate::error::HttpError;
use crate::state::AppState;

fn random_bytes(buf: &mut [u8]) -> Result<(), HttpError> {
    tt_app::passwords::random_bytes(buf).map_err(HttpError::from)
}

/// The user behind a valid `Authorization: Bearer` API token, and the
/// token's id.
#[derive(Debug, Clone)]
pub(crate) struct ApiUser(pub User, pub i64);

impl ApiUser {
    /// The acting user for `tt_app`, on the API surface.
    pub(crate) fn actor(&self) -> Actor {
        Actor::new(self.0.clone(), Surface::Api)
    }

    /// How the caller reads time (their zone, else the installation's).
    pub(crate) fn calendar(&self, state: &AppState) -> Calendar {
        state.app().calendar_of(&self.0)
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
    type Error = HttpError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, HttpError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let token = token.ok_or(HttpError::Unauthorized)?;
            let state = state.ok_or_else(|| HttpError::internal("state missing"))?;
            let (user, token) = state.read(move |app| Ok(token_user(app, &token))).await??;
            signed_in(&state, &req, user, token).await
        })
    }
}

/// The user behind `token`; an unknown, revoked or expired token, or an
/// inactive user, is a 401.
fn token_user(
    app: &tt_app::App,
    token: &str,
) -> Result<(User, tt_app::auth::TokenInfo), HttpError> {
    tt_app::auth::user_for_token(app, token).map_err(|e| match HttpError::from(e) {
        HttpError::NotFound => HttpError::Unauthorized,
        other => other,
    })
}

/// What every request signed in with a token does once its user is known:
/// records the token's use when the last record is stale (a write at most
/// once a minute per token) and names the user to the request's log line.
async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
    user: User,
    token: tt_app::auth::TokenInfo,
) -> Result<ApiUser, HttpError> {
    if tt_app::auth::token_use_is_stale(&token) {
        let used = token.clone();
        state
            .run(move |app| tt_app::auth::record_token_use(app, &used))
            .await?;
    }
    crate::observe::note_user(req, user.id.get());
    Ok(ApiUser(user, token.id))
}

/// An API request's bearer token, for a handler that checks it in the same
/// read as its action: [`ApiToken::read`] looks up the token's user and runs
/// the action in one read (on SQLite one read transaction, on PostgreSQL
/// one hand-off to the blocking pool) instead of one for each. The verdicts
/// are [`ApiUser`]'s: no token is a 401 at once; an unknown, revoked or
/// expired one, or an inactive user, is a 401 before the action runs.
pub(crate) struct ApiToken {
    token: String,
    req: HttpRequest,
}

impl FromRequest for ApiToken {
    type Error = HttpError;
    type Future = Ready<Result<Self, HttpError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            bearer_token(req)
                .map(|token| ApiToken {
                    token,
                    req: req.clone(),
                })
                .ok_or(HttpError::Unauthorized),
        )
    }
}

impl ApiToken {
    /// Runs the read `f` as the token's user, in one read with the token's
    /// lookup.
    pub(crate) async fn read<T, F>(self, state: &AppState, f: F) -> Result<(ApiUser, T), HttpError>
    where
        F: FnOnce(&tt_app::App, &ApiUser) -> Result<T, HttpError> + Send + 'static,
        T: Send + 'static,
    {
        let token = self.token;
        let (api, info, out) = state
            .read(move |app| {
                app.read_together(|| {
                    Ok(token_user(app, &token).map(|(user, info)| {
                        let api = ApiUser(user, info.id);
                        let out = f(app, &api);
                        (api, info, out)
                    }))
                })
            })
            .await??;
        let user = signed_in(state, &self.req, api.0, info).await?;
        Ok((user, out?))
    }
}

/// Session keys: the signed-in user's id…
pub(crate) const SESSION_USER: &str = "uid";
/// …when they signed in…
const SESSION_ISSUED: &str = "iat";
/// …the CSRF token…
const SESSION_CSRF: &str = "csrf";
/// …the browser family and platform, shown in the session list…
pub(crate) const SESSION_BROWSER: &str = "ua";
/// …and the session's row id, added by the store when it loads the
/// session (never stored inside it).
pub(crate) const SESSION_ID: &str = "_sid";

/// The CSRF token of this browser session, created on first use.
pub(crate) fn csrf_token(session: &Session) -> Result<String, HttpError> {
    if let Ok(Some(t)) = session.get::<String>(SESSION_CSRF) {
        return Ok(t);
    }
    let mut bytes = [0u8; 32];
    random_bytes(&mut bytes)?;
    let t = URL_SAFE_NO_PAD.encode(bytes);
    session
        .insert(SESSION_CSRF, &t)
        .map_err(|e| HttpError::Internal(Box::new(e)))?;
    Ok(t)
}

/// Checks a submitted CSRF token against the session's, in constant time.
pub(crate) fn verify_csrf(session: &Session, submitted: &str) -> Result<(), HttpError> {
    let expected = session
        .get::<String>(SESSION_CSRF)
        .ok()
        .flatten()
        .ok_or(HttpError::Csrf)?;
    if same_secret(submitted, &expected) {
        Ok(())
    } else {
        Err(HttpError::Csrf)
    }
}

/// Whether `presented` is the secret `expected`, compared in constant time.
/// The digests are compared rather than the strings, so neither the
/// length of the secret nor how much of it was guessed right shows in the
/// comparison's timing.
pub(crate) fn same_secret(presented: &str, expected: &str) -> bool {
    let digest = |s: &str| ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    digest(presented)
        .as_ref()
        .ct_eq(digest(expected).as_ref())
        .into()
}

/// Starts a login session for `user`, replacing any previous session (so a
/// session id cannot be fixed before login). The browser family is kept
/// for the user's session list.
pub(crate) fn start_session(
    session: &Session,
    user: UserId,
    req: &HttpRequest,
) -> Result<(), HttpError> {
    session.renew();
    session.clear();
    let now = chrono::Utc::now().timestamp();
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    session
        .insert(SESSION_USER, user.get())
        .and_then(|()| session.insert(SESSION_ISSUED, now))
        .and_then(|()| session.insert(SESSION_BROWSER, browser_family(agent)))
        .map_err(|e| HttpError::Internal(Box::new(e)))
}

/// "Firefox on Linux" from a `User-Agent` header: the family and the
/// platform, never the version or anything finer.
pub(crate) fn browser_family(user_agent: &str) -> String {
    let ua = woothee::parser::Parser::new().parse(user_agent);
    match ua {
        Some(r) if r.name != "UNKNOWN" && r.os != "UNKNOWN" => format!("{} on {}", r.name, r.os),
        Some(r) if r.name != "UNKNOWN" => r.name.to_owned(),
        _ => "Unknown browser".to_owned(),
    }
}

/// The row id of this browser's session, once stored.
pub(crate) fn current_session_id(session: &Session) -> Option<i64> {
    session.get::<i64>(SESSION_ID).ok().flatten()
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
    /// How the user reads time: their zone (else the installation's).
    pub calendar: Calendar,
    /// Their running timer, which every page's header shows.
    pub running: Option<tt_app::timer::RunningEntry>,
    /// This page's path and query (where a header form returns to).
    pub here: String,
}

impl std::fmt::Debug for WebUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebUser")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

impl WebUser {
    /// The acting user for `tt_app`, on the web surface.
    pub(crate) fn actor(&self) -> Actor {
        Actor::new(self.user.clone(), Surface::Web)
    }

    /// Pages only administrators may see.
    pub(crate) fn require_admin(&self) -> Result<(), HttpError> {
        tt_domain::require_admin(&self.user).map_err(HttpError::from)
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
    type Error = HttpError;
    type Future = Ready<Result<Self, HttpError>>;

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
    type Error = HttpError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, HttpError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let next = login_return_path(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| HttpError::internal("state missing"))?;
            let Some(uid) = session_user(&session, &state) else {
                return Err(HttpError::SignIn(next));
            };
            // Usually read with the session, in the same statement.
            let found = match crate::session_store::take_loaded_user(uid) {
                Some(loaded) => Ok(loaded),
                None => {
                    state
                        .read(move |app| tt_app::timer::signed_in(app, uid))
                        .await
                }
            };
            let (user, running) = match found {
                Ok((user, running)) if user.active && user.must_change_password => {
                    // Reset by an administrator: nothing but choosing a new
                    // password (or signing out) until then.
                    if req.path() != crate::web::CHANGE_PASSWORD_PATH && req.path() != "/logout" {
                        return Err(HttpError::PasswordChangeRequired);
                    }
                    (user, running)
                }
                Ok((user, running)) if user.active => (user, running),
                Ok(_) | Err(HttpError::NotFound) => {
                    // Deactivated or deleted since login: the session is over.
                    session.purge();
                    return Err(HttpError::SignIn(next));
                }
                Err(other) => return Err(other),
            };
            crate::observe::note_user(&req, user.id.get());
            let calendar = state.app().calendar_of(&user);
            // A page re-rendered after a form was posted returns home.
            let here = match (req.method(), req.uri().path_and_query()) {
                (&actix_web::http::Method::GET, Some(pq)) => pq.as_str().to_owned(),
                _ => "/".to_owned(),
            };
            Ok(WebUser {
                user,
                session,
                calendar,
                running,
                here,
            })
        })
    }
}

/// A form whose hidden `csrf_token` field must match the session's.
pub(crate) trait CsrfProtected {
    /// The submitted token.
    fn csrf_token(&self) -> &str;
}

/// Declares form structs as CSRF-protected through their `csrf_token` field.
macro_rules! csrf_protected {
    ($($form:ty),* $(,)?) => {$(
        impl $crate::auth::CsrfProtected for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        }
    )*};
}
pub(crate) use csrf_protected;

/// A submitted HTML form whose CSRF token was checked before the handler
/// runs: a state-changing page handler takes this instead of `web::Form`,
/// so it cannot forget the check.
#[derive(Debug)]
pub(crate) struct CsrfForm<T>(pub T);

impl<T> CsrfForm<T> {
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for CsrfForm<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + CsrfProtected + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<T>::from_request(req, payload);
        let session = req.get_session();
        Box::pin(async move {
            let form = form.await?.into_inner();
            verify_csrf(&session, form.csrf_token())?;
            Ok(CsrfForm(form))
        })
    }
}

/// Checks credentials after the login throttle admitted the attempt (by
/// username and client address, shared by every replica).
/// Shared by the API and the login form.
pub(crate) async fn authenticate(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    username: &str,
    password: &str,
) -> Result<User, HttpError> {
    let source = client_address(req, &state.settings.trusted_proxies);
    let (name, password) = (username.to_owned(), password.to_owned());
    state
        .run(move |app| {
            Ok(match tt_app::auth::admit_attempt(app, &name, source)? {
                Err(retry) => Err(HttpError::TooManyAttempts(retry)),
                Ok(()) => tt_app::auth::authenticate(app, &name, &password)?
                    .map_err(|_| HttpError::Unauthorized),
            })
        })
        .await?
}

/// The client's address: the TCP peer, or — when the peer is one of the
/// trusted reverse proxies — the nearest address in `X-Forwarded-For` that
/// is not itself a trusted proxy. A client cannot forge its way past the
/// limits by sending the header to a server that trusts nobody.
pub(crate) fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> std::net::IpAddr {
    let peer = req
        .peer_addr()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3cre"));
        assert!(!same_secret("", "s3cret"));
        assert!(!same_secret("s3cret", "S3cret"));
    }
}
