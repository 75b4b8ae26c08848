//! Token login and logout.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;
use tt_domain::User;

use super::dto::UserDto;
use crate::auth::{ApiUser, bearer_token, dummy_hash, new_token, token_hash, verify_password};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tracking::{self, AuthMethod, LoginFailureReason};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(logout).service(me);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginInput {
    username: String,
    password: String,
}

/// Checks credentials with rate limiting by username and client address.
/// Shared by the API and the login form.
pub(crate) async fn authenticate(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    username: &str,
    password: &str,
) -> Result<User, ApiError> {
    let user_key = format!("u:{}", username.trim().to_ascii_lowercase());
    let ip_key = format!(
        "ip:{}",
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    if let Err(retry) = state.login_limiter.check(&[&user_key, &ip_key]) {
        state.track(
            tracking::login_failed(LoginFailureReason::RateLimited),
            None,
        );
        return Err(ApiError::TooManyAttempts(retry));
    }
    if username.len() > 64 || password.len() > 1024 {
        state.login_limiter.record_failure(&[&user_key, &ip_key]);
        state.track(
            tracking::login_failed(LoginFailureReason::BadCredentials),
            None,
        );
        return Err(ApiError::Unauthorized);
    }
    let name = username.trim().to_owned();
    let found = state
        .db(
            move |c| match tt_persistence::users::find_with_hash(c, &name) {
                Ok(v) => Ok(Some(v)),
                Err(tt_persistence::PersistenceError::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
        )
        .await?;
    let password = password.to_owned();
    let (user, verified) = web::block(move || match found {
        Some((user, hash)) => {
            let verified = verify_password(&password, &hash);
            (Some(user), verified)
        }
        None => {
            // Same work for unknown users: timing does not tell who exists.
            let _ = verify_password(&password, dummy_hash());
            (None, false)
        }
    })
    .await
    .map_err(|_| ApiError::Internal("blocking task failed".into()))?;
    match (user, verified) {
        (Some(user), true) if user.active => {
            state.login_limiter.record_success(&user_key);
            Ok(user)
        }
        (user, verified) => {
            state.login_limiter.record_failure(&[&user_key, &ip_key]);
            let reason = if verified && user.is_some() {
                LoginFailureReason::InactiveUser
            } else {
                LoginFailureReason::BadCredentials
            };
            state.track(tracking::login_failed(reason), None);
            tracing::info!("login failed");
            Err(ApiError::Unauthorized)
        }
    }
}

/// `POST /api/v1/auth/login` → `{"token"}`.
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginInput>,
) -> Result<HttpResponse, ApiError> {
    let user = authenticate(&state, &req, &body.username, &body.password).await?;
    let token = new_token()?;
    let hash = token_hash(&token);
    let uid = user.id;
    let token_id = state
        .db(move |c| tt_persistence::users::add_token(c, uid, &hash))
        .await?;
    state.track(tracking::login(AuthMethod::ApiToken), Some(uid));
    state.track(tracking::api_token_created(token_id), Some(uid));
    Ok(HttpResponse::Ok().json(json!({"token": token, "user": UserDto::from(&user)})))
}

/// `POST /api/v1/auth/logout`: revokes the token used.
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
) -> Result<HttpResponse, ApiError> {
    let hash = bearer_token(&req)
        .map(|t| token_hash(&t))
        .ok_or(ApiError::Unauthorized)?;
    let revoked = state
        .db(move |c| tt_persistence::users::revoke_token(c, &hash))
        .await?;
    state.track(tracking::logout(), Some(user.id()));
    if let Some(token_id) = revoked {
        state.track(tracking::api_token_revoked(token_id), Some(user.id()));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`.
#[get("/me")]
async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserDto::from(&user.0))
}
