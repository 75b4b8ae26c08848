//! Token login and logout.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;
use tt_domain::User;

use super::dto::UserDto;
use crate::auth::{ApiUser, bearer_token};
use crate::error::HttpError;
use crate::state::AppState;

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
) -> Result<User, HttpError> {
    let user_key = format!("u:{}", username.trim().to_ascii_lowercase());
    let ip_key = format!(
        "ip:{}",
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    if let Err(retry) = state.login_limiter.check(&[&user_key, &ip_key]) {
        tt_app::auth::rate_limited(&state.app);
        return Err(HttpError::TooManyAttempts(retry));
    }
    let (name, password) = (username.to_owned(), password.to_owned());
    let outcome = state
        .run(move |app| tt_app::auth::authenticate(app, &name, &password))
        .await?;
    match outcome {
        Ok(user) => {
            state.login_limiter.record_success(&user_key);
            Ok(user)
        }
        Err(_) => {
            state.login_limiter.record_failure(&[&user_key, &ip_key]);
            Err(HttpError::Unauthorized)
        }
    }
}

/// `POST /api/v1/auth/login` → `{"token"}`.
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginInput>,
) -> Result<HttpResponse, HttpError> {
    let user = authenticate(&state, &req, &body.username, &body.password).await?;
    let for_token = user.clone();
    let token = state
        .run(move |app| tt_app::auth::issue_token(app, &for_token))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"token": token, "user": UserDto::from(&user)})))
}

/// `POST /api/v1/auth/logout`: revokes the token used.
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
) -> Result<HttpResponse, HttpError> {
    let token = bearer_token(&req).ok_or(HttpError::Unauthorized)?;
    let actor = user.actor();
    state
        .run(move |app| tt_app::auth::revoke_token(app, &actor, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`.
#[get("/me")]
async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserDto::from(&user.0))
}
