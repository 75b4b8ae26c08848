//! Signing in and out: the login throttle (shared by every replica through
//! the database), password checks, API tokens (only their SHA-256 is
//! stored), and the events of each. The HTTP layer only says which client
//! address an attempt came from.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tt_domain::User;
use tt_persistence::PersistenceError;
use tt_persistence::users as repo;

use crate::events::{self, AuthMethod, LoginFailureReason};
use crate::passwords::{dummy_hash, random_bytes, verify};
use crate::{Actor, App, AppError, Result};

/// Why a sign-in was refused (both answer the same to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown user or wrong password.
    BadCredentials,
    /// Right password, deactivated account.
    Inactive,
}

/// Checks a username and password. Unknown users cost the same time as
/// known ones. A refusal is tracked (without a user id).
pub fn authenticate(app: &App, username: &str, password: &str) -> Result<Result<User, Refusal>> {
    // A name no account can have (too long, or with a NUL byte PostgreSQL
    // could not even compare) is refused without a query, after the same
    // hashing work as an unknown user.
    let impossible = tt_domain::Username::parse(username).is_err();
    let outcome = if impossible || password.len() > 1024 {
        let _ = verify(password, dummy_hash());
        Err(Refusal::BadCredentials)
    } else {
        let name = username.trim();
        let found = app.read(|c| match repo::find_with_hash(c, name) {
            Ok(v) => Ok(Some(v)),
            Err(PersistenceError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        })?;
        match found {
            Some((user, hash)) => match (verify(password, &hash), user.active) {
                (true, true) => Ok(user),
                (true, false) => Err(Refusal::Inactive),
                (false, _) => Err(Refusal::BadCredentials),
            },
            None => {
                // Same work for unknown users: timing does not tell who exists.
                let _ = verify(password, dummy_hash());
                Err(Refusal::BadCredentials)
            }
        }
    };
    if let Err(r) = outcome {
        let reason = match r {
            Refusal::BadCredentials => LoginFailureReason::BadCredentials,
            Refusal::Inactive => LoginFailureReason::InactiveUser,
        };
        app.track(events::login_failed(reason), None);
        tracing::info!("login failed");
    }
    Ok(outcome)
}

/// Counts one attempt to sign in as `username` from `source`, **before**
/// its password is checked, against [`tt_domain::LoginLimits`]: first the
/// address's limit, then the username's at that address. The count lives
/// in the database and each bucket is updated under its row lock, so
/// attempts spread over several replicas, or made in parallel, are limited
/// exactly as if one server saw them all. `Err(retry_after)` when over a
/// limit (tracked as a refusal).
pub fn admit_attempt(
    app: &App,
    username: &str,
    source: std::net::IpAddr,
) -> Result<std::result::Result<(), std::time::Duration>> {
    use tt_domain::Admission;
    use tt_persistence::login_throttle as store;
    let limits = app.login_limits;
    let source_bucket = bucket(&["source", &source.to_string()]);
    let account_bucket = bucket(&[
        "account",
        &username.trim().to_lowercase(),
        &source.to_string(),
    ]);
    let now_ms = chrono::Utc::now().timestamp_millis();
    // Buckets are always taken in the same order (address, then account),
    // so two attempts never wait on each other crosswise.
    let outcome = app.write(|c| {
        for (bucket, throttle) in [
            (&source_bucket, limits.per_source),
            (&account_bucket, limits.per_account),
        ] {
            match throttle.admit(store::lock(c, bucket)?, now_ms) {
                Admission::Admitted { state } => store::store(c, bucket, state)?,
                Admission::Refused { retry_after } => return Ok(Err(retry_after)),
            }
        }
        Ok(Ok(()))
    })?;
    if outcome.is_err() {
        app.track(events::login_failed(LoginFailureReason::RateLimited), None);
        tracing::info!("login refused: too many attempts");
    }
    if app
        .login_sweeps
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        % 64
        == 63
    {
        // Buckets that recovered decide nothing: keep the table small.
        if let Err(e) = app.read(|c| Ok(store::forget_recovered(c, now_ms)?)) {
            tracing::warn!(error = %e, "could not forget recovered login throttle buckets");
        }
    }
    Ok(outcome)
}

/// A throttle bucket's stored name: a SHA-256 of its parts, so neither
/// usernames nor client addresses are kept at rest.
fn bucket(parts: &[&str]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, parts.join("\0").as_bytes());
    hex::encode(digest)
}

/// Records a browser sign-in.
pub fn signed_in(app: &App, user: &User) {
    app.track(events::login(AuthMethod::Password), Some(user.id));
}

/// Records a browser sign-out.
pub fn signed_out(app: &App, user: Option<tt_domain::UserId>) {
    app.track(events::logout(), user);
}

/// A new random token (URL-safe, 256 bits).
fn new_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    random_bytes(&mut bytes)?;
    Ok(format!("tt_{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Lower-hex SHA-256 of a token: only this is stored.
pub fn token_hash(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    hex::encode(digest)
}

/// What to call a new API token and how long it lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// Its name, shown in the token list.
    pub name: tt_domain::Name,
    /// Days until it stops working; `None`: until revoked.
    pub expires_in_days: Option<u32>,
}

impl TokenRequest {
    /// The longest lifetime a token may be given, in days (ten years).
    pub const MAX_DAYS: u32 = 3650;
    /// What a token made by `POST /api/v1/auth/login` lasts unless asked
    /// otherwise: a sign-in is not forever.
    pub const SIGN_IN_DAYS: u32 = 30;

    /// A token request from typed text: a name (1–200 characters) and an
    /// optional lifetime of 1 to [`Self::MAX_DAYS`] days.
    pub fn parse(name: &str, expires_in_days: Option<i64>) -> Result<Self> {
        let name = tt_domain::Name::parse(name).map_err(|e| match e {
            tt_domain::DomainError::Invalid { reason, .. } => {
                AppError::invalid_field("token_name", reason)
            }
            other => other.into(),
        })?;
        let expires_in_days = match expires_in_days {
            None => None,
            Some(d) => Some(
                u32::try_from(d)
                    .ok()
                    .filter(|d| (1..=Self::MAX_DAYS).contains(d))
                    .ok_or_else(|| {
                        AppError::invalid_field(
                            "expires_in_days",
                            format!("must be between 1 and {}", Self::MAX_DAYS),
                        )
                    })?,
            ),
        };
        Ok(TokenRequest {
            name,
            expires_in_days,
        })
    }

    /// What a sign-in through the API issues: the name and lifetime asked
    /// for, each defaulting to "API sign-in" and [`Self::SIGN_IN_DAYS`].
    pub fn sign_in(name: Option<&str>, expires_in_days: Option<i64>) -> Result<Self> {
        Self::parse(
            name.unwrap_or("API sign-in"),
            Some(expires_in_days.unwrap_or(i64::from(Self::SIGN_IN_DAYS))),
        )
    }
}

pub use tt_persistence::users::TokenInfo;

/// Stores a new token for `user`; returns its description and the token
/// itself (shown once, never stored).
fn mint(app: &App, user: &User, request: &TokenRequest) -> Result<(TokenInfo, String)> {
    if user.must_change_password {
        return Err(AppError::Forbidden(
            "an administrator reset your password: sign in on the web and choose a new one first",
        ));
    }
    let token = new_token()?;
    let hash = token_hash(&token);
    let expires_at = request
        .expires_in_days
        .map(|d| chrono::Utc::now() + chrono::TimeDelta::days(i64::from(d)));
    let info = app.write(|c| {
        let id = repo::add_token(
            c,
            &repo::NewToken {
                user_id: user.id,
                token_hash: &hash,
                name: request.name.as_str(),
                expires_at,
            },
        )?;
        repo::list_tokens(c, user.id)?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AppError::internal("new token not found"))
    })?;
    app.track(events::api_token_created(info.id), Some(user.id));
    Ok((info, token))
}

/// Issues an API token for a user who just signed in with their password.
pub fn issue_token(app: &App, user: &User, request: &TokenRequest) -> Result<(TokenInfo, String)> {
    let minted = mint(app, user, request)?;
    app.track(events::login(AuthMethod::ApiToken), Some(user.id));
    Ok(minted)
}

/// A signed-in user makes another token (for a script, a device).
pub fn create_token(
    app: &App,
    actor: &Actor,
    request: &TokenRequest,
) -> Result<(TokenInfo, String)> {
    mint(app, &actor.user, request)
}

/// The actor's unexpired tokens, newest first.
pub fn list_tokens(app: &App, actor: &Actor) -> Result<Vec<TokenInfo>> {
    app.read(|c| Ok(repo::list_tokens(c, actor.id())?))
}

/// Revokes one of the actor's tokens; someone else's is `NotFound`.
pub fn revoke_token_by_id(app: &App, actor: &Actor, token: i64) -> Result<()> {
    if !app.write(|c| Ok(repo::revoke_token_of_user(c, actor.id(), token)?))? {
        return Err(AppError::NotFound);
    }
    app.track(events::api_token_revoked(token), Some(actor.id()));
    Ok(())
}

/// The active user owning an unexpired API token, and which token it is;
/// `NotFound` for any other token. Only reads. When the token's last-use record is stale
/// ([`token_use_is_stale`]), follow with [`record_token_use`].
pub fn user_for_token(app: &App, token: &str) -> Result<(User, TokenInfo)> {
    let hash = token_hash(token);
    app.read(|c| Ok(repo::find_by_token_hash(c, &hash)?))
}

/// Whether a request made with `token` now should record the use (at most
/// once a minute per token).
pub fn token_use_is_stale(token: &TokenInfo) -> bool {
    repo::token_use_is_stale(token, crate::now())
}

/// Records that `token` was used now (a guarded write: parallel requests
/// record it once).
pub fn record_token_use(app: &App, token: &TokenInfo) -> Result<()> {
    let id = token.id;
    app.write(|c| Ok(repo::record_token_use(c, id, crate::now())?))
}

/// Revokes the token the actor signed in with.
pub fn revoke_token(app: &App, actor: &Actor, token: &str) -> Result<()> {
    let hash = token_hash(token);
    let revoked = app.write(|c| Ok(repo::revoke_token(c, &hash)?))?;
    app.track(events::logout(), Some(actor.id()));
    if let Some(token_id) = revoked {
        app.track(events::api_token_revoked(token_id), Some(actor.id()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_token_defaults_to_thirty_days_and_its_own_name() {
        let plain = TokenRequest::sign_in(None, None).expect("valid");
        assert_eq!(
            (plain.name.as_str(), plain.expires_in_days),
            ("API sign-in", Some(30))
        );
        let named = TokenRequest::sign_in(Some("CI"), Some(2)).expect("valid");
        assert_eq!(
            (named.name.as_str(), named.expires_in_days),
            ("CI", Some(2))
        );
        assert!(TokenRequest::sign_in(None, Some(0)).is_err());
        assert!(TokenRequest::sign_in(Some(" "), None).is_err());
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
