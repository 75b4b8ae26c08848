//! Token login and logout.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Json;
use super::dto::UserDto;
use super::openapi::{Authed, JsonBody, Restricted, Throttled};
use crate::auth::{ApiUser, authenticate, bearer_token};
use crate::error::HttpError;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(logout).service(me);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginInput {
    username: String,
    #[schema(format = Password)]
    password: String,
    /// What to call the token (default "API sign-in").
    #[serde(default)]
    token_name: Option<String>,
    /// Days until the token stops working (default 30; 1–3650).
    #[serde(default)]
    expires_in_days: Option<i64>,
}

impl LoginInput {
    fn token_request(&self) -> Result<tt_app::auth::TokenRequest, HttpError> {
        Ok(tt_app::auth::TokenRequest::sign_in(
            self.token_name.as_deref(),
            self.expires_in_days,
        )?)
    }
}

/// A new API token and whose it is.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoginDto {
    /// Send as `Authorization: Bearer <token>`.
    #[schema(pattern = "^tt_")]
    token: String,
    /// The token's id (see `GET /api/v1/me/tokens`).
    token_id: i64,
    /// When it stops working (30 days unless asked otherwise).
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    user: UserDto,
}

/// Exchanges a username and password for a new API token, which lasts 30
/// days unless `token_name`/`expires_in_days` ask otherwise.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Signed in", body = LoginDto),
        Authed, JsonBody, Throttled, Restricted,
    ),
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginInput>,
) -> Result<HttpResponse, HttpError> {
    // Checked first: a malformed request is refused without a password check.
    let request = body.token_request()?;
    let user = authenticate(&state, &req, &body.username, &body.password).await?;
    let for_token = user.clone();
    let (info, token) = state
        .run(move |app| tt_app::auth::issue_token(app, &for_token, &request))
        .await?;
    Ok(HttpResponse::Ok().json(LoginDto {
        token,
        token_id: info.id,
        expires_at: info.expires_at,
        user: UserDto::from(&user),
    }))
}

/// Revokes the token used.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "The token is revoked"), Authed),
)]
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

/// The signed-in user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The user behind the token", body = UserDto), Authed),
)]
#[get("/me")]
async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserDto::from(&user.0))
}
